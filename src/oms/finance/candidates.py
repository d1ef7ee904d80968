"""Candidates for lines that name no reference: amount, value date, payer name. Review only.

Many payers write nothing but their name; the bank prints the amount and the date. Open
movements of the same currency and direction whose amount is within tolerance and whose
expected date is within the window are ranked: equal amount first, then the buyer's name
found in the memo, then the nearest date. A movement that another line's candidates (or
proposals) also want is flagged as contested.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from oms.finance.matching import MovementIndex

__all__ = ["AmountIndex", "name_similarity", "propose_candidates"]

_NAME_EQUAL = 15
_NAME_PARTIAL = 8
_NOT_NAME = re.compile(r"[\s\W_]+", re.UNICODE)
_MASKED = re.compile(r"[^\s*]*\*+[^\s*]*")


class AmountIndex:
    """Open movements by (currency, direction, expected date), sorted by amount: a line looks
    at the days of its window only, so a million movements cost a few bisections."""

    def __init__(self, movements: list[Movement]) -> None:
        buckets: dict[tuple[str, bool, date], list[tuple[int, int]]] = defaultdict(list)
        for position, movement in enumerate(movements):
            key = (movement.currency, movement.amount > 0, movement.expected_date)
            buckets[key].append((movement.amount, position))
        self._amounts: dict[tuple[str, bool, date], list[int]] = {}
        self._positions: dict[tuple[str, bool, date], list[int]] = {}
        for key, rows in buckets.items():
            rows.sort()
            self._amounts[key] = [amount for amount, _ in rows]
            self._positions[key] = [position for _, position in rows]

    def within(self, line: Line, tolerance: int, window: int) -> list[int]:
        """Positions of movements like ``line`` whose amount is within ``tolerance`` and whose
        expected date is within ``window`` days of its value date."""
        found: list[int] = []
        for offset in range(-window, window + 1):
            key = (line.currency, line.amount > 0, line.value_date + timedelta(days=offset))
            amounts = self._amounts.get(key)
            if not amounts:
                continue
            low = bisect_left(amounts, line.amount - tolerance)
            high = bisect_right(amounts, line.amount + tolerance)
            found.extend(self._positions[key][low:high])
        return found


def _plain(text: str) -> str:
    return _NOT_NAME.sub("", unicodedata.normalize("NFKC", text).casefold())


class _MemoNames:
    """A memo prepared once for comparing many buyers' names with it."""

    def __init__(self, text: str) -> None:
        self.folded = unicodedata.normalize("NFKC", text).casefold()
        self.plain = _plain(self.folded)
        self.masks = [
            re.compile("".join(".+" if c == "*" else re.escape(c) for c in re.sub(r"\*+", "*", m)))
            for m in _MASKED.findall(self.folded)
            if m.strip("*")
        ]

    def similarity(self, buyer: str | None) -> str | None:
        if not buyer:
            return None
        plain_buyer = _plain(buyer)
        if len(plain_buyer) < 2:
            return None
        if plain_buyer in self.plain:
            return "equal"
        words = [_plain(w) for w in unicodedata.normalize("NFKC", buyer).casefold().split()]
        if len(words) > 1 and all(
            w and re.search(rf"\b{re.escape(w)}\b", self.folded) for w in words
        ):
            return "equal"
        if any(mask.fullmatch(plain_buyer) for mask in self.masks):
            return "partial"
        return None


def name_similarity(buyer: str | None, text: str) -> str | None:
    """``equal`` when the buyer's name is in the memo (spacing, case and word order aside),
    ``partial`` when a masked name there (``张*三``, ``*晓明``) fits it, else None."""
    return _MemoNames(text).similarity(buyer)


def propose_candidates(
    positions: list[int],
    lines: list[Line],
    index: MovementIndex,
    settings: MatchSettings,
    *,
    used_movements: set[int],
    rejected: frozenset[tuple[str, str]],
) -> list[Proposal]:
    """Ranked candidates for each of ``positions`` (lines with no reference), for review."""
    if not positions or not index.movements:
        return []
    amounts = index.amounts()
    ranked: dict[int, list[Pair]] = {}
    window = settings.date_window_days
    for position in positions:
        line = lines[position]
        names = _MemoNames(line.text)
        pairs = [
            _score(position, line, movement_pos, index, settings, names)
            for movement_pos in amounts.within(line, settings.amount_tolerance, window)
            if movement_pos not in used_movements
            and (line.id, index.movements[movement_pos].id) not in rejected
        ]
        pairs.sort(key=lambda p: (-p.score, p.movement))
        if pairs:
            ranked[position] = pairs[: settings.candidate_limit]
    wanted = Counter(p.movement for pairs in ranked.values() for p in pairs)
    return [
        _proposal(pair, rank, len(pairs), lines, index, is_contested=wanted[pair.movement] > 1)
        for pairs in ranked.values()
        for rank, pair in enumerate(pairs, start=1)
    ]


def _score(
    position: int,
    line: Line,
    movement_pos: int,
    index: MovementIndex,
    settings: MatchSettings,
    names: _MemoNames,
) -> Pair:
    movement = index.movements[movement_pos]
    pair = Pair(position, movement_pos, 0, "none", [Reason("no_reference")], can_auto=False)
    score_amount(pair, line.amount - movement.amount, settings.amount_tolerance)
    score_date(pair, (line.value_date - movement.expected_date).days, settings)
    similarity = names.similarity(movement.payer_name)
    if similarity == "equal":
        pair.score += _NAME_EQUAL
        pair.reasons.append(Reason("payer_name_equal", {"name": movement.payer_name or ""}))
    elif similarity == "partial":
        pair.score += _NAME_PARTIAL
        pair.reasons.append(Reason("payer_name_partial", {"name": movement.payer_name or ""}))
    return pair


def _proposal(
    pair: Pair,
    rank: int,
    of: int,
    lines: list[Line],
    index: MovementIndex,
    *,
    is_contested: bool,
) -> Proposal:
    reasons = [*pair.reasons, Reason("candidate_rank", {"rank": rank, "of": of})]
    if is_contested:
        reasons.append(Reason("contested"))
    return Proposal(
        "candidate",
        (lines[pair.line].id,),
        (index.movements[pair.movement].id,),
        pair.score,
        tuple(reasons),
        False,
        rank=rank,
        is_contested=is_contested,
    )
