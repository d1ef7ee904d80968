"""Split and merged payments: several lines for one movement, one line for several movements.

A merged payment whose memo names every movement it pays, each by an exact reference or a
look-alike reading that fits one movement only, and whose sum agrees within tolerance, is as
sure as a one-to-one match and may be confirmed automatically (tenant setting). Everything
else here waits for review.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from typing import TYPE_CHECKING

from oms.finance.match_types import Line, MatchSettings, Pair, Proposal
from oms.finance.reasons import Reason

if TYPE_CHECKING:
    from oms.finance.matching import MovementIndex

__all__ = ["merged_auto", "review_groups"]

_MAX_PARTS = 3
_MERGED_AUTO_SCORE = 95


def merged_auto(
    pairs: list[Pair],
    lines: list[Line],
    index: MovementIndex,
    settings: MatchSettings,
    used_lines: set[int],
    used_movements: set[int],
) -> list[Proposal]:
    """Merged payments sure enough to confirm: every named movement, sum within tolerance."""
    by_line: dict[int, list[Pair]] = defaultdict(list)
    wanted: dict[int, set[int]] = defaultdict(set)
    for pair in pairs:
        # A typo reading of a number the memo names exactly is noise (sequential order
        # numbers are one digit apart); only what the memo names counts.
        if pair.via != "typo":
            by_line[pair.line].append(pair)
            wanted[pair.movement].add(pair.line)
    found: list[Proposal] = []
    for line, own in sorted(by_line.items()):
        if _is_sure_merge(own, lines[line], index, settings, wanted):
            movements = sorted(p.movement for p in own)
            if used_movements.intersection(movements):
                continue
            used_lines.add(line)
            used_movements.update(movements)
            proposal = _group("merged", [line], movements, lines, index, is_auto=True)
            found.append(proposal)
    return found


def _is_sure_merge(
    own: list[Pair],
    line: Line,
    index: MovementIndex,
    settings: MatchSettings,
    wanted: dict[int, set[int]],
) -> bool:
    if not 2 <= len(own) <= _MAX_PARTS:
        return False
    for pair in own:
        codes = {r.code for r in pair.reasons}
        if "lookalike_not_unique" in codes or len(wanted[pair.movement]) > 1:
            return False  # an ambiguous reading, or another line names the movement too
    # One payment for several orders is made after the newest of them: the value date must be
    # within the window of that one (older orders may be older than the window).
    newest = max(index.movements[p.movement].expected_date for p in own)
    if abs((line.value_date - newest).days) > settings.date_window_days:
        return False
    total = sum(index.movements[p.movement].amount for p in own)
    return abs(line.amount - total) <= settings.amount_tolerance


def review_groups(
    pairs: list[Pair],
    lines: list[Line],
    index: MovementIndex,
    settings: MatchSettings,
    used_lines: set[int],
    used_movements: set[int],
) -> list[Proposal]:
    """Split and merged payments whose parts add up within tolerance, for review."""
    by_line: dict[int, set[int]] = defaultdict(set)
    by_movement: dict[int, set[int]] = defaultdict(set)
    for pair in pairs:
        by_line[pair.line].add(pair.movement)
        by_movement[pair.movement].add(pair.line)
    found: list[Proposal] = []
    tolerance = settings.amount_tolerance
    for line, movements in by_line.items():
        amounts = {m: index.movements[m].amount for m in movements - used_movements}
        subset = _subset_sum(amounts, lines[line].amount, tolerance)
        if subset and line not in used_lines:
            used_lines.add(line)
            used_movements.update(subset)
            found.append(_group("merged", [line], subset, lines, index, is_auto=False))
    for movement, parts in by_movement.items():
        amounts = {i: lines[i].amount for i in parts - used_lines}
        subset = _subset_sum(amounts, index.movements[movement].amount, tolerance)
        if subset and movement not in used_movements:
            used_movements.add(movement)
            used_lines.update(subset)
            found.append(_group("split", subset, [movement], lines, index, is_auto=False))
    return found


def _subset_sum(amounts: dict[int, int], target: int, tolerance: int) -> list[int] | None:
    keys = sorted(amounts)
    if len(keys) < 2 or len(keys) > 12:
        return None
    for size in range(2, _MAX_PARTS + 1):
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
    *,
    is_auto: bool,
) -> Proposal:
    total_lines = sum(lines[i].amount for i in line_positions)
    total_movements = sum(index.movements[m].amount for m in movement_positions)
    reasons = (
        Reason(
            "group_parts",
            {"kind": kind, "lines": len(line_positions), "movements": len(movement_positions)},
        ),
        Reason("group_sum", {"diff": total_lines - total_movements}),
        Reason("group_all_references") if is_auto else Reason("group_review_only"),
    )
    return Proposal(
        kind,
        tuple(lines[i].id for i in line_positions),
        tuple(index.movements[m].id for m in movement_positions),
        _MERGED_AUTO_SCORE if is_auto else 70,
        reasons,
        is_auto,
    )
