"""The values the matching engine works on: lines, movements, settings, pairs, proposals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from oms.finance.reasons import Reason

__all__ = ["Line", "MatchSettings", "Movement", "Pair", "Proposal", "score_amount", "score_date"]


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
    refund_no: str | None = None
    gateway_refund_no: str | None = None
    payer_name: str | None = None


@dataclass(frozen=True, slots=True)
class MatchSettings:
    amount_tolerance: int = 50
    date_window_days: int = 3
    auto_confirm_score: int = 80
    auto_confirm_merged: bool = True
    candidate_limit: int = 3


@dataclass(frozen=True, slots=True)
class Proposal:
    """``kind``: one_to_one, split (n lines → 1 movement), merged (1 line → n movements) or
    candidate (a line with no reference: ``rank`` 1 is the best of its candidates)."""

    kind: str
    line_ids: tuple[str, ...]
    movement_ids: tuple[str, ...]
    score: int
    reasons: tuple[Reason, ...]
    is_auto: bool
    rank: int | None = None
    is_contested: bool = False


@dataclass(slots=True)
class Pair:
    line: int
    movement: int
    score: int
    via: str  # exact | lookalike | typo
    reasons: list[Reason] = field(default_factory=list)
    is_ambiguous: bool = False
    can_auto: bool = True
    amount_agrees: bool = False
    date_agrees: bool = False


def score_amount(pair: Pair, diff: int, tolerance: int) -> None:
    """Add the amount's points and reason to ``pair``."""
    if diff == 0:
        pair.score += 30
        pair.amount_agrees = True
        pair.reasons.append(Reason("amount_equal"))
    elif abs(diff) <= tolerance:
        pair.score += 25 - (5 * abs(diff)) // max(tolerance, 1)
        pair.amount_agrees = True
        pair.reasons.append(
            Reason("amount_within_tolerance", {"diff": diff, "tolerance": tolerance})
        )
    else:
        pair.score -= 30
        pair.can_auto = False
        pair.reasons.append(
            Reason("amount_beyond_tolerance", {"diff": diff, "tolerance": tolerance})
        )


def score_date(pair: Pair, days: int, settings: MatchSettings) -> None:
    """Add the value date's points and reason to ``pair``."""
    if abs(days) <= settings.date_window_days:
        pair.score += 10 - 2 * abs(days)
        pair.date_agrees = True
        pair.reasons.append(Reason("date_within_window", {"days": days}))
    else:
        pair.score -= 20
        pair.reasons.append(
            Reason("date_outside_window", {"days": days, "window": settings.date_window_days})
        )
