"""The orders API, black box: status codes, error codes, headers and shapes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from oms.core.clock import ManualClock
from tests.fixtures.orders import order_payload
from tests.fixtures.tenants import TenantKeys

ORDERS = "/api/v1/orders"


def _create(client: TestClient, tenant: TenantKeys, **overrides: Any) -> dict[str, Any]:
    response = client.post(ORDERS, json=order_payload(**overrides), headers=tenant.headers())
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _event(client: TestClient, tenant: TenantKeys, order_id: str, role: str = "admin", **body: Any):  # type: ignore[no-untyped-def]
    return client.post(f"{ORDERS}/{order_id}/events", json=body, headers=tenant.headers(role))


def test_creating_an_order_answers_201_with_location_and_etag(
    client: TestClient, tenant: TenantKeys
) -> None:
    response = client.post(ORDERS, json=order_payload(), headers=tenant.headers())
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"{ORDERS}/{body['id']}"
    assert response.headers["etag"] == '"1"'
    assert {"id", "order_no", "status", "version", "totals", "created_at", "updated_at"} <= set(
        body
    )
    assert body["status"] == "pending_payment" and body["currency"] == "CNY"


def test_creating_the_same_external_order_again_answers_200_with_the_same_order(
    client: TestClient, tenant: TenantKeys
) -> None:
    first = _create(client, tenant, external_id="JD-1001")
    again = client.post(ORDERS, json=order_payload(external_id="JD-1001"), headers=tenant.headers())
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    listed = client.get(ORDERS, headers=tenant.headers()).json()["items"]
    assert len(listed) == 1


def test_a_conditional_get_answers_304_until_the_order_changes(
    client: TestClient, tenant: TenantKeys
) -> None:
    order = _create(client, tenant)
    url = f"{ORDERS}/{order['id']}"
    first = client.get(url, headers=tenant.headers())
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get(url, headers=tenant.headers(**{"If-None-Match": etag})).status_code == 304
    not_modified = client.get(url, headers=tenant.headers(**{"If-Modified-Since": last_modified}))
    assert not_modified.status_code == 304
    assert not_modified.headers["etag"] == etag and not_modified.content == b""
    _event(client, tenant, order["id"], event="pay")
    changed = client.get(url, headers=tenant.headers(**{"If-None-Match": etag}))
    assert changed.status_code == 200 and changed.headers["etag"] == '"2"'


def test_if_modified_since_is_ignored_when_if_none_match_is_present(
    client: TestClient, tenant: TenantKeys
) -> None:
    order = _create(client, tenant)
    url = f"{ORDERS}/{order['id']}"
    last_modified = client.get(url, headers=tenant.headers()).headers["last-modified"]
    headers = tenant.headers(**{"If-None-Match": '"99"', "If-Modified-Since": last_modified})
    assert client.get(url, headers=headers).status_code == 200


def test_listing_filters_by_status_channel_and_search(
    client: TestClient, tenant: TenantKeys
) -> None:
    paid = _create(client, tenant, channel="jd", buyer={"phone": "13911112222"})
    _create(client, tenant, channel="tmall")
    _event(client, tenant, paid["id"], event="pay")

    def ids(**params: Any) -> list[str]:
        response = client.get(ORDERS, params=params, headers=tenant.headers())
        assert response.status_code == 200, response.text
        return [o["id"] for o in response.json()["items"]]

    assert ids(status="paid") == [paid["id"]]
    assert ids(channel="jd") == [paid["id"]]
    assert ids(q="2222") == [paid["id"]]
    assert len(ids(status=["paid", "pending_payment"])) == 2


def test_cursor_paging_visits_every_order_once(client: TestClient, tenant: TenantKeys) -> None:
    created = {_create(client, tenant)["id"] for _ in range(7)}
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get(ORDERS, params=params, headers=tenant.headers()).json()
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(created) and len(seen) == 7


def test_a_forged_cursor_is_a_validation_error(client: TestClient, tenant: TenantKeys) -> None:
    response = client.get(ORDERS, params={"cursor": "not-a-cursor"}, headers=tenant.headers())
    assert response.status_code == 422
    assert response.json()["code"] == "ERR_VALIDATION"


def test_incremental_sync_returns_changes_oldest_first_and_304_when_nothing_is_newer(
    client: TestClient, tenant: TenantKeys, clock: ManualClock
) -> None:
    a = _create(client, tenant)
    clock.advance(timedelta(seconds=10))
    b = _create(client, tenant)
    clock.advance(timedelta(seconds=10))
    _event(client, tenant, a["id"], event="pay")
    clock.advance(timedelta(seconds=30))
    since = (clock.now() - timedelta(minutes=5)).isoformat()
    poll = client.get(ORDERS, params={"updated_since": since}, headers=tenant.headers())
    assert [o["id"] for o in poll.json()["items"]] == [b["id"], a["id"]]
    last_modified = poll.headers["last-modified"]
    clock.advance(timedelta(seconds=30))
    again = client.get(
        ORDERS,
        params={"updated_since": since},
        headers=tenant.headers(**{"If-Modified-Since": last_modified}),
    )
    assert again.status_code == 304
    _event(client, tenant, b["id"], event="cancel")
    clock.advance(timedelta(seconds=30))
    changed = client.get(
        ORDERS,
        params={"updated_since": since},
        headers=tenant.headers(**{"If-Modified-Since": last_modified}),
    )
    assert changed.status_code == 200
    assert [o["id"] for o in changed.json()["items"]] == [a["id"], b["id"]]


def test_a_change_in_the_same_second_as_the_last_poll_is_not_missed(
    client: TestClient, tenant: TenantKeys, clock: ManualClock
) -> None:
    order = _create(client, tenant)
    poll = client.get(ORDERS, headers=tenant.headers())
    clock.advance(timedelta(milliseconds=300))
    _event(client, tenant, order["id"], event="pay")
    again = client.get(
        ORDERS, headers=tenant.headers(**{"If-Modified-Since": poll.headers["last-modified"]})
    )
    assert again.status_code == 200


def test_events_answer_with_outcome_flags_and_conflict_codes(
    client: TestClient, tenant: TenantKeys
) -> None:
    order = _create(client, tenant)
    applied = _event(client, tenant, order["id"], event="pay", source="gateway:alipay")
    assert applied.status_code == 200
    assert applied.json()["outcome"] == "applied" and applied.json()["order"]["version"] == 2
    duplicate = _event(client, tenant, order["id"], event="pay", source="gateway:alipay")
    assert duplicate.status_code == 200 and duplicate.json()["duplicate"] is True
    illegal = _event(client, tenant, order["id"], event="complete")
    assert illegal.status_code == 409
    assert illegal.headers["content-type"] == "application/problem+json"
    assert illegal.json()["code"] == "ERR_ORDER_ILLEGAL_TRANSITION"
    assert illegal.json()["details"]["current_status"] == "paid"
    stale_version = _event(client, tenant, order["id"], event="hold", expected_version=1)
    assert stale_version.status_code == 409
    assert stale_version.json()["code"] == "ERR_ORDER_VERSION_MISMATCH"


def test_a_stale_event_answers_200_with_stale_true(
    client: TestClient, tenant: TenantKeys, clock: ManualClock
) -> None:
    order = _create(client, tenant)
    now = clock.now()
    _event(client, tenant, order["id"], event="pay", source="erp:wdt", occurred_at=now.isoformat())
    old = (now - timedelta(minutes=1)).isoformat()
    stale = _event(client, tenant, order["id"], event="cancel", source="erp:wdt", occurred_at=old)
    assert stale.status_code == 200 and stale.json()["stale"] is True
    assert stale.json()["order"]["status"] == "paid"


def test_the_timeline_tells_who_changed_what_and_from_where(
    client: TestClient, tenant: TenantKeys
) -> None:
    order = _create(client, tenant)
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    client.post(
        f"{ORDERS}/{order['id']}/events",
        json={"event": "cancel", "source": "erp:wangdiantong", "reason": "buyer asked"},
        headers=tenant.headers(traceparent=traceparent, **{"User-Agent": "wdt-sync/3.1"}),
    )
    _event(client, tenant, order["id"], event="ship", source="erp:wangdiantong")
    timeline = client.get(f"{ORDERS}/{order['id']}/timeline", headers=tenant.headers()).json()[
        "items"
    ]
    assert [e["event"] for e in timeline] == ["create", "cancel", "ship"]
    cancel, ship = timeline[1], timeline[2]
    assert cancel["from_status"] == "pending_payment" and cancel["to_status"] == "cancelled"
    assert cancel["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert cancel["user_agent"] == "wdt-sync/3.1" and cancel["reason"] == "buyer asked"
    assert cancel["client_ip"] and len(cancel["body_sha256"]) == 64
    assert cancel["actor"].startswith("apikey:")
    assert (ship["outcome"], ship["error_code"]) == ("rejected", "ERR_ORDER_ILLEGAL_TRANSITION")


def test_an_order_past_its_payment_deadline_reads_cancelled(
    client: TestClient, tenant: TenantKeys, clock: ManualClock
) -> None:
    order = _create(client, tenant)
    clock.advance(timedelta(minutes=15, seconds=1))
    seen = client.get(f"{ORDERS}/{order['id']}", headers=tenant.headers()).json()
    assert seen["status"] == "cancelled" and seen["timeout_pending"] is True
    listed = client.get(ORDERS, params={"status": "cancelled"}, headers=tenant.headers()).json()
    assert [o["id"] for o in listed["items"]] == [order["id"]]
    pending = client.get(ORDERS, params={"status": "pending_payment"}, headers=tenant.headers())
    assert pending.json()["items"] == []
