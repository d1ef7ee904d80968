"""Notification rules over HTTP: templates and conditions checked on save (the parser's
message in the problem), preview, and the send path end to end against local servers
speaking the SMS gateway's and WeChat's shapes, with quiet hours on a moved clock."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from oms.core.clock import ManualClock
from oms.core.standard_webhooks import verify
from oms.core.uow import Database
from oms.fulfilment.tracking import service as tracking
from oms.fulfilment.tracking.stalls import sweep_stalls
from tests.fixtures.notify import drain, notify_settings, notify_worker, sms_gateway, wechat_api
from tests.fixtures.orders import post_order
from tests.fixtures.robots import Received, serve, smtp_server
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.tracking import LINES, WHSEC, generic_push, scan_event, shipped_order

RULES = "/api/v1/notification-rules"


def _rule(**overrides: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "name": "shipped-sms",
        "node": "shipped",
        "channel": "sms",
        "template": "您的订单 {{ order.no }} 已由 {{ carrier }} 发出 单号 {{ tracking_no }}",
    }
    return rule | overrides


def _post(client: TestClient, tenant: TenantKeys, **overrides: Any) -> Any:
    return client.post(RULES, json=_rule(**overrides), headers=tenant.headers())


def _messages(client: TestClient, tenant: TenantKeys, order_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/orders/{order_id}/notifications", headers=tenant.headers())
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@pytest.mark.parametrize(
    ("template", "problem", "says"),
    [
        ("{% if order.no %}open", "LiquidSyntaxError", "expected tag endif"),
        ("{{ order.no | shout }}", "UnknownFilterError", "unknown filter 'shout'"),
        ("{% for i in (1..1000) %}{{ i }}{% endfor %}", "LoopIterationLimitError", "loop"),
        ("{% for i in (1..150) %}xxxxxxxxxxxxxxx{% endfor %}", "OutputStreamLimitError", "output"),
        ("{% include 'other' %}", "TemplateNotFoundError", "other"),
        ("   ", "empty", "empty"),
    ],
)
def test_a_broken_template_is_refused_on_save_with_the_liquid_error(
    client: TestClient, tenant: TenantKeys, template: str, problem: str, says: str
) -> None:
    response = _post(client, tenant, template=template)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "ERR_NOTIFICATION_TEMPLATE_INVALID"
    assert body["details"]["problem"] == problem
    assert says in body["detail"]
    assert client.get(RULES, headers=tenant.headers()).json()["items"] == []


@pytest.mark.parametrize(
    ("condition", "problem"),
    [
        ("cold_chain and", "syntax"),
        ("temperature > 30", "unknown_symbol"),
        ("order_total", "not_boolean"),
        ("scan_text =~ '(a+)+'", "regex"),
    ],
)
def test_an_invalid_condition_is_refused_on_save(
    client: TestClient, tenant: TenantKeys, condition: str, problem: str
) -> None:
    response = _post(client, tenant, condition=condition)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "ERR_NOTIFICATION_CONDITION_INVALID"
    assert response.json()["details"]["problem"] == problem


@pytest.mark.parametrize(
    "overrides",
    [
        {"quiet_start": "22:00"},
        {"channel": "wechat"},
        {"fallback_channel": "sms"},
        {"node": "teleported"},
        {"quiet_start": "25:00", "quiet_end": "08:00"},
        {"template": None},
        {"name": ""},
    ],
)
def test_bad_rule_settings_are_a_422_never_a_5xx(
    client: TestClient, tenant: TenantKeys, overrides: dict[str, Any]
) -> None:
    response = _post(client, tenant, **overrides)
    assert response.status_code == 422, response.text
    assert response.json()["code"] in {"ERR_VALIDATION", "ERR_NOTIFICATION_RULE_INVALID"}


def test_rules_are_created_listed_in_pages_replaced_and_named_once(
    client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    first = _post(client, tenant).json()
    _post(client, tenant, name="delivered-sms", node="delivered")
    assert _post(client, tenant).json()["code"] == "ERR_NOTIFICATION_RULE_NAME_TAKEN"
    page = client.get(f"{RULES}?limit=1", headers=tenant.headers()).json()
    assert page["has_more"] is True
    after = client.get(f"{RULES}?cursor={page['next_cursor']}", headers=tenant.headers()).json()
    assert {r["name"] for r in page["items"] + after["items"]} == {"shipped-sms", "delivered-sms"}
    replaced = client.put(
        f"{RULES}/{first['id']}", json=_rule(is_critical=True), headers=tenant.headers()
    )
    assert replaced.json()["is_critical"] is True
    assert replaced.json()["version"] == first["version"] + 1
    stale = client.put(
        f"{RULES}/{first['id']}?expected_version={first['version']}",
        json=_rule(),
        headers=tenant.headers(),
    )
    assert (stale.status_code, stale.json()["code"]) == (409, "ERR_CONFLICT")
    assert client.get(f"{RULES}/{first['id']}", headers=other_tenant.headers()).status_code == 404
    assert client.get(RULES, headers=tenant.headers("warehouse")).status_code == 403


def test_preview_renders_a_rule_as_edited_against_an_order_number(
    client: TestClient, tenant: TenantKeys, clock: ManualClock
) -> None:
    order_id = shipped_order(client, clock, tenant)
    order_no = client.get(f"/api/v1/orders/{order_id}", headers=tenant.headers()).json()["order_no"]
    template = "{{ order.no }}:{% for item in items %}{{ item.name }}x{{ item.qty }}{% endfor %}"
    response = client.post(
        f"{RULES}/preview",
        json={"order_no": order_no, "rule": _rule(template=template, condition="carrier == 'x'")},
        headers=tenant.headers(),
    )
    assert response.status_code == 200, response.text
    assert response.json()["text"] == f"{order_no}:龙井x1"
    assert response.json()["condition_matches"] is False
    broken = client.post(
        f"{RULES}/preview",
        json={"order_no": order_no, "rule": _rule(template="{{ order.no ")},
        headers=tenant.headers(),
    )
    assert broken.json()["code"] == "ERR_NOTIFICATION_TEMPLATE_INVALID"
    unknown = client.post(
        f"{RULES}/preview", json={"order_no": "nope", "rule": _rule()}, headers=tenant.headers()
    )
    assert unknown.status_code == 422


def test_a_shipped_order_sends_a_signed_sms_and_logs_it_on_the_order(
    client: TestClient, tenant: TenantKeys, clock: ManualClock, db: Database
) -> None:
    _post(client, tenant)
    with serve(sms_gateway()) as gateway:
        worker = notify_worker(db, notify_settings(notify_sms_url=gateway.url + "/send"))
        order_id = shipped_order(client, clock, tenant, later=timedelta(0))
        drain(worker)
    [sms] = gateway.received
    assert sms.verdict == "ok"
    assert sms.json()["to"] == "13800138000"
    [message] = _messages(client, tenant, order_id)
    assert (message["channel"], message["status"]) == ("sms", "sent")
    assert message["text"] == sms.json()["text"]
    assert "SF1234567890" in message["text"]


def test_quiet_hours_defer_the_message_to_their_end_and_a_critical_rule_goes_now(
    client: TestClient, tenant: TenantKeys, db: Database
) -> None:
    # 23:30 in Shanghai.
    clock = db.clock
    assert isinstance(clock, ManualClock)
    clock.set(datetime(2026, 1, 24, 15, 30, tzinfo=UTC))
    _post(client, tenant, quiet_start="22:00", quiet_end="08:00")
    _post(client, tenant, name="urgent", quiet_start="22:00", quiet_end="08:00", is_critical=True)
    with serve(sms_gateway()) as gateway:
        worker = notify_worker(db, notify_settings(notify_sms_url=gateway.url))
        order_id = shipped_order(client, clock, tenant, later=timedelta(0))
        drain(worker)
        assert len(gateway.received) == 1  # the critical one
        by_rule = {m["rule_name"]: m for m in _messages(client, tenant, order_id)}
        assert by_rule["urgent"]["status"] == "sent"
        deferred = by_rule["shipped-sms"]
        assert deferred["status"] == "deferred"
        assert deferred["due_at"].startswith("2026-01-25T00:00:00")  # 08:00 in Shanghai
        clock.set(datetime(2026, 1, 24, 23, 59, tzinfo=UTC))
        drain(worker)
        assert len(gateway.received) == 1
        clock.set(datetime(2026, 1, 25, 0, 0, 1, tzinfo=UTC))
        drain(worker)
        assert len(gateway.received) == 2
    assert {m["status"] for m in _messages(client, tenant, order_id)} == {"sent"}


def test_wechat_sends_once_per_grant_then_falls_back_to_sms(
    client: TestClient, tenant: TenantKeys, clock: ManualClock, db: Database
) -> None:
    wechat = {"channel": "wechat", "wechat_template_id": "TPL-SHIP", "fallback_channel": "sms"}
    _post(client, tenant, name="ship-wx", **wechat)
    _post(client, tenant, name="deliver-wx", node="delivered", **wechat)
    granted = client.post(
        f"{RULES}/wechat-grants",
        json={"buyer_id": "b-1", "openid": "o-b1", "template_id": "TPL-SHIP"},
        headers=tenant.headers(),
    )
    assert granted.json()["remaining"] == 1
    subscribed = {"o-b1": 1}
    with serve(wechat_api(subscribed=subscribed)) as api, serve(sms_gateway()) as gateway:
        settings = notify_settings(notify_wechat_base_url=api.url, notify_sms_url=gateway.url)
        worker = notify_worker(db, settings)
        order_id = shipped_order(client, clock, tenant, later=timedelta(0))
        drain(worker)
        [sent] = api.received
        assert sent.query["access_token"] == "ACCESS_TOKEN_TEST"
        assert sent.json()["touser"] == "o-b1"
        assert sent.json()["template_id"] == "TPL-SHIP"
        assert "SF1234567890" in sent.json()["data"]["thing1"]["value"]
        assert gateway.received == []
        client.post(
            f"/api/v1/orders/{order_id}/events", json={"event": "deliver"}, headers=tenant.headers()
        )
        drain(worker)
        assert len(api.received) == 1  # no grant left: WeChat is not even asked
        [sms] = gateway.received
    log = [(m["rule_name"], m["channel"], m["status"]) for m in _messages(client, tenant, order_id)]
    assert log == [
        ("ship-wx", "wechat", "sent"),
        ("deliver-wx", "wechat", "fallback"),
        ("deliver-wx", "sms", "sent"),
    ]
    assert sms.json()["to"] == "13800138000"


def test_a_wechat_refusal_43101_falls_back_to_sms(
    client: TestClient, tenant: TenantKeys, clock: ManualClock, db: Database
) -> None:
    _post(client, tenant, channel="wechat", wechat_template_id="T1", fallback_channel="sms")
    client.post(
        f"{RULES}/wechat-grants",
        json={"buyer_id": "b-1", "openid": "o-revoked", "template_id": "T1"},
        headers=tenant.headers(),
    )
    with serve(wechat_api(subscribed={})) as api, serve(sms_gateway()) as gateway:
        settings = notify_settings(notify_wechat_base_url=api.url, notify_sms_url=gateway.url)
        order_id = shipped_order(client, clock, tenant, later=timedelta(0))
        drain(notify_worker(db, settings))
        assert [r.verdict for r in api.received] == ["refused"]
        assert len(gateway.received) == 1
    wx, sms = _messages(client, tenant, order_id)
    assert wx["status"] == "fallback" and "43101" in wx["error"]
    assert sms["status"] == "sent"


def test_a_cold_chain_parcel_entering_a_hot_region_tells_the_buyer(
    client: TestClient, tenant: TenantKeys, clock: ManualClock, db: Database
) -> None:
    tracking.configure(db, tenant.tenant_id, "generic", secret=WHSEC)
    client.put(
        "/api/v1/stock/TEA-LJ-250/attributes",
        json={"needs": ["cold_chain"], "weight_grams": 500},
        headers=tenant.headers(),
    )
    _post(
        client,
        tenant,
        name="cold-hot",
        node="at_hub",
        template="您的冻干粮正在恒温车厢运输",
        condition="cold_chain and scan_province in hot_regions",
    )
    with serve(sms_gateway()) as gateway:
        worker = notify_worker(db, notify_settings(notify_sms_url=gateway.url))
        order_id = shipped_order(client, clock, tenant, later=timedelta(0))
        drain(worker)
        for n, place in enumerate(["浙江省杭州市", "广东省广州市"]):
            clock.advance(timedelta(hours=2))
            _push(client, clock, tenant, ("aftership", "InTransit"), place, n)
            clock.advance(timedelta(minutes=1))
            _push(client, clock, tenant, ("17track", "InTransit_Arrival"), place, n + 10)
            drain(worker)
        texts = [r.json()["text"] for r in gateway.received]
    assert texts == ["您的冻干粮正在恒温车厢运输"]
    [message] = _messages(client, tenant, order_id)
    assert (message["node"], message["status"]) == ("at_hub", "sent")


def _push(
    client: TestClient,
    clock: ManualClock,
    tenant: TenantKeys,
    reading: tuple[str, str],
    place: str,
    n: int,
) -> None:
    scheme, code = reading
    payload = {
        "carrier": "shunfeng",
        "tracking_no": "SF1234567890",
        "scheme": scheme,
        "events": [scan_event(clock.now(), code, text=f"到达 {place}", location=place)],
    }
    headers, body = generic_push(clock, payload, msg_id=f"msg_cold_{n}")
    response = client.post(
        f"/api/v1/tracking/generic/{tenant.tenant_id}", content=body, headers=headers
    )
    assert response.status_code == 200, response.text


def test_email_goes_through_smtp_and_a_webhook_is_signed_with_standard_webhooks(
    client: TestClient, tenant: TenantKeys, clock: ManualClock, db: Database
) -> None:
    _post(client, tenant, name="mail", channel="email", subject="订单 {{ order.no }} 已发货")
    _post(client, tenant, name="hook", channel="webhook")
    secret = "whsec_" + base64.b64encode(b"notify-webhook-test-secret-32by").decode()

    def receiver(request: Received) -> tuple[int, dict[str, Any]]:
        verify(secret, request.headers, request.body, now=clock.now())
        request.verdict = "verified"
        return 200, {}

    address = {"province": "浙江省", "city": "杭州市", "line1": "文三路", "email": "b@example.com"}
    with smtp_server() as (port, inbox), serve(receiver) as hook:
        settings = notify_settings(
            smtp_host="127.0.0.1",
            smtp_port=port,
            notify_webhook_url=hook.url,
            notify_webhook_secret=secret,
            webhook_allow_private_networks=True,
        )
        order = post_order(client, tenant, shipping_address=address, lines=LINES)
        client.post(
            f"/api/v1/orders/{order['id']}/events", json={"event": "pay"}, headers=tenant.headers()
        )
        shipment = {"carrier": "zhongtong", "tracking_no": "ZT100", "lines": [LINES[0] | {}]}
        shipped = client.post(
            f"/api/v1/orders/{order['id']}/shipments",
            json={**shipment, "lines": [{"sku": "TEA-LJ-250", "qty": 1}], "is_final": True},
            headers=tenant.headers(),
        )
        assert shipped.status_code == 201, shipped.text
        drain(notify_worker(db, settings))
        [mail] = inbox
        [delivery] = hook.received
    assert mail["To"] == "b@example.com"
    assert mail["Subject"] == f"订单 {order['order_no']} 已发货"
    assert delivery.verdict == "verified"
    assert delivery.json()["order_id"] == order["id"]
    statuses = {m["channel"]: m["status"] for m in _messages(client, tenant, order["id"])}
    assert statuses == {"email": "sent", "webhook": "sent"}


def test_quiet_hours_are_read_in_the_buyers_zone_when_the_address_names_one(
    client: TestClient, tenant: TenantKeys, db: Database
) -> None:
    """23:30 in Shanghai is 16:30 in Berlin: a Berlin buyer is not in quiet hours."""
    clock = db.clock
    assert isinstance(clock, ManualClock)
    clock.set(datetime(2026, 1, 24, 15, 30, tzinfo=UTC))
    _post(client, tenant, quiet_start="22:00", quiet_end="08:00")
    address = {"line1": "Unter den Linden 1", "country": "DE", "timezone": "Europe/Berlin"}
    with serve(sms_gateway()) as gateway:
        order = post_order(client, tenant, shipping_address=address, lines=LINES)
        client.post(
            f"/api/v1/orders/{order['id']}/events", json={"event": "pay"}, headers=tenant.headers()
        )
        shipped = client.post(
            f"/api/v1/orders/{order['id']}/shipments",
            json={
                "carrier": "zhongtong",
                "tracking_no": "DE10001",
                "lines": [{"sku": "TEA-LJ-250", "qty": 1}],
                "is_final": True,
            },
            headers=tenant.headers(),
        )
        assert shipped.status_code == 201, shipped.text
        drain(notify_worker(db, notify_settings(notify_sms_url=gateway.url)))
        assert len(gateway.received) == 1
    [message] = _messages(client, tenant, order["id"])
    assert message["status"] == "sent"


def test_a_stalled_parcel_tells_the_buyer_once_the_stall_ticket_opens(
    client: TestClient, tenant: TenantKeys, clock: ManualClock, db: Database
) -> None:
    tracking.configure(db, tenant.tenant_id, "generic", secret=WHSEC)
    _post(client, tenant, name="stall", node="stalled", template="包裹 {{ tracking_no }} 暂无更新")
    with serve(sms_gateway()) as gateway:
        worker = notify_worker(db, notify_settings(notify_sms_url=gateway.url))
        order_id = shipped_order(client, clock, tenant, later=timedelta(hours=1))
        _push(client, clock, tenant, ("aftership", "InTransit"), "浙江省杭州市", 1)
        drain(worker)
        assert gateway.received == []
        clock.advance(timedelta(hours=4, minutes=1))
        assert sweep_stalls(db) == 1
        drain(worker)
        assert [r.json()["text"] for r in gateway.received] == ["包裹 SF1234567890 暂无更新"]
    [message] = _messages(client, tenant, order_id)
    assert (message["node"], message["status"]) == ("stalled", "sent")
