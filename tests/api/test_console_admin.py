"""Console admin pages: users (invite shows the password once, disable ends the session),
review-group members, alert routes; other roles get 403, refusals come back as flashes."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from oms.core.uow import Database
from oms.refunds import routing
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.users import console_user, log_in, submit_login


def _admin(client: TestClient, db: Database, tenant: TenantKeys) -> str:
    return log_in(client, console_user(db, tenant.tenant_id, "admin"))


def test_an_invitation_shows_the_first_password_once_and_it_signs_in(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    csrf = _admin(client, db, tenant)
    answer = client.post(
        "/console/users/invite",
        data={"csrf_token": csrf, "email": "hire@shop.example", "role": "finance"},
    )
    assert answer.status_code == 201 and answer.headers["cache-control"] == "no-store"
    password = re.search(r"<code class=\"secret\" data-password>([^<]+)</code>", answer.text)
    assert password is not None
    page = client.get("/console/users").text
    assert "hire@shop.example" in page and password.group(1) not in page
    other = TestClient(client.app)
    assert submit_login(other, "hire@shop.example", password.group(1)).status_code == 303


def test_an_invitation_for_a_taken_address_is_a_flash(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    csrf = _admin(client, db, tenant)
    console_user(db, tenant.tenant_id, "ops", email="taken@shop.example")
    answer = client.post(
        "/console/users/invite",
        data={"csrf_token": csrf, "email": "taken@shop.example", "role": "ops"},
    )
    assert answer.status_code == 409 and 'data-code="ERR_USER_EMAIL_TAKEN"' in answer.text


def test_disabling_in_the_console_signs_the_user_out_and_yourself_is_refused(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    admin = console_user(db, tenant.tenant_id, "admin")
    csrf = log_in(client, admin)
    ops = console_user(db, tenant.tenant_id, "ops")
    ops_client = TestClient(client.app)
    log_in(ops_client, ops)
    done = client.post(f"/console/users/{ops.id}/disable", data={"csrf_token": csrf})
    assert done.status_code == 200 and 'data-done="disabled"' in done.text
    assert ops_client.get("/console/orders", follow_redirects=False).status_code == 303
    self_disable = client.post(f"/console/users/{admin.id}/disable", data={"csrf_token": csrf})
    assert 'data-code="ERR_USER_SELF_CHANGE"' in self_disable.text
    role = client.post(
        f"/console/users/{ops.id}/role", data={"csrf_token": csrf, "role": "service"}
    )
    assert 'data-done="role_changed"' in role.text


def test_review_group_members_are_added_and_removed(
    client: TestClient, db: Database, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    csrf = _admin(client, db, tenant)
    agent = console_user(db, tenant.tenant_id, "service", email="agent@shop.example")
    added = client.post(
        "/console/review-groups/add",
        data={"csrf_token": csrf, "group": "tmall-small", "user_id": agent.id},
    )
    assert 'data-done="member_added"' in added.text and "agent@shop.example" in added.text
    groups = routing.list_groups(db, tenant.tenant_id)
    assert [(g.name, g.members) for g in groups] == [("tmall-small", [f"user:{agent.id}"])]
    theirs = console_user(db, other_tenant.tenant_id, "service")
    refused = client.post(
        "/console/review-groups/add",
        data={"csrf_token": csrf, "group": "tmall-small", "user_id": theirs.id},
    )
    assert 'data-code="ERR_USER_NOT_FOUND"' in refused.text
    removed = client.post(
        "/console/review-groups/remove",
        data={"csrf_token": csrf, "group": "tmall-small", "principal": f"user:{agent.id}"},
    )
    assert 'data-done="member_removed"' in removed.text
    assert routing.list_groups(db, tenant.tenant_id)[0].members == []


def test_alert_routes_are_added_checked_and_deleted(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    csrf = _admin(client, db, tenant)
    bad = client.post(
        "/console/alerts/add", data={"csrf_token": csrf, "alert_type": "*", "channel": "dingtalk"}
    )
    assert 'data-code="ERR_ALERT_ROUTE_INVALID"' in bad.text
    added = client.post(
        "/console/alerts/add",
        data={
            "csrf_token": csrf,
            "alert_type": "stock.*",
            "channel": "email",
            "email": "ops@shop.example",
        },
    )
    assert 'data-done="route_added"' in added.text
    route_id = re.search(r'data-route-id="([^"]+)"', added.text)
    assert route_id is not None
    deleted = client.post(f"/console/alerts/{route_id.group(1)}/delete", data={"csrf_token": csrf})
    assert 'data-done="route_deleted"' in deleted.text and "data-route-id" not in deleted.text


def test_the_admin_pages_are_for_admins_only(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    log_in(client, console_user(db, tenant.tenant_id, "ops"))
    for path in ("/console/users", "/console/review-groups", "/console/alerts"):
        assert client.get(path).status_code == 403, path


def test_webhook_subscriptions_are_created_with_a_secret_shown_once_and_deleted(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    csrf = _admin(client, db, tenant)
    form = {"csrf_token": csrf, "url": "http://127.0.0.1:9/hook", "event_types": "order.created"}
    refused = client.post("/console/webhooks/subscriptions", data=form)
    assert 'data-code="ERR_WEBHOOK_DESTINATION_REFUSED"' in refused.text
    settings = client.app.state.settings  # type: ignore[attr-defined]
    client.app.state.settings = settings.model_copy(  # type: ignore[attr-defined]
        update={"webhook_allow_private_networks": True}
    )
    unknown = client.post("/console/webhooks/subscriptions", data=form | {"event_types": "nope"})
    assert 'data-code="ERR_WEBHOOK_UNKNOWN_EVENT_TYPE"' in unknown.text
    created = client.post("/console/webhooks/subscriptions", data=form)
    assert created.status_code == 201 and created.headers["cache-control"] == "no-store"
    secret = re.search(r"<code class=\"secret\" data-secret>([^<]+)</code>", created.text)
    sub_id = re.search(r'data-created="([^"]+)"', created.text)
    assert secret is not None and sub_id is not None
    assert secret.group(1) not in client.get("/console/webhooks").text
    deleted = client.post(
        f"/console/webhooks/subscriptions/{sub_id.group(1)}/delete", data={"csrf_token": csrf}
    )
    assert 'data-done="deleted"' in deleted.text
    again = client.post(
        f"/console/webhooks/subscriptions/{sub_id.group(1)}/delete", data={"csrf_token": csrf}
    )
    assert 'data-code="ERR_WEBHOOK_SUBSCRIPTION_NOT_FOUND"' in again.text
