"""Platform order webhooks over HTTP: one platform order is one oms order, whatever arrives."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from oms.core.clock import ManualClock
from oms.core.models import InboxMessage
from oms.core.uow import Database
from tests.fixtures.channel_deliveries import (
    GENERIC_SECRET,
    SHOPIFY_SECRET,
    YOUZAN_CLIENT_ID,
    YOUZAN_SECRET,
    Delivery,
    hub,
    sample,
    shopify,
    standard,
    youzan,
)
from tests.fixtures.tenants import TenantKeys

CREATE = "shopify_orders_create.json"
PAID = "shopify_orders_updated_paid.json"
CANCELLED = "shopify_orders_cancelled.json"


def _configure(client: TestClient, tenant: TenantKeys, channel: str, **body: Any) -> Any:
    return client.put(f"/api/v1/channels/{channel}", json=body, headers=tenant.headers())


def _post(client: TestClient, channel: str, tenant_id: str, delivery: Delivery) -> Any:
    headers, body = delivery
    return client.post(
        f"/api/v1/channels/{channel}/webhooks/{tenant_id}", content=body, headers=headers
    )


def _orders(client: TestClient, tenant: TenantKeys, channel: str = "shopify") -> list[Any]:
    page = client.get(f"/api/v1/orders?channel={channel}", headers=tenant.headers()).json()
    items: list[Any] = page["items"]
    return items


def _timeline(client: TestClient, tenant: TenantKeys, order_id: str) -> list[Any]:
    entries: list[Any] = client.get(
        f"/api/v1/orders/{order_id}/timeline", headers=tenant.headers()
    ).json()["items"]
    return entries


def _health(client: TestClient, tenant: TenantKeys, channel: str) -> dict[str, Any]:
    report = client.get("/api/v1/channels/health", headers=tenant.headers()).json()
    found: dict[str, Any] = next(c for c in report["channels"] if c["channel"] == channel)
    return found


def _inbox(db: Database) -> list[dict[str, Any]]:
    with db.reader() as session:
        rows = session.scalars(select(InboxMessage).where(InboxMessage.source == "channel:shopify"))
        return [
            {
                c: getattr(r, c)
                for c in ("message_id", "verification", "error_code", "deliveries", "outcome")
            }
            for r in rows
        ]


@pytest.fixture
def shop(client: TestClient, tenant: TenantKeys) -> TenantKeys:
    assert _configure(client, tenant, "shopify", secret=SHOPIFY_SECRET).status_code == 200
    return tenant


def test_create_and_updated_topics_for_one_platform_order_make_exactly_one_order(
    client: TestClient, shop: TenantKeys
) -> None:
    created = _post(client, "shopify", shop.tenant_id, shopify(sample(CREATE), webhook_id="w-1"))
    updated = _post(
        client,
        "shopify",
        shop.tenant_id,
        shopify(sample(PAID), topic="orders/updated", webhook_id="w-2"),
    )
    assert (created.status_code, created.json()["status"]) == (200, "created")
    assert (updated.status_code, updated.json()["status"]) == (200, "updated")
    orders = _orders(client, shop)
    assert len(orders) == 1
    order = orders[0]
    assert (order["status"], order["external_id"]) == ("paid", "5829474156822")
    assert order["totals"] == {
        "subtotal": 72500,
        "shipping_fee": 1000,
        "discount": 500,
        "total": 73000,
    }
    pay = [e for e in _timeline(client, shop, order["id"]) if e["event"] == "pay"]
    assert [(e["source"], e["outcome"]) for e in pay] == [("channel:shopify", "applied")]
    assert pay[0]["occurred_at"].startswith("2026-01-24T05:02:30")


def test_a_redelivery_is_acknowledged_and_changes_nothing(
    client: TestClient, shop: TenantKeys
) -> None:
    delivery = shopify(sample(PAID), topic="orders/updated", webhook_id="w-7")
    first = _post(client, "shopify", shop.tenant_id, delivery)
    order_id = first.json()["order_id"]
    before = _timeline(client, shop, order_id)
    again = _post(client, "shopify", shop.tenant_id, delivery)
    assert again.status_code == 200
    assert (again.json()["status"], again.json()["deliveries"]) == ("duplicate", 2)
    assert _timeline(client, shop, order_id) == before
    assert len(_orders(client, shop)) == 1
    health = _health(client, shop, "shopify")
    assert (health["deliveries"], health["messages"]) == (2, 1)


def test_an_older_update_after_a_newer_one_is_recorded_and_ignored(
    client: TestClient, shop: TenantKeys
) -> None:
    newer = _post(
        client,
        "shopify",
        shop.tenant_id,
        shopify(sample(PAID), topic="orders/updated", webhook_id="n"),
    )
    older = _post(client, "shopify", shop.tenant_id, shopify(sample(CREATE), webhook_id="o"))
    assert newer.json()["status"] == "created"
    assert (older.status_code, older.json()["status"]) == (200, "stale")
    orders = _orders(client, shop)
    assert [(o["id"], o["status"]) for o in orders] == [(newer.json()["order_id"], "paid")]
    assert _health(client, shop, "shopify")["messages"] == 2


def test_a_platform_cancel_goes_through_the_transition_table(
    client: TestClient, shop: TenantKeys
) -> None:
    created = _post(client, "shopify", shop.tenant_id, shopify(sample(CREATE), webhook_id="c-1"))
    cancelled = _post(
        client,
        "shopify",
        shop.tenant_id,
        shopify(sample(CANCELLED), topic="orders/cancelled", webhook_id="c-2"),
    )
    assert cancelled.json()["events"] == [{"event": "cancel", "outcome": "applied"}]
    order_id = created.json()["order_id"]
    order = client.get(f"/api/v1/orders/{order_id}", headers=shop.headers()).json()
    assert order["status"] == "cancelled"
    last = _timeline(client, shop, order_id)[-1]
    assert (last["event"], last["from_status"], last["to_status"], last["source"]) == (
        "cancel",
        "pending_payment",
        "cancelled",
        "channel:shopify",
    )
    late_paid = _post(
        client,
        "shopify",
        shop.tenant_id,
        shopify(sample(PAID), topic="orders/paid", webhook_id="c-3"),
    )
    assert late_paid.json()["status"] == "stale"
    assert client.get(f"/api/v1/orders/{order_id}", headers=shop.headers()).json()["status"] == (
        "cancelled"
    )


def _forged_shopify() -> Delivery:
    return shopify(sample(CREATE), webhook_id="f-1", secret="not-the-secret")


def _forged_standard(clock: ManualClock) -> Delivery:
    forged = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="
    return standard(
        sample("generic_order_created.json"), msg_id="msg_f2", at=clock.now(), secret=forged
    )


def _forged_hub() -> Delivery:
    return hub(sample("generic_order_created.json"), delivery="f-3", secret="guessed secret")


def _forged_youzan() -> Delivery:
    return youzan(sample("youzan_trade_paid.json"), msg_id="f-4", secret="wrong-client-secret")


@pytest.mark.parametrize("protocol", ["shopify", "standard", "hub", "youzan"])
def test_a_forged_signature_is_rejected_recorded_and_creates_no_order(
    client: TestClient, tenant: TenantKeys, clock: ManualClock, protocol: str
) -> None:
    _configure(client, tenant, "shopify", secret=SHOPIFY_SECRET)
    _configure(client, tenant, "generic", secret=GENERIC_SECRET)
    _configure(client, tenant, "youzan", secret=YOUZAN_SECRET, client_id=YOUZAN_CLIENT_ID)
    channel, delivery = {
        "shopify": ("shopify", _forged_shopify()),
        "standard": ("generic", _forged_standard(clock)),
        "hub": ("generic", _forged_hub()),
        "youzan": ("youzan", _forged_youzan()),
    }[protocol]
    response = _post(client, channel, tenant.tenant_id, delivery)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "ERR_CHANNEL_SIGNATURE_INVALID"
    assert _orders(client, tenant, channel) == []
    health = _health(client, tenant, channel)
    assert (health["messages"], health["signature_failure_rate"]) == (1, 1.0)


def test_a_forged_delivery_first_does_not_take_the_genuine_ones_place(
    client: TestClient, db: Database, shop: TenantKeys
) -> None:
    forged = shopify(sample(CREATE), webhook_id="dup-1", secret="not-the-secret")
    assert _post(client, "shopify", shop.tenant_id, forged).status_code == 401
    genuine = _post(client, "shopify", shop.tenant_id, shopify(sample(CREATE), webhook_id="dup-1"))
    assert genuine.status_code == 200, genuine.text
    assert (genuine.json()["status"], genuine.json()["deliveries"]) == ("created", 1)
    assert len(_orders(client, shop)) == 1
    rows = {m["message_id"]: m for m in _inbox(db)}
    assert rows["dup-1"]["verification"] == "verified"
    assert rows["dup-1"]["outcome"] == "applied"
    [refused] = [m for k, m in rows.items() if k.startswith("rejected:")]
    assert refused["error_code"] == "ERR_CHANNEL_SIGNATURE_INVALID"


def test_forged_copies_of_a_genuine_delivery_do_not_count_as_its_redeliveries(
    client: TestClient, db: Database, shop: TenantKeys
) -> None:
    delivery = shopify(sample(CREATE), webhook_id="dup-2")
    assert _post(client, "shopify", shop.tenant_id, delivery).json()["deliveries"] == 1
    forged = shopify(sample(CREATE), webhook_id="dup-2", secret="not-the-secret")
    for _ in range(3):
        assert _post(client, "shopify", shop.tenant_id, forged).status_code == 401
    [genuine] = [m for m in _inbox(db) if m["message_id"] == "dup-2"]
    assert genuine["deliveries"] == 1
    again = _post(client, "shopify", shop.tenant_id, delivery)
    assert (again.json()["status"], again.json()["deliveries"]) == ("duplicate", 2)
    assert len(_orders(client, shop)) == 1


def test_standard_webhooks_verify_against_the_database_clock_within_5_minutes(
    client: TestClient, tenant: TenantKeys, clock: ManualClock
) -> None:
    _configure(client, tenant, "generic", secret=GENERIC_SECRET)
    payload = sample("generic_order_created.json")
    late = standard(payload, msg_id="msg_late", at=clock.now() - timedelta(minutes=6))
    response = _post(client, "generic", tenant.tenant_id, late)
    assert (response.status_code, response.json()["code"]) == (
        401,
        "ERR_CHANNEL_TIMESTAMP_OUT_OF_TOLERANCE",
    )
    # The test clock is months away from the wall clock: only our clock makes this pass.
    fresh = standard(payload, msg_id="msg_ok", at=clock.now() - timedelta(minutes=4))
    accepted = _post(client, "generic", tenant.tenant_id, fresh)
    assert (accepted.status_code, accepted.json()["status"]) == (200, "created")
    order = _orders(client, tenant, "generic")[0]
    assert (order["external_id"], order["totals"]["total"]) == ("ERP-20260124-0007", 33800)


def test_github_style_signatures_create_the_order(client: TestClient, tenant: TenantKeys) -> None:
    _configure(client, tenant, "generic", secret=GENERIC_SECRET)
    response = _post(
        client,
        "generic",
        tenant.tenant_id,
        hub(sample("generic_order_created.json"), delivery="gh-1"),
    )
    assert (response.status_code, response.json()["status"]) == (200, "created")


def test_youzan_pushes_are_verified_applied_and_answered_as_youzan_expects(
    client: TestClient, tenant: TenantKeys
) -> None:
    _configure(client, tenant, "youzan", secret=YOUZAN_SECRET, client_id=YOUZAN_CLIENT_ID)
    trade = sample("youzan_trade_paid.json")
    response = _post(client, "youzan", tenant.tenant_id, youzan(trade))
    assert (response.status_code, response.json()) == (200, {"code": 0, "msg": "success"})
    orders = _orders(client, tenant, "youzan")
    assert [(o["external_id"], o["status"]) for o in orders] == [
        ("E20260124130000012345678", "paid")
    ]
    probe = _post(client, "youzan", tenant.tenant_id, youzan(trade, msg_id="probe-1", test=True))
    assert probe.json() == {"code": 0, "msg": "success"}
    assert len(_orders(client, tenant, "youzan")) == 1


@pytest.mark.parametrize(
    ("channel", "tenant_id", "headers", "body", "status", "code"),
    [
        ("wish", None, {}, b"{}", 404, "ERR_CHANNEL_UNKNOWN"),
        ("shopify", "no-such-tenant", {}, b"{}", 404, "ERR_CHANNEL_TENANT_UNKNOWN"),
        ("youzan", None, {}, b"{}", 404, "ERR_CHANNEL_NOT_CONFIGURED"),
        (
            "shopify",
            None,
            {"X-Shopify-Topic": "orders/create"},
            b"{}",
            400,
            "ERR_CHANNEL_DELIVERY_ID_MISSING",
        ),
        (
            "shopify",
            None,
            {"X-Shopify-Webhook-Id": "h-1"},
            b"{}",
            401,
            "ERR_CHANNEL_SIGNATURE_MISSING",
        ),
        ("generic", None, {"webhook-id": "h-2"}, b"{}", 401, "ERR_CHANNEL_SIGNATURE_MISSING"),
    ],
)
def test_bad_deliveries_get_clear_codes(
    client: TestClient,
    shop: TenantKeys,
    channel: str,
    tenant_id: str | None,
    headers: dict[str, str],
    body: bytes,
    status: int,
    code: str,
) -> None:
    _configure(client, shop, "generic", secret=GENERIC_SECRET)
    delivery = ({"Content-Type": "application/json", **headers}, body)
    response = _post(client, channel, tenant_id or shop.tenant_id, delivery)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert response.headers["content-type"] == "application/problem+json"


def test_a_signed_body_that_is_not_json_is_rejected_as_malformed(
    client: TestClient, shop: TenantKeys
) -> None:
    response = _post(client, "shopify", shop.tenant_id, shopify(b'{"id": 1,', webhook_id="m-1"))
    assert (response.status_code, response.json()["code"]) == (400, "ERR_CHANNEL_MALFORMED_PAYLOAD")
    assert _health(client, shop, "shopify")["signature_failure_rate"] == 1.0


def _short_delivery(client: TestClient, tenant: TenantKeys, channel: str) -> Delivery:
    """A delivery of the channel's sample whose first line's SKU has no stock at all."""
    if channel == "shopify":
        payload = sample(CREATE)
        payload["line_items"][0]["sku"] = "NOT-STOCKED"
        return shopify(payload, webhook_id="s-1")
    if channel == "youzan":
        _configure(client, tenant, "youzan", secret=YOUZAN_SECRET, client_id=YOUZAN_CLIENT_ID)
        trade = sample("youzan_trade_paid.json")
        trade["full_order_info"]["orders"][0]["outer_sku_id"] = "NOT-STOCKED"
        return youzan(trade)
    _configure(client, tenant, "generic", secret=GENERIC_SECRET)
    generic = sample("generic_order_created.json")
    generic["data"]["lines"][0]["sku"] = "NOT-STOCKED"
    return hub(generic, delivery="gh-short")


@pytest.mark.parametrize("channel", ["shopify", "youzan", "generic"])
def test_a_platform_order_short_of_stock_is_created_short_never_dropped(
    client: TestClient, shop: TenantKeys, db: Database, channel: str
) -> None:
    response = _post(client, channel, shop.tenant_id, _short_delivery(client, shop, channel))
    assert response.status_code == 200
    [order] = _orders(client, shop, channel)
    assert order["stock_shortage"] is True and order["exception_code"] == "stock_shortage"
    first, *rest = order["lines"]
    assert first["sku"] == "NOT-STOCKED" and first["short_qty"] == first["qty"]
    assert all(line["short_qty"] == 0 for line in rest)  # stocked lines hold their units
    short = client.get("/api/v1/orders?stock_shortage=true", headers=shop.headers()).json()["items"]
    assert [o["id"] for o in short] == [order["id"]]
    tickets = client.get(f"/api/v1/tickets?order_id={order['id']}", headers=shop.headers()).json()[
        "items"
    ]
    assert [(t["kind"], t["status"]) for t in tickets] == [("stock_shortage", "open")]
    with db.reader() as session:
        outcome = session.scalar(
            select(InboxMessage.outcome).where(InboxMessage.source == f"channel:{channel}")
        )
    assert outcome == "created_short"
    health = _health(client, shop, channel)
    assert health["created_short"] == 1
    assert "created_short" in {f["check"] for f in health["findings"]}


def test_a_shopify_order_created_short_acks_created_short(
    client: TestClient, shop: TenantKeys
) -> None:
    response = _post(client, "shopify", shop.tenant_id, _short_delivery(client, shop, "shopify"))
    assert response.json()["status"] == "created_short"


def test_a_platform_order_reported_paid_is_paid_at_once_and_cod_has_no_deadline(
    client: TestClient, shop: TenantKeys, clock: ManualClock
) -> None:
    paid = sample(PAID)
    assert (
        _post(client, "shopify", shop.tenant_id, shopify(paid, webhook_id="p-1")).status_code == 200
    )
    cod = sample(CREATE)
    cod["id"], cod["payment_gateway_names"] = 777001, ["Cash on Delivery (COD)"]
    assert (
        _post(client, "shopify", shop.tenant_id, shopify(cod, webhook_id="c-1")).status_code == 200
    )
    by_id = {o["external_id"]: o for o in _orders(client, shop)}
    assert by_id[str(paid["id"])]["status"] == "paid"
    assert by_id["777001"]["payment_due_at"] is None
    _configure(client, shop, "generic", secret=GENERIC_SECRET)
    generic = sample("generic_order_created.json")
    generic["data"]["payment_method"] = "cod"
    _post(client, "generic", shop.tenant_id, hub(generic, delivery="gh-cod"))
    [generic_order] = _orders(client, shop, "generic")
    assert generic_order["payment_due_at"] is None
    clock.advance(timedelta(days=10))  # no deadline: never cancelled by a payment timeout
    statuses = {o["external_id"]: o["status"] for o in _orders(client, shop)}
    assert statuses["777001"] == "pending_payment"
    assert _orders(client, shop, "generic")[0]["status"] == "pending_payment"


def test_the_health_check_reports_overlapping_topics_and_signature_failures(
    client: TestClient, shop: TenantKeys
) -> None:
    _post(client, "shopify", shop.tenant_id, shopify(sample(CREATE), webhook_id="h-1"))
    _post(
        client,
        "shopify",
        shop.tenant_id,
        shopify(sample(PAID), topic="orders/updated", webhook_id="h-2"),
    )
    _post(
        client,
        "shopify",
        shop.tenant_id,
        shopify(sample(PAID), webhook_id="h-3", secret="forged!!"),
    )
    _post(client, "youzan", shop.tenant_id, youzan(sample("youzan_trade_paid.json")))
    shopify_health = _health(client, shop, "shopify")
    assert shopify_health["overlapping_orders"] == 1
    findings = {f["check"]: f for f in shopify_health["findings"]}
    assert findings["overlapping_topics"]["severity"] == "warning"
    assert findings["signature_failures"]["severity"] == "critical"
    assert all(f["fix"] for f in findings.values())
    youzan_health = _health(client, shop, "youzan")
    assert youzan_health["secret_configured"] is False
    assert youzan_health["findings"][0]["check"] == "secret_configured"
    ops = client.get("/api/v1/channels/health", headers=shop.headers("ops"))
    warehouse = client.get("/api/v1/channels/health", headers=shop.headers("warehouse"))
    assert (ops.status_code, warehouse.status_code) == (200, 403)


def test_channel_secrets_are_never_returned(client: TestClient, tenant: TenantKeys) -> None:
    put = _configure(client, tenant, "shopify", secret=SHOPIFY_SECRET)
    got = client.get("/api/v1/channels/shopify", headers=tenant.headers())
    for response in (put, got):
        assert response.status_code == 200
        assert SHOPIFY_SECRET not in response.text and "secret_sealed" not in response.text
        assert response.json()["secret_configured"] is True
    assert got.json()["webhook_path"] == f"/api/v1/channels/shopify/webhooks/{tenant.tenant_id}"
    refused = client.put(
        "/api/v1/channels/shopify", json={"secret": SHOPIFY_SECRET}, headers=tenant.headers("ops")
    )
    assert refused.status_code == 403


def test_mapping_overrides_apply_per_tenant_and_bad_ones_are_refused(
    client: TestClient, tenant: TenantKeys
) -> None:
    bad = _configure(
        client, tenant, "shopify", secret=SHOPIFY_SECRET, mapping={"external_id": {"path": "id[["}}
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "ERR_CHANNEL_MAPPING_INVALID")
    override = {"external_id": {"path": "name"}, "order": {"note": {"path": "tags"}}}
    ok = _configure(client, tenant, "shopify", secret=SHOPIFY_SECRET, mapping=override)
    assert ok.json()["mapping_overrides"] == override
    response = _post(client, "shopify", tenant.tenant_id, shopify(sample(CREATE), webhook_id="o-1"))
    assert response.status_code == 200
    assert _orders(client, tenant)[0]["external_id"] == "#1042"


def test_a_payload_the_mapping_cannot_turn_into_an_order_is_refused_with_a_code(
    client: TestClient, shop: TenantKeys
) -> None:
    payload = sample(CREATE)
    payload["line_items"][0]["price"] = "328.005"
    response = _post(client, "shopify", shop.tenant_id, shopify(payload, webhook_id="p-1"))
    assert (response.status_code, response.json()["code"]) == (422, "ERR_CHANNEL_PAYLOAD_INVALID")
    ignored = _post(
        client,
        "shopify",
        shop.tenant_id,
        shopify({"id": 1}, topic="products/update", webhook_id="p-2"),
    )
    assert (ignored.status_code, ignored.json()["status"]) == (200, "ignored")


@pytest.mark.parametrize("field", ["updated_at", "created_at"])
@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
def test_platform_times_at_the_calendar_edges_are_refused_with_a_code(
    client: TestClient, shop: TenantKeys, field: str, value: str
) -> None:
    payload = sample(PAID) | {field: value}
    response = _post(
        client, "shopify", shop.tenant_id, shopify(payload, webhook_id=f"edge-{field}-{value}")
    )
    assert (response.status_code, response.json()["code"]) == (422, "ERR_CHANNEL_PAYLOAD_INVALID")
    assert _orders(client, shop) == []
