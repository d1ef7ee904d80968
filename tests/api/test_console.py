"""The console over HTTP: sign-in and lock-out, CSRF, roles, events, language, jobs."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from oms.app import create_app
from oms.config import Settings
from oms.core.clock import ManualClock
from oms.core.uow import Database
from tests.fixtures.orders import order_timeline, post_order
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.users import PASSWORD, console_user, csrf_of, log_in, submit_login

ORDERS = "/api/v1/orders"


_order = post_order
_timeline = order_timeline


def _post_event(
    client: TestClient, order_id: str, event: str, csrf: str | None, **extra: Any
) -> Any:
    data = {"event": event, **extra} | ({"csrf_token": csrf} if csrf is not None else {})
    return client.post(f"/console/orders/{order_id}/events", data=data, follow_redirects=False)


def _buttons(html: str) -> set[str]:
    """Events posted at once, and those (cancel, hold, close) behind a confirmation step."""
    posted = re.findall(r'name="event" value="([a-z_]+)"', html)
    return set(posted) | set(re.findall(r"\?confirm=([a-z_]+)#confirm", html))


def test_signing_in_sets_a_locked_down_session_cookie_and_lists_orders(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    _order(client, tenant, buyer={"name": "王芳", "phone": "13800138000"})
    user = console_user(db, tenant.tenant_id, "ops")
    response = submit_login(client, user.email.upper(), user.password)
    assert response.status_code == 303 and response.headers["location"] == "/console/orders"
    cookie = next(c for c in response.headers.get_list("set-cookie") if "oms_session=" in c)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie
    page = client.get("/console/orders").text
    assert "138****8000" in page and "13800138000" not in page
    assert "¥730.00" in page  # 2 * 328.00 + 69.00 + 10.00 - 5.00
    assert "2026-01-24 13:00:00" in page  # 05:00 UTC in Asia/Shanghai
    assert "待付款" in page


def test_a_wrong_password_is_refused_with_a_message(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    user = console_user(db, tenant.tenant_id, "ops")
    response = submit_login(client, user.email, "not the password")
    assert response.status_code == 401
    assert 'data-code="ERR_AUTH_INVALID_CREDENTIALS"' in response.text
    assert client.get("/console/orders", follow_redirects=False).status_code == 303


def test_five_failures_lock_the_account_for_fifteen_minutes(
    client: TestClient, db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    user = console_user(db, tenant.tenant_id, "ops")
    statuses = [submit_login(client, user.email, "wrong-password").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 423]
    locked = submit_login(client, user.email, PASSWORD)
    assert locked.status_code == 423 and 'data-code="ERR_AUTH_ACCOUNT_LOCKED"' in locked.text
    clock.advance(timedelta(minutes=14, seconds=59))
    assert submit_login(client, user.email, PASSWORD).status_code == 423
    clock.advance(timedelta(seconds=2))
    assert submit_login(client, user.email, PASSWORD).status_code == 303


def test_a_successful_sign_in_resets_the_failure_count(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    user = console_user(db, tenant.tenant_id, "ops")
    for _ in range(4):
        assert submit_login(client, user.email, "wrong-password").status_code == 401
    assert submit_login(client, user.email, PASSWORD).status_code == 303
    for _ in range(4):
        assert submit_login(client, user.email, "wrong-password").status_code == 401
    assert submit_login(client, user.email, PASSWORD).status_code == 303


def test_posts_without_the_right_csrf_token_are_refused(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order = _order(client, tenant)
    csrf = log_in(client, console_user(db, tenant.tenant_id, "ops"))
    assert _post_event(client, order["id"], "pay", None).status_code == 403
    wrong = _post_event(client, order["id"], "pay", csrf[:-1] + "x")
    assert wrong.status_code == 403 and "ERR_AUTH_CSRF_FAILED" in wrong.text
    assert [e["event"] for e in _timeline(client, tenant, order["id"])] == ["create"]
    assert _post_event(client, order["id"], "pay", csrf).status_code == 303


def test_a_login_post_without_its_csrf_cookie_is_refused(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    user = console_user(db, tenant.tenant_id, "ops")
    response = client.post(
        "/console/login",
        data={"email": user.email, "password": user.password, "csrf_token": "guess"},
        follow_redirects=False,
    )
    assert response.status_code == 403 and "oms_session=" not in response.headers.get(
        "set-cookie", ""
    )


def test_an_event_from_the_console_is_applied_and_recorded_with_the_user(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order = _order(client, tenant)
    user = console_user(db, tenant.tenant_id, "ops")
    csrf = log_in(client, user)
    page = client.get(f"/console/orders/{order['id']}").text
    assert _buttons(page) == {"pay", "cancel"}  # never payment_timeout
    response = _post_event(client, order["id"], "pay", csrf, expected_version=1)
    assert response.status_code == 303
    after = client.get(response.headers["location"]).text
    assert 'data-outcome="applied"' in after and "支付成功" in after
    assert _buttons(after) == {"cancel", "hold", "partial_ship", "ship", "close"}
    pay = _timeline(client, tenant, order["id"])[-1]
    assert (pay["event"], pay["outcome"], pay["to_status"]) == ("pay", "applied", "paid")
    assert pay["actor"] == f"user:{user.id}" and pay["source"] == "console"
    assert pay["client_ip"] and pay["body_sha256"]


def test_a_role_without_the_permission_sees_no_button_and_gets_403_recorded(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order = _order(client, tenant)
    user = console_user(db, tenant.tenant_id, "warehouse")
    csrf = log_in(client, user)
    assert _buttons(client.get(f"/console/orders/{order['id']}").text) == set()
    response = _post_event(client, order["id"], "pay", csrf)
    assert response.status_code == 403 and "ERR_AUTH_FORBIDDEN" in response.text
    refused = _timeline(client, tenant, order["id"])[-1]
    assert (refused["event"], refused["outcome"]) == ("pay", "rejected")
    assert refused["error_code"] == "ERR_AUTH_FORBIDDEN"
    assert refused["actor"] == f"user:{user.id}"
    panel = client.get(f"/console/orders/{order['id']}").text
    assert 'data-outcome="rejected"' in panel and "ERR_AUTH_FORBIDDEN" in panel


def test_a_stale_version_is_a_flash_message_not_an_error_page(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order = _order(client, tenant)
    csrf = log_in(client, console_user(db, tenant.tenant_id, "ops"))
    assert _post_event(client, order["id"], "pay", csrf, expected_version=1).status_code == 303
    stale = _post_event(
        client, order["id"], "hold", csrf, expected_version=1, reason_code="address_check"
    )
    assert stale.status_code == 303
    assert stale.headers["location"].endswith("?error=ERR_ORDER_VERSION_MISMATCH")
    page = client.get(stale.headers["location"])
    assert page.status_code == 200 and 'data-code="ERR_ORDER_VERSION_MISMATCH"' in page.text
    illegal = _post_event(client, order["id"], "deliver", csrf)
    assert illegal.headers["location"].endswith("?error=ERR_ORDER_ILLEGAL_TRANSITION")


def test_the_system_only_payment_timeout_cannot_be_posted(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order = _order(client, tenant)
    csrf = log_in(client, console_user(db, tenant.tenant_id, "admin"))
    response = _post_event(client, order["id"], "payment_timeout", csrf)
    assert response.headers["location"].endswith("?error=ERR_VALIDATION")
    assert [e["event"] for e in _timeline(client, tenant, order["id"])] == ["create"]


def test_switching_language_stores_it_for_the_user(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    user = console_user(db, tenant.tenant_id, "ops")
    csrf = log_in(client, user)
    assert "<title>订单" in client.get("/console/orders").text
    switched = client.post(
        "/console/language",
        data={"locale": "en", "csrf_token": csrf, "next": "/console/orders"},
        follow_redirects=False,
    )
    assert switched.status_code == 303
    page = client.get("/console/orders").text
    assert '<html lang="en">' in page and "<title>Orders" in page and "订单" not in page
    client.cookies.clear()
    log_in(client, user)
    assert '<html lang="en">' in client.get("/console/orders").text


def test_the_jobs_page_and_its_menu_entry_are_for_admin_and_ops_only(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    log_in(client, console_user(db, tenant.tenant_id, "ops"))
    jobs = client.get("/console/jobs")
    assert jobs.status_code == 200 and 'data-status="pending"' in jobs.text
    client.cookies.clear()
    log_in(client, console_user(db, tenant.tenant_id, "warehouse"))
    assert 'data-nav="jobs"' not in client.get("/console/orders").text
    assert client.get("/console/jobs").status_code == 403


def test_signing_out_ends_the_session(client: TestClient, db: Database, tenant: TenantKeys) -> None:
    csrf = log_in(client, console_user(db, tenant.tenant_id, "ops"))
    session = client.cookies.get("oms_session")
    assert client.post("/console/logout", data={"csrf_token": csrf}).status_code == 200
    client.cookies.set("oms_session", session or "", path="/console")
    assert client.get("/console/orders", follow_redirects=False).status_code == 303


def test_the_session_cookie_is_secure_in_production(db: Database, tenant: TenantKeys) -> None:
    user = console_user(db, tenant.tenant_id, "ops")
    app = create_app(Settings(env="production", embedded_worker=False), db=db, run_worker=False)
    with TestClient(app, base_url="https://testserver") as secure_client:
        response = submit_login(secure_client, user.email, user.password)
    cookie = next(c for c in response.headers.get_list("set-cookie") if "oms_session=" in c)
    assert "Secure" in cookie


def test_another_tenants_order_is_not_found(
    client: TestClient, db: Database, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    order = _order(client, other_tenant)
    log_in(client, console_user(db, tenant.tenant_id, "ops"))
    response = client.get(f"/console/orders/{order['id']}")
    assert response.status_code == 404 and "ERR_ORDER_NOT_FOUND" in response.text


def test_the_orders_page_filters_and_finds_by_phone_suffix(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    wanted = _order(client, tenant, channel="jd", buyer={"phone": "13911112222"})
    _order(client, tenant, channel="tmall")
    log_in(client, console_user(db, tenant.tenant_id, "service"))

    def listed(**params: str) -> list[str]:
        html = client.get("/console/orders", params=params).text
        return re.findall(r'data-order-id="([^"]+)"', html)

    assert listed(q="2222") == [wanted["id"]]
    assert listed(channel="jd", status="pending_payment") == [wanted["id"]]
    assert listed(created_from="2026-01-24", created_to="2026-01-24") != []
    assert listed(created_from="2026-01-25") == []
    assert csrf_of(client.get("/console/orders").text)
