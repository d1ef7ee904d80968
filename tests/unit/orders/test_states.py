"""The transition table, pair by pair, and how attempts are classified."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from oms.core.audit import Outcome
from oms.core.errors import AppError
from oms.orders.states import (
    MACHINE,
    SYSTEM_EVENTS,
    AppliedEvent,
    Decision,
    OrderEvent,
    OrderStatus,
    allowed_events,
    decide,
)

S, E = OrderStatus, OrderEvent
NOW = datetime(2026, 1, 24, 5, 22, 7, tzinfo=UTC)

# The lifecycle as specified, written out independently of states.py (whose table the docs show).
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


def test_an_older_event_from_another_source_that_would_leave_the_status_is_a_conflict() -> None:
    history = [AppliedEvent("pay", "gateway:alipay", NOW, version_after=2, entry_id="e-pay")]
    decision = _decide(E.HOLD, S.PAID, history=history, occurred_at=NOW - timedelta(seconds=1))
    assert decision.outcome == Outcome.CONFLICT
    assert decision.to_status is None
    assert _error(decision).code == "ERR_ORDER_STALE_EVENT"
    assert _error(decision).http_status == 409


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


# Out-of-order events from different systems (issue 9, item 0).

PAID_AT = datetime(2026, 1, 24, 13, 1, tzinfo=UTC)  # the gateway's payment
ERP_TIMEOUT_AT = datetime(2026, 1, 24, 12, 55, tzinfo=UTC)  # the ERP's own timeout, written earlier
CREATED = AppliedEvent("create", "channel:tmall", NOW - timedelta(days=1), version_after=1)
PAID_BY_GATEWAY = AppliedEvent("pay", "gateway:alipay", PAID_AT, version_after=2, entry_id="e-2")


def test_a_late_erp_cancel_older_than_the_gateway_payment_does_not_cancel_the_paid_order() -> None:
    decision = _decide(
        E.CANCEL,
        S.PAID,
        source="erp",
        occurred_at=ERP_TIMEOUT_AT,
        history=[CREATED, PAID_BY_GATEWAY],
    )
    assert decision.outcome == Outcome.CONFLICT
    details = _error(decision).details
    assert details["later_event"] == "pay"
    assert details["later_source"] == "gateway:alipay"
    assert details["later_occurred_at"] == PAID_AT.isoformat()
    assert details["later_entry_id"] == "e-2"
    assert details["occurred_at"] == ERP_TIMEOUT_AT.isoformat()
    assert details["current_status"] == "paid"


def test_the_conflict_is_judged_against_the_last_status_change_not_the_newest_time() -> None:
    # The gateway paid at 13:01; a person held the order later but stamped (now) 12:58 by
    # clock skew. The hold set the status, so a 13:00 cancel is newer than it.
    held = AppliedEvent("hold", "console", PAID_AT - timedelta(minutes=3), version_after=3)
    history = [CREATED, PAID_BY_GATEWAY, held]
    at_13_00 = PAID_AT - timedelta(minutes=1)
    decision = _decide(E.CANCEL, S.ON_HOLD, source="erp", occurred_at=at_13_00, history=history)
    assert decision.outcome == Outcome.APPLIED


def test_a_later_event_from_another_source_applies() -> None:
    later = PAID_AT + timedelta(minutes=4)
    decision = _decide(
        E.CANCEL, S.PAID, source="crm", occurred_at=later, history=[CREATED, PAID_BY_GATEWAY]
    )
    assert decision.outcome == Outcome.APPLIED and decision.to_status == S.CANCELLED


def test_an_event_older_than_the_create_only_is_not_a_conflict() -> None:
    # Placing the order set its first status but changed none: channel and gateway clocks
    # differ, and a payment "before" the channel's placed_at is still the payment.
    decision = _decide(
        E.PAY, S.PENDING_PAYMENT, occurred_at=NOW - timedelta(days=2), history=[CREATED]
    )
    assert decision.outcome == Outcome.APPLIED


def test_an_event_without_occurred_at_is_never_stale_nor_in_conflict() -> None:
    future = AppliedEvent("pay", "erp:wangdiantong", NOW + timedelta(hours=1), version_after=2)
    decision = _decide(E.HOLD, S.PAID, occurred_at=None, history=[CREATED, future])
    assert decision.outcome == Outcome.APPLIED


def test_an_illegal_old_event_is_illegal_not_a_conflict() -> None:
    decision = _decide(
        E.DELIVER, S.PAID, source="erp", occurred_at=ERP_TIMEOUT_AT, history=[PAID_BY_GATEWAY]
    )
    assert _error(decision).code == "ERR_ORDER_ILLEGAL_TRANSITION"


def test_an_old_event_whose_effect_is_in_place_is_a_duplicate_not_a_conflict() -> None:
    cancelled = AppliedEvent("cancel", "crm", PAID_AT, version_after=3)
    decision = _decide(
        E.CANCEL, S.CANCELLED, source="erp", occurred_at=ERP_TIMEOUT_AT, history=[cancelled]
    )
    assert decision.outcome == Outcome.DUPLICATE


def test_the_same_source_rule_comes_first_an_older_own_message_is_stale() -> None:
    # The ERP itself moved on: its older message is answered 200 stale, no ticket.
    own = AppliedEvent("hold", "erp", PAID_AT, version_after=3)
    decision = _decide(E.CANCEL, S.ON_HOLD, source="erp", occurred_at=ERP_TIMEOUT_AT, history=[own])
    assert decision.outcome == Outcome.STALE


def test_the_conflict_is_reported_before_a_version_mismatch() -> None:
    decision = _decide(
        E.CANCEL,
        S.PAID,
        source="erp",
        occurred_at=ERP_TIMEOUT_AT,
        history=[PAID_BY_GATEWAY],
        version=2,
        expected_version=1,
    )
    assert _error(decision).code == "ERR_ORDER_STALE_EVENT"


# payment_timeout only when due (issue 9, item 3a; who may send it is the service's check).

DUE_AT = NOW + timedelta(minutes=15)


def test_a_payment_timeout_before_the_deadline_is_not_due() -> None:
    decision = _decide(
        E.PAYMENT_TIMEOUT,
        S.PENDING_PAYMENT,
        now=DUE_AT - timedelta(seconds=1),
        payment_due_at=DUE_AT,
    )
    assert decision.outcome == Outcome.REJECTED
    assert _error(decision).code == "ERR_ORDER_NOT_DUE"
    assert _error(decision).details["payment_due_at"] == DUE_AT.isoformat()


def test_a_payment_timeout_at_the_deadline_applies() -> None:
    decision = _decide(E.PAYMENT_TIMEOUT, S.PENDING_PAYMENT, now=DUE_AT, payment_due_at=DUE_AT)
    assert decision.to_status == S.CANCELLED


def test_only_the_payment_timeout_is_a_system_event() -> None:
    assert {E.PAYMENT_TIMEOUT} == SYSTEM_EVENTS


# --- the table on the shared machine ---------------------------------------------------------


@pytest.mark.parametrize("status", list(OrderStatus), ids=str)
def test_the_machine_table_is_the_event_table_flattened(status: OrderStatus) -> None:
    targets = {to for (_, st), to in SPEC.items() if st == status}
    assert MACHINE.allowed(status) == [s for s in OrderStatus if s in targets]


def test_a_planned_move_stamps_a_column_only_the_first_time() -> None:
    first = MACHINE.plan(S.PAID, event=E.PARTIAL_SHIP, now=NOW)
    assert first == {"status": "partially_shipped", "updated_at": NOW, "shipped_at": NOW}
    later = NOW + timedelta(days=2)
    last = MACHINE.plan(S.PARTIALLY_SHIPPED, event=E.SHIP, now=later, stamped={"shipped_at"})
    assert last == {"status": "shipped", "updated_at": later}  # the first parcel's time stays


def test_the_machine_refuses_an_event_with_the_error_decide_gives() -> None:
    decided = _error(_decide(E.SHIP, S.PENDING_PAYMENT))
    with pytest.raises(AppError) as refused:
        MACHINE.plan(S.PENDING_PAYMENT, event=E.SHIP, now=NOW)
    assert refused.value.code == decided.code == "ERR_ORDER_ILLEGAL_TRANSITION"
    assert refused.value.details == decided.details
    assert refused.value.details["allowed_events"] == ["pay", "cancel", "payment_timeout"]
