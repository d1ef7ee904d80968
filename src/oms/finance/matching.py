"""The matching engine: pure Python, no database. Statement lines ↔ expected movements.

1. Candidates: references (order number, gateway trade number, external id) found in a
   line's text, exactly or with one typo; same currency and direction only.
2. Score each pair: reference (exact 60, external id 55, one typo 50) + amount (equal 30,
   within tolerance 20-25, beyond -30) + value date (10 - 2 per day inside the window,
   -20 outside) - 15 when a competitor scores within 10 (ambiguous: never automatic).
3. Assign globally, greedy by score: a line gets at most one movement and vice versa. Pairs
   at or above the threshold, unambiguous, are auto-confirmed.
4. What is left: split (two or three lines sum to one movement) and merged (one line sums
   two or three movements) groups, then the best remaining pairs, all for review.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations

from oms.finance.references import ReferenceIndex, normalise_reference, text_runs

__all__ = [
    "Line",
    "MatchSettings",
    "Movement",
    "MovementIndex",
    "Proposal",
    "match_lines",
]

_REF_SCORE = {"order_no": 60, "trade_no": 60, "external_id": 55}
_TYPO_SCORE = 50
_AMBIGUITY_MARGIN = 10
_AMBIGUITY_PENALTY = 15


@dataclass(frozen=True, slots=True)
class Line:
    """A statement line: signed minor units, credit positive."""

    id: str
    amount: int
    currency: str
    value_date: date
    text: str


@dataclass(frozen=True, slots=True)
class Movement:
    """Expected money: ``amount`` signed like the bank line (refunds sent are negative)."""

    id: str
    amount: int
    currency: str
    expected_date: date
    order_no: str | None = None
    trade_no: str | None = None
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class MatchSettings:
    amount_tolerance: int = 50
    date_window_days: int = 3
    auto_confirm_score: int = 80


@dataclass(frozen=True, slots=True)
class Proposal:
    """``kind``: one_to_one, split (n lines → 1 movement) or merged (1 line → n movements)."""

    kind: str
    line_ids: tuple[str, ...]
    movement_ids: tuple[str, ...]
    score: int
    reasons: tuple[str, ...]
    is_auto: bool


@dataclass(slots=True)
class _Pair:
    line: int
    movement: int
    score: int
    reasons: list[str] = field(default_factory=list)
    is_ambiguous: bool = False


class MovementIndex:
    """Open movements indexed by their normalised references; build once, match many."""

    _FIELDS = ("order_no", "trade_no", "external_id")

    def __init__(self, movements: list[Movement]) -> None:
        self.movements = movements
        self.references = ReferenceIndex()
        self.labels: dict[tuple[int, str], str] = {}
        for position, movement in enumerate(movements):
            for name in self._FIELDS:
                value = getattr(movement, name)
                if value:
                    key = normalise_reference(value)
                    self.references.add(key, position)
                    self.labels[(position, key)] = name

    def label(self, movement: int, key: str) -> str:
        return self.labels.get((movement, key), "order_no")


def match_lines(
    lines: list[Line],
    index: MovementIndex,
    settings: MatchSettings,
    *,
    rejected: frozenset[tuple[str, str]] = frozenset(),
) -> list[Proposal]:
    """Propose matches for ``lines``; see the module docstring for the rules."""
    pairs = [p for i, line in enumerate(lines) for p in _candidates(i, line, index, settings)]
    pairs = [p for p in pairs if (lines[p.line].id, index.movements[p.movement].id) not in rejected]
    _penalise_ambiguity(pairs)
    used_lines: set[int] = set()
    used_movements: set[int] = set()
    threshold = settings.auto_confirm_score
    sure = [p for p in pairs if p.score >= threshold and not p.is_ambiguous]
    auto = _greedy(sure, used_lines, used_movements)
    rest = [p for p in pairs if p.line not in used_lines and p.movement not in used_movements]
    groups = _groups(rest, lines, index, settings, used_lines, used_movements)
    review = _greedy(rest, used_lines, used_movements)
    proposals = [_one(p, lines, index, is_auto=True) for p in auto]
    proposals += groups + [_one(p, lines, index, is_auto=False) for p in review]
    return proposals


def _candidates(
    position: int, line: Line, index: MovementIndex, settings: MatchSettings
) -> list[_Pair]:
    runs = text_runs(line.text)
    found = index.references.exact(runs)
    is_typo = not found
    if is_typo:
        found = index.references.near(runs)
    pairs: list[_Pair] = []
    for movement_pos, key in found.items():
        movement = index.movements[movement_pos]
        if movement.currency != line.currency or (movement.amount > 0) != (line.amount > 0):
            continue
        label = index.label(movement_pos, key)
        ref = _TYPO_SCORE if is_typo else _REF_SCORE[label]
        how = "with one typo" if is_typo else "exactly"
        pair = _Pair(position, movement_pos, ref, [f"{label} {key} found {how} in the text"])
        _score_amount(pair, line.amount - movement.amount, settings.amount_tolerance)
        _score_date(pair, (line.value_date - movement.expected_date).days, settings)
        pairs.append(pair)
    return pairs


def _score_amount(pair: _Pair, diff: int, tolerance: int) -> None:
    if diff == 0:
        pair.score += 30
        pair.reasons.append("amount equal")
    elif abs(diff) <= tolerance:
        pair.score += 25 - (5 * abs(diff)) // max(tolerance, 1)
        pair.reasons.append(f"amount differs by {diff} (tolerance {tolerance})")
    else:
        pair.score -= 30
        pair.reasons.append(f"amount differs by {diff}, beyond tolerance {tolerance}")


def _score_date(pair: _Pair, days: int, settings: MatchSettings) -> None:
    if abs(days) <= settings.date_window_days:
        pair.score += 10 - 2 * abs(days)
        pair.reasons.append(f"value date {days:+d} day(s) from expected")
    else:
        pair.score -= 20
        pair.reasons.append(f"value date {days:+d} days, outside ±{settings.date_window_days}")


def _penalise_ambiguity(pairs: list[_Pair]) -> None:
    """A pair with a close competitor on either side is not safe to confirm automatically."""
    by_line: dict[int, list[int]] = defaultdict(list)
    by_movement: dict[int, list[int]] = defaultdict(list)
    for pair in pairs:
        by_line[pair.line].append(pair.score)
        by_movement[pair.movement].append(pair.score)
    for pair in pairs:
        own = pair.score
        if _has_rival(by_line[pair.line], own) or _has_rival(by_movement[pair.movement], own):
            pair.score -= _AMBIGUITY_PENALTY
            pair.is_ambiguous = True
            pair.reasons.append("another candidate scores close: ambiguous")


def _has_rival(scores: list[int], own: int) -> bool:
    if len(scores) < 2:
        return False
    top = sorted(scores, reverse=True)[:2]
    other = top[1] if top[0] == own else top[0]
    return other >= own - _AMBIGUITY_MARGIN


def _greedy(pairs: list[_Pair], used_lines: set[int], used_movements: set[int]) -> list[_Pair]:
    chosen: list[_Pair] = []
    for pair in sorted(pairs, key=lambda p: (-p.score, p.line, p.movement)):
        if pair.line in used_lines or pair.movement in used_movements:
            continue
        used_lines.add(pair.line)
        used_movements.add(pair.movement)
        chosen.append(pair)
    return chosen


def _one(pair: _Pair, lines: list[Line], index: MovementIndex, *, is_auto: bool) -> Proposal:
    movement = index.movements[pair.movement]
    return Proposal(
        "one_to_one",
        (lines[pair.line].id,),
        (movement.id,),
        pair.score,
        tuple(pair.reasons),
        is_auto,
    )


def _groups(
    pairs: list[_Pair],
    lines: list[Line],
    index: MovementIndex,
    settings: MatchSettings,
    used_lines: set[int],
    used_movements: set[int],
) -> list[Proposal]:
    """Split and merged payments whose parts add up within tolerance: always for review."""
    by_line: dict[int, set[int]] = defaultdict(set)
    by_movement: dict[int, set[int]] = defaultdict(set)
    for pair in pairs:
        by_line[pair.line].add(pair.movement)
        by_movement[pair.movement].add(pair.line)
    found: list[Proposal] = []
    for line, movements in by_line.items():
        amounts = {m: index.movements[m].amount for m in movements - used_movements}
        subset = _subset_sum(amounts, lines[line].amount, settings.amount_tolerance)
        if subset and line not in used_lines:
            used_lines.add(line)
            used_movements.update(subset)
            found.append(_group("merged", [line], subset, lines, index, settings))
    for movement, parts in by_movement.items():
        amounts = {i: lines[i].amount for i in parts - used_lines}
        subset = _subset_sum(amounts, index.movements[movement].amount, settings.amount_tolerance)
        if subset and movement not in used_movements:
            used_movements.add(movement)
            used_lines.update(subset)
            found.append(_group("split", subset, [movement], lines, index, settings))
    return found


def _subset_sum(amounts: dict[int, int], target: int, tolerance: int) -> list[int] | None:
    keys = sorted(amounts)
    if len(keys) < 2 or len(keys) > 12:
        return None
    for size in (2, 3):
        for combo in combinations(keys, size):
            if abs(sum(amounts[k] for k in combo) - target) <= tolerance:
                return list(combo)
    return None


def _group(
    kind: str,
    line_positions: list[int],
    movement_positions: list[int],
    lines: list[Line],
    index: MovementIndex,
    settings: MatchSettings,
) -> Proposal:
    total_lines = sum(lines[i].amount for i in line_positions)
    total_movements = sum(index.movements[m].amount for m in movement_positions)
    reasons = (
        f"{kind} payment: {len(line_positions)} line(s) for {len(movement_positions)} movement(s)",
        f"every part's reference is in the text; sums differ by {total_lines - total_movements}",
        "split and merged payments always wait for review",
    )
    score = min(settings.auto_confirm_score - 1, 70)
    return Proposal(
        kind,
        tuple(lines[i].id for i in line_positions),
        tuple(index.movements[m].id for m in movement_positions),
        score,
        reasons,
        False,
    )
