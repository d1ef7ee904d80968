"""Parsing the orders list's filters, the reasons of events and the refund form."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oms.console import forms
from oms.core.errors import AppError, ValidationFailed
from oms.orders.states import OrderStatus


def _filter(**given: str | list[str] | None) -> forms.OrderFilter:
    base: dict[str, str | list[str] | None] = {
        "status": None,
        "channel": None,
        "created_from": None,
        "created_to": None,
        "q": None,
        "cursor": None,
    }
    return forms.order_filter(**(base | given), timezone="Asia/Shanghai")  # type: ignore[arg-type]


def test_several_statuses_are_kept_once_each_and_unknown_ones_dropped() -> None:
    flt = _filter(status=["paid", "cancelled", "paid", "nonsense", ""])
    assert list(flt.statuses) == [OrderStatus.PAID, OrderStatus.CANCELLED]
    assert flt.wide_search and flt.sort == "-created_at"


def test_paid_bounds_are_local_dates_or_times_in_the_tenants_zone() -> None:
    flt = _filter(paid_after="2026-01-24", paid_before="2026-01-24T13:30")
    assert flt.paid_from == datetime(2026, 1, 23, 16, 0, tzinfo=UTC)
    assert flt.paid_to == datetime(2026, 1, 24, 5, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "given",
    [
        {"paid_after": "24/01/2026"},
        {"paid_before": "2026-13-01"},
        {"unshipped_hours": "0"},
        {"unshipped_hours": "-3"},
        {"unshipped_hours": "99999"},
        {"sort": "buyer"},
        {"sort": "--total"},
    ],
)
def test_filters_that_do_not_parse_are_refused(given: dict[str, str]) -> None:
    with pytest.raises(AppError) as refused:
        _filter(**given)
    assert refused.value.http_status == 422


def test_the_unshipped_age_and_sort_are_read() -> None:
    flt = _filter(unshipped_hours="24", sort="-total")
    assert flt.unshipped_hours == 24 and flt.sort == "-total"


def test_cancel_hold_and_close_need_a_reason_of_their_own_list() -> None:
    for event in ("cancel", "hold", "close"):
        with pytest.raises(ValidationFailed):
            forms.event_command(event, None)
    with pytest.raises(ValidationFailed):
        forms.event_command("hold", None, reason_code="out_of_stock")  # a cancel reason
    held = forms.event_command("hold", 3, reason_code="fraud_review", reason_text=" 大额 ")
    assert held.reason == "fraud_review: 大额" and held.source == "console"
    assert forms.event_command("pay", None).reason is None


def test_a_stored_reason_splits_into_its_code_and_text() -> None:
    assert forms.reason_parts("buyer_request: 拍错了") == ("buyer_request", "拍错了")
    assert forms.reason_parts("buyer_request") == ("buyer_request", "")
    assert forms.reason_parts("unpaid at the payment deadline") == (
        None,
        "unpaid at the payment deadline",
    )


@pytest.mark.parametrize(
    ("typed", "fen"), [("12.50", 1250), ("12.5", 1250), ("¥1,000", 100000), ("0.01", 1)]
)
def test_refund_amounts_are_yuan_turned_into_fen(typed: str, fen: int) -> None:
    form = forms.refund_form(amount=typed, reason="quality", note="")
    assert form.amount == fen
    command = form.command("o-1", "r-1")
    assert command.amount == fen and not command.whole_order and command.request_id == "r-1"


def test_a_blank_refund_amount_is_the_whole_order() -> None:
    command = forms.refund_form(amount=" ", reason="wrong_item", note="n").command("o-1", None)
    assert command.whole_order and command.amount is None and command.customer_note == "n"


@pytest.mark.parametrize("typed", ["1.234", "0", "-5", "abc", "NaN", "1e3", "100000000000"])
def test_refund_amounts_that_are_not_positive_fen_are_refused(typed: str) -> None:
    with pytest.raises(ValidationFailed):
        forms.refund_form(amount=typed, reason="quality", note="")


def test_an_unknown_refund_reason_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        forms.refund_form(amount="", reason="because", note="")


def test_bulk_selections_are_deduplicated_and_bounded() -> None:
    assert forms.bulk_ids(["a", "b", "a", " "]) == ["a", "b"]
    with pytest.raises(ValidationFailed):
        forms.bulk_ids([])
    with pytest.raises(ValidationFailed):
        forms.bulk_ids([str(i) for i in range(forms.MAX_BULK + 1)])
