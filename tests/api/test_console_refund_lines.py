"""The order page's refund form by lines and units: the confirmation step shows the lines and
what they come to, the request goes through the refunds service (the API's refund), and bad
input (more units than are left, units and an amount) is a translated message, nothing sent."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from oms.core.uow import Database
from tests.fixtures.orders import post_order
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.users import console_user, log_in

LIST = "/console/orders"
TEA, CUP = "TEA-LJ-250", "CUP-GLS-300"  # 2 at ¥328.00, 1 at ¥69.00 (tests.fixtures.orders)


def _paid_order(client: TestClient, tenant: TenantKeys) -> dict[str, Any]:
    order = post_order(client, tenant)
    paid = client.post(
        f"/api/v1/orders/{order['id']}/events", json={"event": "pay"}, headers=tenant.headers()
    )
    assert paid.status_code == 200, paid.text
    return order


def _refunds(client: TestClient, tenant: TenantKeys, order_id: str) -> list[dict[str, Any]]:
    listed = client.get(f"/api/v1/refunds?order_id={order_id}", headers=tenant.headers())
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


def _form(csrf: str, tea: str = "0", cup: str = "0", amount: str = "") -> dict[str, Any]:
    return {
        "sku": [TEA, CUP],
        "qty": [tea, cup],
        "amount": amount,
        "reason": "damaged_in_transit",
        "note": "一盒压坏",
        "csrf_token": csrf,
    }


def _confirm(client: TestClient, url: str, form: dict[str, Any]) -> Any:
    preview = client.post(url, data=form)
    assert preview.status_code == 200 and 'id="refund-confirm"' in preview.text, preview.text
    request_id = re.search(r'name="request_id" value="([^"]+)"', preview.text)
    assert request_id is not None
    # The confirmation re-posts what it shows: the chosen lines only.
    hidden = r'<input type="hidden" name="(sku|qty)" value="([^"]*)">'
    posted = dict(re.findall(hidden, preview.text))
    confirm = form | {"confirmed": "1", "request_id": request_id.group(1)}
    return preview, posted, confirm


def test_the_form_offers_each_line_with_the_units_left_to_refund(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order = _paid_order(client, tenant)
    log_in(client, console_user(db, tenant.tenant_id, "service"))
    page = client.get(f"{LIST}/{order['id']}").text
    form = page[page.index('id="refund-request"') : page.index('id="shipments"')]
    assert f'name="qty" type="number" min="0" max="2" value="0" data-sku="{TEA}"' in form
    assert f'max="1" value="0" data-sku="{CUP}"' in form
    assert 'name="amount"' in form and 'name="reason"' in form and 'name="note"' in form


def test_one_line_is_refunded_through_the_confirmation_step_at_its_unit_price(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order = _paid_order(client, tenant)
    csrf = log_in(client, console_user(db, tenant.tenant_id, "service"))
    url = f"{LIST}/{order['id']}/refunds"
    preview, posted, confirm = _confirm(client, url, _form(csrf, tea="1"))
    assert f'<tr data-sku="{TEA}" data-qty="1">' in preview.text
    assert f'data-sku="{CUP}" data-qty' not in preview.text
    assert 'data-amount="32800" data-scope="lines"' in preview.text and "¥328.00" in preview.text
    assert posted == {"sku": TEA, "qty": "1"}
    assert _refunds(client, tenant, order["id"]) == []  # nothing sent before the confirmation
    sent = client.post(url, data=confirm, follow_redirects=False)
    assert sent.headers["location"].endswith("?done=refund_requested")
    again = client.post(url, data=confirm, follow_redirects=False)  # a second click
    assert again.headers["location"].endswith("?done=refund_requested")
    [refund] = _refunds(client, tenant, order["id"])
    assert refund["scope"] == "lines" and refund["amount"] == 32800
    assert refund["lines"] == [{"sku": TEA, "qty": 1, "unit_price": 32800}]
    page = client.get(f"{LIST}/{order['id']}").text
    assert f'max="1" value="0" data-sku="{TEA}"' in page  # one box of tea is left to refund


def test_the_whole_order_and_an_amount_still_work_beside_the_lines(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order = _paid_order(client, tenant)
    csrf = log_in(client, console_user(db, tenant.tenant_id, "service"))
    url = f"{LIST}/{order['id']}/refunds"
    preview, _, _ = _confirm(client, url, _form(csrf))
    assert 'data-amount="" data-scope="whole"' in preview.text
    preview, _, confirm = _confirm(client, url, _form(csrf, amount="12.50"))
    assert 'data-amount="1250" data-scope="amount"' in preview.text
    client.post(url, data=confirm, follow_redirects=False)
    [refund] = _refunds(client, tenant, order["id"])
    assert refund["scope"] == "amount" and refund["amount"] == 1250 and refund["lines"] == []


def test_more_units_than_are_left_or_units_and_an_amount_are_refused_with_a_message(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order = _paid_order(client, tenant)
    csrf = log_in(client, console_user(db, tenant.tenant_id, "service", locale="en"))
    url = f"{LIST}/{order['id']}/refunds"
    cases = {
        "ERR_REFUND_UNITS_EXCEED_REFUNDABLE": _form(csrf, tea="3"),
        "ERR_REFUND_SCOPE_AMBIGUOUS": _form(csrf, cup="1", amount="5"),
        "ERR_VALIDATION": _form(csrf, tea="-1"),
    }
    for code, form in cases.items():
        for step in ({}, {"confirmed": "1", "request_id": f"t-{code}"}):
            refused = client.post(url, data=form | step, follow_redirects=False)
            assert refused.headers["location"].endswith(f"?error={code}"), (code, step)
    page = client.get(f"{url.rsplit('/', 1)[0]}?error=ERR_REFUND_UNITS_EXCEED_REFUNDABLE").text
    assert "more units than are left to refund" in page
    page = client.get(f"{url.rsplit('/', 1)[0]}?error=ERR_REFUND_SCOPE_AMBIGUOUS").text
    assert "Refund some units of the lines or an amount, not both." in page
    # Refund the cup, then ask for it again: none is left.
    _, _, confirm = _confirm(client, url, _form(csrf, cup="1"))
    client.post(url, data=confirm, follow_redirects=False)
    again = client.post(url, data=_form(csrf, cup="1"), follow_redirects=False)
    assert again.headers["location"].endswith("?error=ERR_REFUND_UNITS_EXCEED_REFUNDABLE")
    assert len(_refunds(client, tenant, order["id"])) == 1


def test_the_messages_are_in_chinese_for_a_chinese_reader(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order = _paid_order(client, tenant)
    log_in(client, console_user(db, tenant.tenant_id, "service"))
    page = client.get(f"{LIST}/{order['id']}?error=ERR_REFUND_SCOPE_AMBIGUOUS").text
    assert "按件退款和按金额退款只能选一种。" in page
    page = client.get(f"{LIST}/{order['id']}?error=ERR_REFUND_UNITS_EXCEED_REFUNDABLE").text
    assert "退款件数超过可退件数。" in page
    assert "可退件数" in page and "退款件数" in page  # the form's columns
