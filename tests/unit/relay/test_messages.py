"""The relay's subject and body for an outbox row; which topics are domain events."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from oms.alerts.events import AlertSendDue
from oms.orders.events import OrderPaymentTimeoutDue
from oms.relay.messages import OutboxRow, is_domain_event, to_message
from oms.webhooks.events import EVENT_TYPES, WebhookDeliveryDue

TENANT = "0193a5b2-0000-7000-8000-000000000001"
WHEN = datetime(2026, 12, 1, 12, 30, 5, 123456, tzinfo=UTC)


def _row(topic: str, payload: dict[str, object]) -> OutboxRow:
    return OutboxRow(TENANT, "0193a5b2-1111-7000-8000-000000000002", topic, payload, WHEN)


def test_a_status_change_goes_to_its_tenant_aggregate_and_event_subject() -> None:
    payload = {"order_id": "o-1", "from_status": "pending_payment", "to_status": "paid"}
    message = to_message(_row("order.status_changed", payload), prefix="oms")
    assert message.subject == f"oms.{TENANT}.order.status_changed"
    assert message.msg_id == "0193a5b2-1111-7000-8000-000000000002"
    assert json.loads(message.body) == {
        "id": "0193a5b2-1111-7000-8000-000000000002",
        "type": "order.status_changed",
        "tenant_id": TENANT,
        "aggregate": "order",
        "aggregate_id": "o-1",
        "occurred_at": "2026-12-01T12:30:05.123Z",
        "data": payload,
    }


def test_an_event_naming_no_aggregate_id_says_null() -> None:
    message = to_message(_row("alert.raised", {"type": "ticket.x", "title": "标题"}), prefix="a.b")
    body = json.loads(message.body)
    assert message.subject == f"a.b.{TENANT}.alert.raised"
    assert body["aggregate"] == "alert" and body["aggregate_id"] is None
    assert "标题".encode() in message.body  # UTF-8, not \\u escapes


@pytest.mark.parametrize("tenant", ["a.b", "a*", ">", "a b", ""])
def test_a_tenant_that_cannot_be_a_subject_token_is_refused(tenant: str) -> None:
    row = OutboxRow(tenant, "m-1", "order.created", {"order_id": "o"}, WHEN)
    with pytest.raises(ValueError, match="not a valid subject"):
        to_message(row, prefix="oms")


def test_domain_events_are_exactly_the_webhook_event_types() -> None:
    for topic in EVENT_TYPES:
        assert is_domain_event(topic)
    for job in (OrderPaymentTimeoutDue.topic, WebhookDeliveryDue.topic, AlertSendDue.topic):
        assert not is_domain_event(job)
