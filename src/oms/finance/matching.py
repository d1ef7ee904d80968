"""The matching engine: pure Python, no database. Statement lines ↔ expected movements.

1. Candidates by reference: every reference a payer or a bank may write for the money (oms
   order number, gateway trade number, platform order number, refund request number, gateway
   refund number) found in a line's text exactly, through look-alike characters (O for 0, I/L
   for 1), or with one typo; same currency and direction only.
2. Score each pair: reference (exact 60, external id 55, look-alike 55, typo 50) + amount
   (equal 30, within tolerance 20-25, beyond -30) + value date (10 - 2 per day inside the
   window, -20 outside) - 15 when a competitor scores within 10 (ambiguous).
3. Automatic confirmation, which finance trusts only if it is never wrong:
   - a merged payment (one line, several movements) when the memo names every movement, each
     reference is exact or a unique look-alike reading, and the sum agrees within tolerance
     (tenant setting ``auto_confirm_merged``);
   - a one-to-one pair at or above the threshold, unambiguous, whose reference is exact or a
     look-alike reading that fits exactly one open movement, on a line naming no other
     movement. A typo never confirms automatically: it may as well be a neighbour's number.
4. What is left goes to review: split (two or three lines sum to one movement) and merged
   groups, then the best remaining pair of each line.
5. Lines whose text names no known reference get ranked candidates (``candidates``): amount
   within tolerance, value date within the window, payer name against the buyer's.
"""

from __future__ import annotations

import re
from collections import defaultdict

from oms.finance.candidates import AmountIndex, propose_candidates
from oms.finance.groups import merged_auto, review_groups
from oms.finance.match_types import (
    Line,
    MatchSettings,
    Movement,
    Pair,
    Proposal,
    score_amount,
    score_date,
)
from oms.finance.reasons import Reason
from oms.finance.references import ReferenceIndex, fold_lookalikes, normalise_reference, text_runs

__all__ = [
    "REFERENCE_FIELDS",
    "Line",
    "MatchSettings",
    "Movement",
    "MovementIndex",
    "Pair",
    "Proposal",
    "match_lines",
]

REFERENCE_FIELDS = ("order_no", "trade_no", "external_id", "refund_no", "gateway_refund_no")
_REF_SCORE = {"external_id": 55}
_EXACT_SCORE = 60
_LOOKALIKE_SCORE = 55
_TYPO_SCORE = 50
_AMBIGUITY_MARGIN = 10
_AMBIGUITY_PENALTY = 15
_DIGIT = re.compile(r"[0-9]")


class MovementIndex:
    """Open movements indexed by their normalised references; build once, match many."""

    def __init__(self, movements: list[Movement]) -> None:
        self.movements = movements
        self.references = ReferenceIndex()
        # Only references that change when read with look-alikes (they contain O, I or L);
        # the others are their own reading and already sit in ``references``.
        self.folded = ReferenceIndex()
        self.labels: dict[tuple[int, str], str] = {}
        self._amounts: AmountIndex | None = None
        for position, movement in enumerate(movements):
            for name in REFERENCE_FIELDS:
                value = getattr(movement, name)
                if value:
                    key = normalise_reference(value)
                    self.references.add(key, position)
                    folded = fold_lookalikes(key)
                    if name != "order_no":  # the label's default; a million fewer entries
                        self.labels.setdefault((position, key), name)
                        if folded != key:
                            self.labels.setdefault((position, folded), name)
                    if folded != key:
                        self.folded.add(folded, position)

    def read_lookalikes(self, runs: list[str], folded_runs: list[str]) -> dict[int, str]:
        """Movements whose reference, read with look-alikes, occurs in the text: folded runs
        against every reference, and all runs against references that contain O, I or L."""
        found = self.references.exact(folded_runs) if folded_runs else {}
        if self.folded.is_empty():
            return found
        for target, key in self.folded.exact(runs + folded_runs).items():
            found.setdefault(target, key)
        return found

    def is_unique_reading(self, key: str) -> bool:
        """Whether exactly one open movement has a reference that reads as ``key``."""
        targets = set(self.references.targets(key)) | set(self.folded.targets(key))
        return len(targets) == 1

    def label(self, movement: int, key: str) -> str:
        return self.labels.get((movement, key), "order_no")

    def amounts(self) -> AmountIndex:
        """Movements by currency, direction and amount, built the first time it is needed."""
        if self._amounts is None:
            self._amounts = AmountIndex(self.movements)
        return self._amounts


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
    _forbid_several(pairs)
    used_lines: set[int] = set()
    used_movements: set[int] = set()
    proposals: list[Proposal] = []
    if settings.auto_confirm_merged:
        proposals += merged_auto(pairs, lines, index, settings, used_lines, used_movements)
    threshold = settings.auto_confirm_score
    sure = [p for p in pairs if p.score >= threshold and p.can_auto and not p.is_ambiguous]
    proposals += [
        _one(p, lines, index, is_auto=True) for p in _greedy(sure, used_lines, used_movements)
    ]
    rest = [p for p in pairs if p.line not in used_lines and p.movement not in used_movements]
    proposals += review_groups(rest, lines, index, settings, used_lines, used_movements)
    review = _greedy(rest, used_lines, used_movements)
    proposals += [_one(p, lines, index, is_auto=False) for p in review]
    named = {p.line for p in pairs}
    bare = [i for i in range(len(lines)) if i not in named and i not in used_lines]
    proposals += propose_candidates(
        bare, lines, index, settings, used_movements=used_movements, rejected=rejected
    )
    return proposals


def _candidates(
    position: int, line: Line, index: MovementIndex, settings: MatchSettings
) -> list[Pair]:
    runs = text_runs(line.text)
    found: dict[int, tuple[str, str, Reason]] = {}
    for movement_pos, key in index.references.exact(runs).items():
        label = index.label(movement_pos, key)
        found[movement_pos] = (
            "exact",
            label,
            Reason("reference_exact", {"field": label, "reference": key}),
        )
    # Runs that read differently with look-alikes; the others were just searched as they are.
    folded_runs = [f for run in runs if (f := fold_lookalikes(run)) != run and _DIGIT.search(f)]
    for movement_pos, key in index.read_lookalikes(runs, folded_runs).items():
        if movement_pos not in found:
            label = index.label(movement_pos, key)
            reason = Reason("reference_lookalike", {"field": label, "reference": key})
            found[movement_pos] = ("lookalike", label, reason)
    pairs = [
        _pair(position, line, index, settings, m, via, label, reason)
        for m, (via, label, reason) in found.items()
        if _same_direction(line, index.movements[m])
    ]
    for pair in pairs:
        if pair.via == "lookalike" and not index.is_unique_reading(_folded_key(pair)):
            pair.can_auto = False
            pair.reasons.append(Reason("lookalike_not_unique"))
    if not any(p.amount_agrees for p in pairs):
        pairs += _typo_pairs(position, line, index, settings, runs + folded_runs, set(found))
    return pairs


def _folded_key(pair: Pair) -> str:
    return str(pair.reasons[0].params["reference"])


def _typo_pairs(
    position: int,
    line: Line,
    index: MovementIndex,
    settings: MatchSettings,
    runs: list[str],
    known: set[int],
) -> list[Pair]:
    pairs: list[Pair] = []
    for movement_pos, (key, edit) in index.references.near(runs).items():
        if movement_pos in known or not _same_direction(line, index.movements[movement_pos]):
            continue
        label = index.label(movement_pos, key)
        reason = Reason("reference_typo", {"field": label, "reference": key, "edit": edit})
        pair = _pair(position, line, index, settings, movement_pos, "typo", label, reason)
        pair.can_auto = False
        pair.reasons.append(Reason("typo_never_auto"))
        pairs.append(pair)
    return pairs


def _same_direction(line: Line, movement: Movement) -> bool:
    return movement.currency == line.currency and (movement.amount > 0) == (line.amount > 0)


def _pair(
    position: int,
    line: Line,
    index: MovementIndex,
    settings: MatchSettings,
    movement_pos: int,
    via: str,
    label: str,
    reason: Reason,
) -> Pair:
    movement = index.movements[movement_pos]
    if via == "exact":
        base = _REF_SCORE.get(label, _EXACT_SCORE)
    else:
        base = _LOOKALIKE_SCORE if via == "lookalike" else _TYPO_SCORE
    pair = Pair(position, movement_pos, base, via, [reason])
    score_amount(pair, line.amount - movement.amount, settings.amount_tolerance)
    score_date(pair, (line.value_date - movement.expected_date).days, settings)
    return pair


def _penalise_ambiguity(pairs: list[Pair]) -> None:
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
            pair.reasons.append(Reason("ambiguous"))


def _forbid_several(pairs: list[Pair]) -> None:
    """A memo naming several movements is a merged payment or a muddle, never one-to-one."""
    named: dict[int, set[int]] = defaultdict(set)
    for pair in pairs:
        if pair.via != "typo":
            named[pair.line].add(pair.movement)
    for pair in pairs:
        count = len(named[pair.line])
        if count > 1 and pair.can_auto:
            pair.can_auto = False
            pair.reasons.append(Reason("several_references", {"count": count}))


def _has_rival(scores: list[int], own: int) -> bool:
    if len(scores) < 2:
        return False
    top = sorted(scores, reverse=True)[:2]
    other = top[1] if top[0] == own else top[0]
    return other >= own - _AMBIGUITY_MARGIN


def _greedy(pairs: list[Pair], used_lines: set[int], used_movements: set[int]) -> list[Pair]:
    chosen: list[Pair] = []
    for pair in sorted(pairs, key=lambda p: (-p.score, p.line, p.movement)):
        if pair.line in used_lines or pair.movement in used_movements:
            continue
        used_lines.add(pair.line)
        used_movements.add(pair.movement)
        chosen.append(pair)
    return chosen


def _one(pair: Pair, lines: list[Line], index: MovementIndex, *, is_auto: bool) -> Proposal:
    movement = index.movements[pair.movement]
    return Proposal(
        "one_to_one",
        (lines[pair.line].id,),
        (movement.id,),
        pair.score,
        tuple(pair.reasons),
        is_auto,
    )
