"""Routing, the SLA board and its sweep, auto-refund, orphaned payments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from oms.core.auth import authenticate_api_key
from oms.core.clock import ManualClock
from oms.core.jobs import list_jobs
from oms.core.uow import Database
from oms.refunds.orphans import refund_orphaned_payment
from oms.refunds.sla import sweep_red_refunds
from tests.fixtures.gateways import ORDER_TOTAL, FakeGateway, Trade, alipay_notification
from tests.fixtures.tenants import TenantKeys
from tests.integration.refunds.conftest import (
    ALIPAY_TRADE,
    approve,
    buyer_history,
    channel_paid_order,
    create_order,
    refund,
    request,
)


def test_rules_route_by_reason_channel_and_amount(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    rules = [
        {
            "reason": "quality",
            "channel": "tmall",
            "max_amount": 5000,
            "review_group": "small",
            "template": {"note": "小额质量问题 直接同意"},
        },
        {"reason": "quality", "review_group": "big"},
    ]
    put = client.put("/api/v1/refunds/routing", json=rules, headers=tenant.headers())
    assert [r["position"] for r in put.json()] == [1, 2]
    assert client.get("/api/v1/refunds/routing", headers=tenant.headers()).json() == put.json()
    order = channel_paid_order(client, tenant)
    small = request(client, tenant, order_id=order["id"], amount=5000).json()
    big = request(client, tenant, order_id=order["id"], amount=5001).json()
    other = request(client, tenant, order_id=order["id"], amount=10, reason="other").json()
    assert (small["review_group"], big["review_group"], other["review_group"]) == (
        "small",
        "big",
        "default",
    )
    assert small["template"] == {"note": "小额质量问题 直接同意"}
    member = authenticate_api_key(db, tenant.keys["service"]).principal
    group = {"supervisor": "user:boss", "members": [member]}
    assert (
        client.put("/api/v1/refunds/groups/small", json=group, headers=tenant.headers()).status_code
        == 200
    )
    denied = approve(client, tenant, big["id"], role="service")
    assert (denied.status_code, denied.json()["code"]) == (403, "ERR_REFUND_NOT_IN_GROUP")
    approved = approve(client, tenant, small["id"], role="service").json()
    assert (approved["status"], approved["decided_by"]) == ("approved", member)
    assert approved["decision_note"] == "小额质量问题 直接同意"
    assert approve(client, tenant, big["id"]).status_code == 200  # admins decide everything


def test_routing_is_configured_by_admins_and_checked(
    client: TestClient, tenant: TenantKeys
) -> None:
    bad = [{"reason": "quality", "min_amount": 10, "max_amount": 5, "review_group": "g"}]
    answer = client.put("/api/v1/refunds/routing", json=bad, headers=tenant.headers())
    assert (answer.status_code, answer.json()["code"]) == (422, "ERR_REFUND_INVALID_RULE")
    ops = client.put("/api/v1/refunds/routing", json=[], headers=tenant.headers("ops"))
    assert ops.json()["code"] == "ERR_AUTH_FORBIDDEN"


def _board(client: TestClient, tenant: TenantKeys) -> dict[str, Any]:
    board: dict[str, Any] = client.get("/api/v1/refunds/sla", headers=tenant.headers()).json()
    return board


@pytest.mark.parametrize(
    ("hours", "colour", "incurred", "at_risk"),
    [
        (11.9, "green", 0, 3650 + 7300),
        (12, "yellow", 0, 3650 + 7300),
        (24, "orange", 3650, 7300),
        (36, "red", 3650, 7300),
        (48, "red", 3650 + 7300, 0),
    ],
)
def test_the_sla_board_colours_and_prices_each_threshold(
    client: TestClient,
    clock: ManualClock,
    tenant: TenantKeys,
    hours: float,
    colour: str,
    incurred: int,
    at_risk: int,
) -> None:
    order = channel_paid_order(client, tenant)
    request(client, tenant, order_id=order["id"], amount=100)
    clock.advance(timedelta(hours=hours))
    board = _board(client, tenant)
    [item] = board["items"]
    assert (item["colour"], item["incurred"], item["at_risk"]) == (colour, incurred, at_risk)
    assert (board["total_incurred"], board["total_at_risk"]) == (incurred, at_risk)
    assert board["counts"][colour] == 1


def test_a_red_refund_alerts_its_supervisor_once(
    client: TestClient, db: Database, clock: ManualClock, tenant: TenantKeys
) -> None:
    client.put(
        "/api/v1/refunds/groups/default", json={"supervisor": "user:boss"}, headers=tenant.headers()
    )
    order = channel_paid_order(client, tenant)
    rid = request(client, tenant, order_id=order["id"], amount=100).json()["id"]
    clock.advance(timedelta(hours=35, minutes=59))
    assert sweep_red_refunds(db) == 0
    clock.advance(timedelta(minutes=1))
    assert sweep_red_refunds(db) == 1
    assert sweep_red_refunds(db) == 0
    alerts = [j for j in list_jobs(db, tenant_id=tenant.tenant_id) if j.topic == "alert.raised"]
    [alert] = [a for a in alerts if a.payload.get("type") == "refund.sla_red"]
    assert (alert.payload["refund_id"], alert.payload["supervisor"]) == (rid, "user:boss")
    escalated = refund(client, tenant, rid)
    assert escalated["escalated_to"] == "user:boss" and escalated["escalated_at"]
    assert _board(client, tenant)["items"][0]["escalated"] is True


@pytest.mark.parametrize(
    ("history", "settings", "eligible"),
    [
        ({"days_ago": 181}, {}, True),
        ({"days_ago": 181, "orders": 5}, {}, True),
        ({"days_ago": 179}, {}, False),
        ({"days_ago": 181}, {"auto_refund_enabled": False}, False),
        ({"days_ago": 181, "orders": 2, "refunded": 1}, {"max_return_rate_bp": 5000}, False),
        ({"days_ago": 181, "orders": 3, "refunded": 1}, {"max_return_rate_bp": 5000}, True),
        ({"days_ago": 181, "orders": 2, "rejected": 1}, {}, False),
        ({"days_ago": 181, "orders": 2, "rejected": 1}, {"require_no_disputes": False}, True),
    ],
)
def test_trusted_customers_are_refunded_without_review(
    client: TestClient,
    db: Database,
    clock: ManualClock,
    tenant: TenantKeys,
    run_jobs: Callable[..., int],
    history: dict[str, int],
    settings: dict[str, Any],
    eligible: bool,
) -> None:
    buyer_history(db, clock, tenant, **history)
    chosen = {"auto_refund_enabled": True, "min_history_days": 180} | settings
    assert (
        client.put("/api/v1/refunds/settings", json=chosen, headers=tenant.headers()).status_code
        == 200
    )
    order = channel_paid_order(client, tenant)
    asked = request(client, tenant, order_id=order["id"], amount=100).json()
    decision = asked["auto_decision"]
    assert decision["eligible"] is eligible, decision
    assert asked["status"] == ("approved" if eligible else "requested")
    if chosen["auto_refund_enabled"]:
        in_window = history.get("orders", 0) + (history["days_ago"] <= 180)
        assert decision["orders"] == in_window
        assert decision["history_days"] == history["days_ago"]
        assert decision["refunded_orders"] == history.get("refunded", 0)
    if eligible:
        run_jobs()
        assert refund(client, tenant, asked["id"])["status"] == "refunded"


def test_an_orphaned_payment_becomes_an_approved_refund_once(
    client: TestClient,
    db: Database,
    clock: ManualClock,
    configured: TenantKeys,
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
) -> None:
    order = create_order(client, configured)
    clock.advance(timedelta(hours=1))  # past the payment deadline: the order is cancelled
    gateway.trades[order["order_no"]] = Trade(
        ALIPAY_TRADE, ORDER_TOTAL, "TRADE_SUCCESS", "2026-01-24 13:00:01"
    )
    client.post(
        f"/api/v1/payments/alipay/notify/{configured.tenant_id}",
        content=alipay_notification(order["order_no"]),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    run_jobs()
    [orphaned] = client.get(
        f"/api/v1/refunds?order_id={order['id']}", headers=configured.headers()
    ).json()["items"]
    assert (orphaned["scope"], orphaned["reason"], orphaned["status"]) == (
        "orphan",
        "late_payment",
        "refunded",
    )
    assert gateway.refunds == {
        orphaned["id"]: {"out_trade_no": order["order_no"], "amount": ORDER_TOTAL}
    }
    again = refund_orphaned_payment(
        db,
        tenant_id=configured.tenant_id,
        payment_id=orphaned["payment_id"],
        order_id=order["id"],
    )
    assert again == orphaned["id"]
    listed = client.get(f"/api/v1/refunds?order_id={order['id']}", headers=configured.headers())
    assert len(listed.json()["items"]) == 1
