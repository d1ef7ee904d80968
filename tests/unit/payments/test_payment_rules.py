"""Payment rules without a database: the transition table, exact money, Alipay's strings."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from oms.payments.errors import InvalidPaymentTransition, MalformedNotification
from oms.payments.gateways.alipay import parse_form, response_text, signing_string, yuan_to_fen
from oms.payments.states import TRANSITIONS, PaymentStatus, can_transition, transition

NOW = datetime(2026, 1, 24, 5, 0, tzinfo=UTC)
PAIRS = [(a, b) for a in PaymentStatus for b in PaymentStatus]


@pytest.mark.parametrize(("current", "to"), PAIRS)
def test_every_payment_transition_follows_the_table(
    current: PaymentStatus, to: PaymentStatus
) -> None:
    payment = SimpleNamespace(status=current.value, problem=None, settled_at=None, updated_at=NOW)
    allowed = current == PaymentStatus.RECEIVED and to != PaymentStatus.RECEIVED
    assert can_transition(current, to) is allowed
    assert (to in TRANSITIONS[current]) is allowed
    if allowed:
        assert transition(payment, to, problem="why", now=NOW) == current.value
        assert (payment.status, payment.problem, payment.settled_at) == (to.value, "why", NOW)
    else:
        with pytest.raises(InvalidPaymentTransition):
            transition(payment, to, problem=None, now=NOW)
        assert payment.status == current.value


@pytest.mark.parametrize(
    ("text", "fen"), [("730.00", 73000), ("0.01", 1), ("12", 1200), ("0.1", 10), (" 9.99 ", 999)]
)
def test_yuan_become_fen_exactly(text: str, fen: int) -> None:
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize(
    "text",
    [
        "1.001",
        "-1.00",
        "abc",
        "NaN",
        "Infinity",
        "",
        "1e3",
        "٣",
        "+1.00",
        "9" * 400,
        "10000000000.01",
    ],
)
def test_amounts_that_are_not_yuan_and_fen_are_refused(text: str) -> None:
    with pytest.raises(MalformedNotification):
        yuan_to_fen(text)


def test_the_notification_string_is_sorted_raw_and_keeps_empty_values() -> None:
    params = {"b": "2", "a": "x y&z", "sign": "S", "sign_type": "RSA2", "c": ""}
    assert signing_string(params) == "a=x y&z&b=2&c="
    assert signing_string(params, drop_empty=True) == "a=x y&z&b=2"


def test_a_form_is_decoded_once_and_duplicates_are_refused() -> None:
    assert parse_form(b"subject=%E9%BE%99%E4%BA%95&x=") == {"subject": "龙井", "x": ""}
    with pytest.raises(MalformedNotification):
        parse_form(b"a=1&a=2")
    with pytest.raises(MalformedNotification):
        parse_form(b"a=%E9%BE")


def test_the_signed_response_text_is_the_exact_substring() -> None:
    inner = '{"code": "10000", "x": "\\u9f99"}'
    raw = '{"other": {"k": "}"},  "alipay_trade_query_response" : ' + inner + ' ,"sign":"s"}'
    assert response_text(raw, "alipay_trade_query_response") == inner
    with pytest.raises(ValueError, match="no member"):
        response_text('{"sign": "s"}', "alipay_trade_query_response")
