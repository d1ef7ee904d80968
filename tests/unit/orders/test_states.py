"""The transition table, pair by pair, and how attempts are classified."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from oms.core.audit import Outcome
from oms.core.errors import AppError
from oms.orders.states import (
    AppliedEvent,
    Decision,
    OrderEvent,
    OrderStatus,
    allowed_events,
    decide,
)

S, E = OrderStatus, OrderEvent
NOW = datetime(2026, 1, 24, 5, 22, 7, tzinfo=UTC)

# The lifecycle as the README documents it, written out independently of states.py.
SPEC: dict[tuple[OrderEvent, OrderStatus], OrderStatus] = {
    (E.PAY, S.PENDING_PAYMENT): S.PAID,
    (E.CANCEL, S.PENDING_PAYMENT): S.CANCELLED,
    (E.CANCEL, S.PAID): S.CANCELLED,
    (E.CANCEL, S.ON_HOLD): S.CANCELLED,
    (E.PAYMENT_TIMEOUT, S.PENDING_PAYMENT): S.CANCELLED,
    (E.HOLD, S.PAID): S.ON_HOLD,
    (E.RELEASE, S.ON_HOLD): S.PAID,
    (E.PARTIAL_SHIP, S.PAID): S.PARTIALLY_SHIPPED,
    (E.SHIP, S.PAID): S.SHIPPED,
    (E.SHIP, S.PARTIALLY_SHIPPED): S.SHIPPED,
    (E.DELIVER, S.SHIPPED): S.DELIVERED,
    (E.COMPLETE, S.DELIVERED): S.COMPLETED,
    (E.CLOSE, S.PAID): S.CLOSED,
    (E.CLOSE, S.ON_HOLD): S.CLOSED,
    (E.CLOSE, S.PARTIALLY_SHIPPED): S.CLOSED,
    (E.CLOSE, S.SHIPPED): S.CLOSED,
    (E.CLOSE, S.DELIVERED): S.CLOSED,
    (E.CLOSE, S.COMPLETED): S.CLOSED,
}
ALL_PAIRS = [(event, status) for event in OrderEvent for status in OrderStatus]


def _decide(event: OrderEvent, status: OrderStatus, **kwargs: object) -> Decision:
    args: dict[str, object] = {
        "event": event,
        "status": status,
        "version": 3,
        "expected_version": None,
        "source": "erp:wangdiantong",
        "occurred_at": NOW,
        "history": [],
    }
    args.update(kwargs)
    return decide(**args)  # type: ignore[arg-type]


def _error(decision: Decision) -> AppError:
    assert decision.error is not None
    return decision.error


@pytest.mark.parametrize(("event", "status"), ALL_PAIRS, ids=lambda v: str(v))
def test_every_event_status_pair_follows_the_documented_table(
    event: OrderEvent, status: OrderStatus
) -> None:
    decision = _decide(event, status)
    expected = SPEC.get((event, status))
    if expected is not None:
        assert decision.outcome == Outcome.APPLIED
        assert decision.to_status == expected
    elif status in {to for (ev, _), to in SPEC.items() if ev == event}:
        # The order already sits where this event leads: a duplicate, not an error.
        assert decision.outcome == Outcome.DUPLICATE
    else:
        assert decision.outcome == Outcome.REJECTED
        assert _error(decision).code == "ERR_ORDER_ILLEGAL_TRANSITION"
        assert _error(decision).details["current_status"] == status


@pytest.mark.parametrize("status", list(OrderStatus))
def test_allowed_events_are_exactly_the_table_entries(status: OrderStatus) -> None:
    assert set(allowed_events(status)) == {ev for (ev, st) in SPEC if st == status}


def test_terminal_statuses_allow_nothing() -> None:
    assert allowed_events(S.CANCELLED) == []
    assert allowed_events(S.CLOSED) == []


def test_a_redelivered_event_that_was_applied_before_is_a_duplicate() -> None:
    history = [AppliedEvent("pay", "gateway:alipay", NOW - timedelta(hours=1))]
    decision = _decide(E.PAY, S.SHIPPED, history=history, source="gateway:alipay")
    assert decision.outcome == Outcome.DUPLICATE


def test_pay_on_a_cancelled_order_that_never_paid_is_illegal() -> None:
    decision = _decide(E.PAY, S.CANCELLED)
    assert _error(decision).code == "ERR_ORDER_ILLEGAL_TRANSITION"


def test_an_event_older_than_the_last_one_from_its_source_is_stale() -> None:
    history = [AppliedEvent("pay", "erp:wangdiantong", NOW)]
    decision = _decide(E.HOLD, S.PAID, history=history, occurred_at=NOW - timedelta(seconds=1))
    assert decision.outcome == Outcome.STALE


def test_an_older_event_from_another_source_is_not_stale() -> None:
    history = [AppliedEvent("pay", "gateway:alipay", NOW)]
    decision = _decide(E.HOLD, S.PAID, history=history, occurred_at=NOW - timedelta(seconds=1))
    assert decision.outcome == Outcome.APPLIED


def test_an_event_at_the_same_instant_as_the_last_is_not_stale() -> None:
    history = [AppliedEvent("pay", "erp:wangdiantong", NOW)]
    decision = _decide(E.HOLD, S.PAID, history=history, occurred_at=NOW)
    assert decision.outcome == Outcome.APPLIED


def test_a_stale_expected_version_is_a_version_mismatch() -> None:
    decision = _decide(E.SHIP, S.PAID, version=4, expected_version=3)
    assert _error(decision).code == "ERR_ORDER_VERSION_MISMATCH"
    assert _error(decision).details["current_version"] == 4


def test_a_matching_expected_version_applies() -> None:
    decision = _decide(E.SHIP, S.PAID, version=4, expected_version=4)
    assert decision.to_status == S.SHIPPED


def test_illegality_is_reported_before_a_version_mismatch() -> None:
    decision = _decide(E.DELIVER, S.PAID, version=4, expected_version=1)
    assert _error(decision).code == "ERR_ORDER_ILLEGAL_TRANSITION"


def test_a_duplicate_is_reported_even_with_an_old_expected_version() -> None:
    history = [AppliedEvent("pay", "gateway:alipay", NOW)]
    decision = _decide(E.PAY, S.PAID, history=history, version=2, expected_version=1)
    assert decision.outcome == Outcome.DUPLICATE
