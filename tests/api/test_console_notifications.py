"""The console's notification rules: a broken template comes back with the Liquid error, a
good rule saves, the preview renders it against an order number, the order page logs it."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from oms.core.clock import ManualClock
from oms.core.uow import Database
from tests.fixtures.notify import drain, notify_settings, notify_worker, sms_gateway
from tests.fixtures.robots import serve
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.tracking import shipped_order
from tests.fixtures.users import console_user, log_in

PAGE = "/console/notifications"


def _form(csrf: str, **overrides: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf,
        "name": "shipped-sms",
        "node": "shipped",
        "channel": "sms",
        "template": "{{ order.no }} 已发货 {{ tracking_no }}",
        "is_enabled": "1",
    }
    return form | overrides


def test_the_editor_refuses_a_broken_template_with_its_error_and_saves_a_good_rule(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    csrf = log_in(client, console_user(db, tenant.tenant_id, "ops"))
    bad = client.post(f"{PAGE}/rules", data=_form(csrf, template="{% if order.no %}x"))
    assert bad.status_code == 422
    assert 'data-code="ERR_NOTIFICATION_TEMPLATE_INVALID"' in bad.text
    assert "expected tag endif" in bad.text
    assert "{% if order.no %}x" in bad.text  # the draft is kept
    odd = client.post(f"{PAGE}/rules", data=_form(csrf, node="nowhere"))
    assert odd.status_code == 422 and "node" in odd.text
    good = client.post(f"{PAGE}/rules", data=_form(csrf), follow_redirects=False)
    assert (good.status_code, good.headers["location"]) == (303, f"{PAGE}?done=rule_saved")
    assert '<tr data-rule="shipped-sms">' in client.get(PAGE).text


def test_the_preview_renders_the_rule_as_edited_and_the_order_page_shows_the_log(
    client: TestClient, db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    csrf = log_in(client, console_user(db, tenant.tenant_id, "ops"))
    client.post(f"{PAGE}/rules", data=_form(csrf))
    with serve(sms_gateway()) as gateway:
        order_id = shipped_order(client, clock, tenant, later=timedelta(0))
        drain(notify_worker(db, notify_settings(notify_sms_url=gateway.url)))
    order_no = client.get(f"/api/v1/orders/{order_id}", headers=tenant.headers()).json()["order_no"]
    shown = client.post(f"{PAGE}/preview", data=_form(csrf, order_no=order_no))
    assert shown.status_code == 200
    assert f"{order_no} 已发货 SF1234567890" in shown.text
    page = client.get(f"/console/orders/{order_id}").text
    assert 'data-status="sent" data-channel="sms"' in page
    assert f"{order_no} 已发货 SF1234567890" in page
    assert client.get(PAGE).status_code == 200
    log_in(client, console_user(db, tenant.tenant_id, "warehouse"))
    assert client.get(PAGE).status_code == 403
