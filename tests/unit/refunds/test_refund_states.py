"""The refund transition table, pair by pair, and the SLA arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from oms.refunds.errors import IllegalRefundTransition
from oms.refunds.schemas import Colour
from oms.refunds.sla import colour_of, exposure
from oms.refunds.states import RefundStatus, can_transition, event_name, transition

S = RefundStatus
ALLOWED = {
    (S.REQUESTED, S.APPROVED),
    (S.REQUESTED, S.REJECTED),
    (S.APPROVED, S.REFUNDING),
    (S.REFUNDING, S.REFUNDED),
    (S.REFUNDING, S.FAILED),
    (S.FAILED, S.REFUNDING),
}
T0 = datetime(2026, 1, 24, 5, 0, tzinfo=UTC)


@dataclass
class _Refund:
    status: str
    updated_at: datetime = T0
    reviewed_at: datetime | None = None
    refunded_at: datetime | None = None
    failed_at: datetime | None = None


@pytest.mark.parametrize(("current", "to"), list(product(S, S)))
def test_every_pair_follows_the_table(current: RefundStatus, to: RefundStatus) -> None:
    refund = _Refund(str(current))
    now = T0 + timedelta(hours=1)
    assert can_transition(current, to) == ((current, to) in ALLOWED)
    if (current, to) in ALLOWED:
        assert transition(refund, to, now=now) == str(current)
        assert (refund.status, refund.updated_at) == (str(to), now)
        assert event_name(to).startswith("refund_")
    else:
        with pytest.raises(IllegalRefundTransition):
            transition(refund, to, now=now)
        assert refund.status == str(current)


def test_transitions_stamp_when_they_happened() -> None:
    refund = _Refund("requested")
    transition(refund, S.APPROVED, now=T0)
    transition(refund, S.REFUNDING, now=T0)
    transition(refund, S.FAILED, now=T0 + timedelta(1))
    transition(refund, S.REFUNDING, now=T0 + timedelta(2))
    transition(refund, S.REFUNDED, now=T0 + timedelta(3))
    assert (refund.reviewed_at, refund.failed_at, refund.refunded_at) == (
        T0,
        T0 + timedelta(1),
        T0 + timedelta(3),
    )


@pytest.mark.parametrize(
    ("hours", "colour"),
    [
        (0, Colour.GREEN),
        (11.99, Colour.GREEN),
        (12, Colour.YELLOW),
        (23.99, Colour.YELLOW),
        (24, Colour.ORANGE),
        (35.99, Colour.ORANGE),
        (36, Colour.RED),
        (100, Colour.RED),
    ],
)
def test_the_board_colour_follows_the_age(hours: float, colour: Colour) -> None:
    assert colour_of(timedelta(hours=hours)) == colour


@pytest.mark.parametrize(
    ("hours", "reviewed_after", "incurred", "at_risk"),
    [
        (1, None, 0, 500 + 1000),  # both penalties still avoidable
        (24, None, 500, 1000),  # not reviewed by 24 h: 5 % owed
        (30, 2, 0, 1000),  # reviewed in time: only the 10 % remains at risk
        (30, 25, 500, 1000),  # reviewed late: the 5 % stays owed
        (48, 2, 1000, 0),  # not refunded by 48 h: 10 % owed
        (48, None, 1500, 0),
    ],
)
def test_exposure_counts_what_is_owed_and_what_is_at_risk(
    hours: float, reviewed_after: float | None, incurred: int, at_risk: int
) -> None:
    reviewed = None if reviewed_after is None else T0 + timedelta(hours=reviewed_after)
    assert exposure(
        order_total=10_000, requested_at=T0, reviewed_at=reviewed, now=T0 + timedelta(hours=hours)
    ) == (incurred, at_risk)
