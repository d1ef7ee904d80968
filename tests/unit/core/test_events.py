"""Every outbox event, round trip through its payload, and the payloads rows already hold.

The events are found, not listed: every ``Event`` class declared in a module named
``events`` under ``oms`` is picked up, so a new event is covered the day it is declared.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import pkgutil
import types
from datetime import UTC, date, datetime
from typing import Any, Union, get_args, get_origin, get_type_hints

import pytest

import oms
from oms.alerts.events import AlertRaised
from oms.core.outbox import Event, UndecodableEvent

TENANT = "tenant-1"


def _event_classes() -> list[type[Event]]:
    found: dict[str, type[Event]] = {}
    for info in pkgutil.walk_packages(oms.__path__, prefix="oms."):
        if info.name.rsplit(".", 1)[-1] != "events":
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            is_event = isinstance(value, type) and issubclass(value, Event) and value is not Event
            if is_event and value.__module__ == module.__name__:
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


EVENTS = _event_classes()


def _sample(hint: Any, name: str) -> Any:
    """A value of type ``hint``; a type with no rule here fails, so add one for it."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        return _sample(next(a for a in args if a is not type(None)), name)
    if origin is tuple:
        return (_sample(args[0], name),)
    if origin is dict or hint is dict:
        return {"k": "v", "n": 1, "none": None}
    samples: dict[Any, Any] = {str: f"{name}-1", int: 7, bool: True, date: date(2026, 1, 24)}
    samples[datetime] = datetime(2026, 1, 24, 5, 0, 1, tzinfo=UTC)
    if hint in samples:
        return samples[hint]
    if hint is Any:
        return "any"
    raise AssertionError(f"no sample value for {hint!r} (field {name}): add one to _sample")


def _example(event_type: type[Event]) -> Event:
    hints = get_type_hints(event_type)
    values = {
        f.name: _sample(hints[f.name], f.name)
        for f in dataclasses.fields(event_type)
        if f.name != "tenant_id"
    }
    return event_type(tenant_id=TENANT, **values)


def test_the_events_are_found() -> None:
    topics = {event.topic for event in EVENTS}
    assert topics >= {
        "order.created",
        "order.status_changed",
        "order.payment_timeout_due",
        "payment.confirm",
        "refund.execute",
        "alert.raised",
        "webhook.deliver",
        "finance.pull",
        "stock.available",
    }


def test_no_two_events_share_a_topic() -> None:
    topics = [event.topic for event in EVENTS]
    assert len(topics) == len(set(topics))


@pytest.mark.parametrize("event_type", EVENTS, ids=lambda e: e.topic)
def test_an_event_is_a_frozen_keyword_only_dataclass_with_slots(event_type: type[Event]) -> None:
    assert event_type.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert all(f.kw_only for f in dataclasses.fields(event_type))
    assert "__slots__" in vars(event_type)
    assert isinstance(event_type.topic, str) and event_type.topic


@pytest.mark.parametrize("event_type", EVENTS, ids=lambda e: e.topic)
def test_an_event_round_trips_through_its_stored_json_payload(event_type: type[Event]) -> None:
    event = _example(event_type)
    payload = event.to_payload()
    assert "tenant_id" not in payload  # the row's column, not the payload's
    stored = json.loads(json.dumps(payload))  # what the JSON column gives back
    assert stored == payload
    assert event_type.from_payload(TENANT, stored) == event


def _required(event_type: type[Event]) -> list[str]:
    return [
        f.name
        for f in dataclasses.fields(event_type)
        if f.name != "tenant_id"
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]


@pytest.mark.parametrize("event_type", [e for e in EVENTS if _required(e)], ids=lambda e: e.topic)
def test_a_payload_missing_a_field_does_not_decode(event_type: type[Event]) -> None:
    payload = _example(event_type).to_payload()
    del payload[_required(event_type)[0]]
    with pytest.raises(UndecodableEvent, match=event_type.__name__):
        event_type.from_payload(TENANT, payload)


# Payloads as the releases before typed events wrote them (the keys are the contract: rows in
# a database, the NATS relay and webhook bodies carry them).
LEGACY = {
    "order.created": {
        "order_id": "o1",
        "order_no": "260124000000001234",
        "status": "pending_payment",
        "channel": "web",
        "total": 12900,
    },
    "order.payment_timeout_due": {
        "order_id": "o1",
        "order_no": "260124000000001234",
        "status": "pending_payment",
    },
    "order.status_changed": {
        "order_id": "o1",
        "order_no": "260124000000001234",
        "event": "pay",
        "from_status": "pending_payment",
        "to_status": "paid",
        "version": 2,
    },
    "order.stock_shortage": {
        "order_id": "o1",
        "order_no": "260124000000001234",
        "lines": [{"sku": "TEA", "requested": 2, "available": 1, "short": 1}],
    },
    "stock.available": {"skus": ["CUP", "TEA"]},
    "payment.confirm": {"payment_id": "p1", "order_id": "o1"},
    "payment.orphaned": {
        "payment_id": "p1",
        "order_id": "o1",
        "order_no": "260124000000001234",
        "gateway": "alipay",
        "trade_no": "2026012422001400000000000001",
        "amount": 12900,
        "currency": "CNY",
        "order_status": "cancelled",
    },
    "refund.execute": {"refund_id": "r1", "order_id": "o1"},
    "refund.feedback_requested": {
        "refund_id": "r1",
        "order_id": "o1",
        "order_no": "260124000000001234",
        "url": "/feedback/tok",
        "expires_at": "2026-02-07T12:00:00+00:00",
    },
    "alert.raised": {
        "type": "ticket.payment_orphaned",
        "ticket_id": "t1",
        "order_id": None,
        "title": "支付需退回",
        "severity": "high",
    },
    "alert.send": {"notification_id": "n1"},
    "webhook.deliver": {"delivery_id": "d1", "replay": True},
    "finance.pull": {"source_id": "s1", "bill_date": "2026-01-23"},
    "channel.delivery_deferred": {"channel": "shopify", "inbox_id": "i1"},
    "payment.confirmed": {
        "payment_id": "p1",
        "order_id": "o1",
        "order_no": "260124000000001234",
        "gateway": "alipay",
        "trade_no": "2026012422001400000000000001",
        "amount": 12900,
        "currency": "CNY",
        "paid_at": "2026-01-24T05:00:01Z",
    },
    "refund.succeeded": {
        "refund_id": "r1",
        "order_id": "o1",
        "order_no": "260124000000001234",
        "scope": "whole",
        "gateway": "alipay",
        "trade_no": "2026012422001400000000000001",
        "amount": 12900,
        "currency": "CNY",
        "refunded_at": "2026-01-25T02:00:00Z",
    },
    "accounting.send": {"document_id": "d1"},
    "shipment.recorded": {
        "shipment_id": "s1",
        "order_id": "o1",
        "carrier": "shunfeng",
        "tracking_no": "SF1234567890",
    },
    "notification.send": {"message_id": "m1", "order_id": "o1"},
    "shipment.tracking_changed": {
        "shipment_id": "s1",
        "order_id": "o1",
        "carrier": "shunfeng",
        "tracking_no": "SF1234567890",
        "from_status": None,
        "to_status": "at_hub",
        "sub_status": "arrived",
        "location": "广东省广州市",
        "text": "到达 广州转运中心",
        "at": "2026-01-24T05:00:01+00:00",
    },
}


def test_every_event_has_a_legacy_payload_here() -> None:
    assert set(LEGACY) == {event.topic for event in EVENTS}


@pytest.mark.parametrize("event_type", EVENTS, ids=lambda e: e.topic)
def test_a_payload_written_before_typed_events_decodes_and_is_written_back_the_same(
    event_type: type[Event],
) -> None:
    legacy = LEGACY[event_type.topic]
    assert event_type.from_payload(TENANT, legacy).to_payload() == legacy


def test_a_webhook_delivery_written_by_the_fan_out_needs_no_replay_flag() -> None:
    from oms.webhooks.events import WebhookDeliveryDue

    assert WebhookDeliveryDue.from_payload(TENANT, {"delivery_id": "d1"}).replay is False


def test_alert_details_may_not_shadow_the_alert_fields() -> None:
    with pytest.raises(ValueError, match="title"):
        AlertRaised(tenant_id=TENANT, type="x", severity="high", title="t", details={"title": 1})


@pytest.mark.parametrize(
    "payload", [{"type": "x", "severity": "high"}, {"type": 1, "severity": "high", "title": "t"}]
)
def test_an_alert_without_text_type_severity_or_title_does_not_decode(
    payload: dict[str, Any],
) -> None:
    with pytest.raises(UndecodableEvent, match="AlertRaised"):
        AlertRaised.from_payload(TENANT, payload)


def test_a_payload_may_not_name_its_tenant() -> None:
    from oms.refunds.events import RefundExecutionDue

    payload = {"refund_id": "r1", "order_id": "o1", "tenant_id": "someone-else"}
    with pytest.raises(UndecodableEvent, match="tenant_id"):
        RefundExecutionDue.from_payload(TENANT, payload)
