"""Field mappings and signatures: pure, no database."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest

from oms.channels.connectors import Credentials
from oms.channels.connectors.generic import GenericConnector, hub_signature
from oms.channels.connectors.youzan import YouzanConnector
from oms.channels.errors import MappingInvalid, PayloadInvalid, SignatureInvalid
from oms.channels.mapping import load_mapping
from oms.orders.states import OrderEvent
from tests.fixtures.channel_deliveries import body_of, sample, youzan_envelope


def _shopify(**changes: Any) -> dict[str, Any]:
    return sample("shopify_orders_create.json") | changes


def test_every_shipped_mapping_is_valid() -> None:
    for connector in ("shopify", "youzan", "generic"):
        assert load_mapping(connector).connector == connector


def test_money_becomes_minor_units_exactly() -> None:
    mapped = load_mapping("shopify").evaluate(_shopify(total_discounts="0.10"), channel="shopify")
    assert [line.unit_price for line in mapped.order.lines] == [32800, 6900]
    assert (mapped.order.discount, mapped.order.shipping_fee) == (10, 1000)


def test_yen_has_no_minor_unit_and_fractions_of_a_fen_are_refused() -> None:
    mapping = load_mapping("shopify")
    yen = _shopify(currency="JPY", total_discounts="5")
    yen["line_items"] = [dict(yen["line_items"][0], price="3280")]
    yen["total_shipping_price_set"] = None
    assert mapping.evaluate(yen, channel="shopify").order.lines[0].unit_price == 3280
    with pytest.raises(PayloadInvalid):
        mapping.evaluate(_shopify(total_discounts="0.001"), channel="shopify")


def test_phones_are_normalised() -> None:
    mapped = load_mapping("shopify").evaluate(_shopify(), channel="shopify")
    assert mapped.order.buyer.phone == "13800138000"
    assert mapped.order.shipping_address is not None
    assert mapped.order.shipping_address.phone == "13800138000"
    foreign = _shopify(customer={"id": 1, "phone": "+1 (415) 555-0100"})
    assert load_mapping("shopify").evaluate(foreign, channel="shopify").order.buyer.phone == (
        "+14155550100"
    )


def test_statuses_become_events_in_lifecycle_order() -> None:
    mapping = load_mapping("shopify")
    shipped = _shopify(fulfillment_status="fulfilled", financial_status="paid")
    assert mapping.evaluate(shipped, channel="shopify").events == [OrderEvent.PAY, OrderEvent.SHIP]
    cancelled = sample("shopify_orders_cancelled.json")
    assert mapping.evaluate(cancelled, channel="shopify").events == [OrderEvent.CANCEL]
    assert mapping.evaluate(_shopify(), channel="shopify").events == []


def test_the_platform_updated_at_is_an_aware_instant() -> None:
    mapped = load_mapping("shopify").evaluate(_shopify(), channel="shopify")
    assert mapped.platform_updated_at == datetime(2026, 1, 24, 5, 0, 1, tzinfo=UTC)


def test_overrides_merge_over_the_shipped_mapping_and_are_checked() -> None:
    mapping = load_mapping("shopify", {"order": {"note": {"path": "name"}}})
    assert mapping.evaluate(_shopify(), channel="shopify").order.note == "#1042"
    with pytest.raises(MappingInvalid):
        load_mapping("shopify", {"order": {"note": {"path": "name", "transform": "rot13"}}})
    with pytest.raises(MappingInvalid):
        load_mapping("shopify", {"events": [{"path": "x", "map": {"a": "teleport"}}]})


def test_the_hub_signature_matches_the_known_answer() -> None:
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert hub_signature("It's a Secret to Everybody", b"Hello, World!") == expected


def test_standard_webhooks_known_answer_verifies_at_its_own_time() -> None:
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }
    credentials = Credentials("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    at = datetime.fromtimestamp(1614265330, tz=UTC)
    GenericConnector().verify(credentials, headers, b'{"test": 2432232314}', now=at)
    with pytest.raises(SignatureInvalid):
        GenericConnector().verify(credentials, headers, b'{"test": 2432232315}', now=at)
    garbled = headers | {"webhook-signature": "v1"}
    with pytest.raises(SignatureInvalid):
        GenericConnector().verify(credentials, garbled, b'{"test": 2432232314}', now=at)


def test_youzan_signs_the_still_encoded_msg() -> None:
    envelope = youzan_envelope(
        sample("youzan_trade_paid.json"), client_id="cid", secret="s3cr3t-key"
    )
    expected = hashlib.md5(("cid" + envelope["msg"] + "s3cr3t-key").encode()).hexdigest()  # noqa: S324
    assert envelope["sign"] == expected
    connector = YouzanConnector()
    now = datetime.now(UTC)
    connector.verify(Credentials("s3cr3t-key", "cid"), {}, body_of(envelope), now=now)
    with pytest.raises(SignatureInvalid):
        connector.verify(Credentials("s3cr3t-key", "other"), {}, body_of(envelope), now=now)
    assert connector.identify({}, body_of(envelope)).message_id == envelope["msg_id"]
    legacy = {k: v for k, v in envelope.items() if k != "msg_id"}
    assert connector.identify({}, body_of(legacy)).message_id == (
        f"TRADE_ORDER_STATE:{envelope['id']}:WAIT_SELLER_SEND_GOODS:{envelope['version']}"
    )
