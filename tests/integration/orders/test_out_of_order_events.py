"""Out-of-order events from different systems, and the system-only payment timeout (issue 9).

Through the real service layer and the HTTP API, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from oms.core.clock import ManualClock
from oms.core.context import Actor
from oms.core.errors import Forbidden
from oms.core.uow import Database
from oms.orders import queries, service
from oms.orders.errors import NotDue, StaleEvent
from oms.orders.schemas import OrderEventIn
from oms.orders.states import OrderStatus
from oms.tickets import service as tickets
from tests.fixtures.orders import order_create, order_payload
from tests.fixtures.tenants import TenantKeys

ORDERS = "/api/v1/orders"


def _event(event: str, source: str, occurred_at: datetime | None = None) -> OrderEventIn:
    return OrderEventIn(event=event, source=source, occurred_at=occurred_at)  # type: ignore[arg-type]


def _paid_order(db: Database, tenant: TenantKeys, paid_at: datetime) -> str:
    order = service.place_order(db, tenant.actor(), order_create()).order
    service.apply_event(
        db, tenant.actor("integration"), order.id, _event("pay", "gateway:alipay", paid_at)
    )
    return order.id


def _conflict_tickets(db: Database, tenant: TenantKeys, order_id: str) -> list[Any]:
    return tickets.list_tickets(db, tenant.tenant_id, kind="status_conflict", order_id=order_id)


def test_a_late_erp_cancel_older_than_the_payment_leaves_the_order_paid_and_opens_a_ticket(
    db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    paid_at = clock.now() + timedelta(minutes=1)  # 13:01
    order_id = _paid_order(db, tenant, paid_at)
    erp_timeout = paid_at - timedelta(minutes=6)  # 12:55, written before the ERP saw the payment
    with pytest.raises(StaleEvent) as refused:
        service.apply_event(
            db, tenant.actor("integration"), order_id, _event("cancel", "erp", erp_timeout)
        )
    details = refused.value.details
    assert refused.value.code == "ERR_ORDER_STALE_EVENT" and refused.value.http_status == 409
    assert (details["later_event"], details["later_source"]) == ("pay", "gateway:alipay")
    assert details["later_occurred_at"] == paid_at.isoformat()

    assert queries.get_order(db, tenant.tenant_id, order_id).status == OrderStatus.PAID
    last = queries.order_timeline(db, tenant.tenant_id, order_id)[-1]
    assert (last.event, last.outcome, last.source) == ("cancel", "conflict", "erp")
    assert last.error_code == "ERR_ORDER_STALE_EVENT" and last.to_status is None
    assert last.occurred_at == erp_timeout
    assert last.details["later_source"] == "gateway:alipay"
    assert last.details["ticket_id"] == details["ticket_id"]

    [ticket] = _conflict_tickets(db, tenant, order_id)
    assert ticket.id == details["ticket_id"] and ticket.status == "open"
    assert ticket.details["later_event"] == "pay" and ticket.details["event"] == "cancel"


def test_later_conflicts_comment_on_the_one_open_ticket(
    db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    paid_at = clock.now() + timedelta(minutes=1)
    order_id = _paid_order(db, tenant, paid_at)
    early = paid_at - timedelta(minutes=2)
    for source, event in [("erp", "cancel"), ("crm", "hold"), ("erp", "cancel")]:
        with pytest.raises(StaleEvent):
            service.apply_event(db, tenant.actor(), order_id, _event(event, source, early))
    [ticket] = _conflict_tickets(db, tenant, order_id)
    full = tickets.get_ticket(db, tenant.tenant_id, ticket.id)
    assert len(full.comments) == 3
    assert "hold from crm" in full.comments[1].body
    outcomes = [e.outcome for e in queries.order_timeline(db, tenant.tenant_id, order_id)]
    assert outcomes == ["applied", "applied", "conflict", "conflict", "conflict"]


def test_an_older_message_from_the_same_source_stays_a_quiet_stale(
    db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    paid_at = clock.now() + timedelta(minutes=1)
    order = service.place_order(db, tenant.actor(), order_create()).order
    service.apply_event(db, tenant.actor(), order.id, _event("pay", "erp", paid_at))
    result = service.apply_event(
        db, tenant.actor(), order.id, _event("cancel", "erp", paid_at - timedelta(minutes=6))
    )
    assert result.outcome == "stale" and result.stale and result.order.status == "paid"
    assert _conflict_tickets(db, tenant, order.id) == []


def test_an_event_without_occurred_at_happens_now_and_is_never_stale(
    db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    # A gateway whose clock runs an hour ahead: a person acting now must still be heard.
    order_id = _paid_order(db, tenant, clock.now() + timedelta(hours=1))
    result = service.apply_event(db, tenant.actor(), order_id, _event("hold", "api"))
    assert result.outcome == "applied" and result.order.status == OrderStatus.ON_HOLD
    assert queries.order_timeline(db, tenant.tenant_id, order_id)[-1].occurred_at == clock.now()


def test_the_conflict_is_answered_as_problem_json_naming_the_later_event(
    client: TestClient, tenant: TenantKeys, clock: ManualClock
) -> None:
    order = client.post(ORDERS, json=order_payload(), headers=tenant.headers()).json()
    paid_at = clock.now() + timedelta(minutes=1)
    gateway = {"event": "pay", "source": "gateway:alipay", "occurred_at": paid_at.isoformat()}
    paid = client.post(
        f"{ORDERS}/{order['id']}/events", json=gateway, headers=tenant.headers("finance")
    )
    assert paid.status_code == 200, paid.text
    erp = {
        "event": "cancel",
        "source": "erp",
        "occurred_at": (paid_at - timedelta(minutes=6)).isoformat(),
    }
    response = client.post(
        f"{ORDERS}/{order['id']}/events", json=erp, headers=tenant.headers("integration")
    )
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "ERR_ORDER_STALE_EVENT"
    assert body["details"]["later_event"] == "pay"
    assert body["details"]["later_source"] == "gateway:alipay"
    assert datetime.fromisoformat(body["details"]["later_occurred_at"]) == paid_at
    assert body["details"]["ticket_id"]
    assert (
        client.get(f"{ORDERS}/{order['id']}", headers=tenant.headers()).json()["status"] == "paid"
    )


# payment_timeout: only from the system, only when due (issue 9, item 3a).


def test_a_caller_that_may_not_cancel_cannot_cancel_by_calling_it_a_timeout(
    client: TestClient, tenant: TenantKeys
) -> None:
    order = client.post(ORDERS, json=order_payload(), headers=tenant.headers()).json()
    # Finance may pay but not cancel; admin may do everything a person may.
    for role in ("finance", "admin"):
        response = client.post(
            f"{ORDERS}/{order['id']}/events",
            json={"event": "payment_timeout"},
            headers=tenant.headers(role),
        )
        assert response.status_code == 403 and response.json()["code"] == "ERR_AUTH_FORBIDDEN"
    read = client.get(f"{ORDERS}/{order['id']}", headers=tenant.headers()).json()
    assert read["status"] == "pending_payment"
    timeline = client.get(f"{ORDERS}/{order['id']}/timeline", headers=tenant.headers()).json()[
        "items"
    ]
    assert [(e["event"], e["outcome"], e["error_code"]) for e in timeline[1:]] == [
        ("payment_timeout", "rejected", "ERR_AUTH_FORBIDDEN"),
        ("payment_timeout", "rejected", "ERR_AUTH_FORBIDDEN"),
    ]


def test_the_system_cannot_time_out_an_order_before_its_deadline(
    db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    order = service.place_order(db, tenant.actor(), order_create()).order
    system = Actor.system(tenant.tenant_id, "payment-timeout")
    clock.advance(timedelta(minutes=15) - timedelta(seconds=1))
    with pytest.raises(NotDue):
        service.apply_event(db, system, order.id, _event("payment_timeout", "system:erp"))
    assert not service.apply_payment_timeout(db, tenant_id=tenant.tenant_id, order_id=order.id)
    last = queries.order_timeline(db, tenant.tenant_id, order.id)[-1]
    assert (last.event, last.outcome, last.error_code) == (
        "payment_timeout",
        "rejected",
        "ERR_ORDER_NOT_DUE",
    )
    assert queries.get_order(db, tenant.tenant_id, order.id).status == OrderStatus.PENDING_PAYMENT


def test_the_systems_own_timeout_still_cancels_a_due_order(
    db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    order = service.place_order(db, tenant.actor(), order_create()).order
    clock.advance(timedelta(minutes=15))
    assert service.apply_payment_timeout(db, tenant_id=tenant.tenant_id, order_id=order.id)
    system = Actor.system(tenant.tenant_id, "payment-timeout")
    again = service.apply_event(db, system, order.id, _event("payment_timeout", "system:erp"))
    assert again.outcome == "duplicate" and again.order.status == OrderStatus.CANCELLED
    with pytest.raises(Forbidden):
        service.apply_event(db, tenant.actor(), order.id, _event("payment_timeout", "api"))
