"""The console's orders list (filters, search, sort, tabs, bulk hold, CSV) and the order page
(the customer-service workspace: sections, reasons, actors by name, notes, refund requests)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

import openpyxl
from fastapi.testclient import TestClient

from oms.core.clock import ManualClock
from oms.core.uow import Database
from tests.fixtures.gateways import alipay_notification
from tests.fixtures.orders import order_timeline, post_order
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.users import console_user, log_in

ORDERS = "/api/v1/orders"
LIST = "/console/orders"


_order = post_order
_timeline = order_timeline


def _event(client: TestClient, tenant: TenantKeys, order_id: str, event: str, **body: Any) -> None:
    response = client.post(
        f"{ORDERS}/{order_id}/events", json={"event": event, **body}, headers=tenant.headers()
    )
    assert response.status_code == 200, response.text


def _listed(client: TestClient, query: str) -> list[str]:
    page = client.get(f"{LIST}?{query}")
    assert page.status_code == 200, page.text
    return re.findall(r'<tr data-order-id="([^"]+)"', page.text)


def test_several_statuses_paid_bounds_and_the_unshipped_age_filter_narrow_the_list(
    client: TestClient, db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    old_paid, cancelled = _order(client, tenant), _order(client, tenant)
    _event(client, tenant, old_paid["id"], "pay")  # 2026-01-24 13:00 in Shanghai
    _event(client, tenant, cancelled["id"], "cancel")
    clock.advance(timedelta(hours=30))
    new_paid, pending = _order(client, tenant), _order(client, tenant)
    _event(client, tenant, new_paid["id"], "pay")  # 2026-01-25 19:00 in Shanghai
    log_in(client, console_user(db, tenant.tenant_id, "ops"))

    both = _listed(client, "status=paid&status=cancelled")
    assert set(both) == {old_paid["id"], new_paid["id"], cancelled["id"]}
    assert pending["id"] not in both
    assert _listed(client, "unshipped_hours=24") == [old_paid["id"]]
    # Local times: 13:00 Shanghai is 05:00 UTC; the bound before it excludes the order.
    assert _listed(client, "paid_after=2026-01-24T13:00") == [new_paid["id"], old_paid["id"]]
    assert _listed(client, "paid_after=2026-01-24T13:01") == [new_paid["id"]]
    assert _listed(client, "paid_before=2026-01-25") == [old_paid["id"]]
    page = client.get(f"{LIST}?unshipped_hours=24").text
    assert "待发货 > 24 h" in page and 'data-tab="unshipped_24h" class="quick active"' in page


def test_the_status_tabs_count_every_status_whatever_status_is_chosen(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    for _ in range(2):
        _event(client, tenant, _order(client, tenant)["id"], "pay")
    _order(client, tenant)
    log_in(client, console_user(db, tenant.tenant_id, "ops"))
    page = client.get(f"{LIST}?status=pending_payment").text
    assert 'data-count="paid">2<' in page and 'data-count="pending_payment">1<' in page
    assert len(re.findall(r'<tr data-order-id="', page)) == 1


def test_search_finds_buyer_names_skus_product_names_and_tracking_numbers(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    wang = _order(client, tenant, buyer={"name": "王芳", "phone": "13800138000"})
    li = _order(client, tenant, buyer={"name": "李娜", "phone": "13912345678"})
    lines = [{"sku": "CUP-GLS-300", "name": "玻璃杯", "qty": 1, "unit_price": 6900}]
    cup = _order(client, tenant, buyer={"name": "张伟"}, lines=lines)
    _event(client, tenant, li["id"], "pay")
    shipment = {
        "order_id": li["id"],
        "warehouse": "main",
        "carrier": "sf",
        "tracking_no": "SF1234567890",
        "lines": [{"sku": "TEA-LJ-250", "qty": 2}, {"sku": "CUP-GLS-300", "qty": 1}],
    }
    shipped = client.post("/api/v1/shipments", json=shipment, headers=tenant.headers())
    assert shipped.status_code == 201, shipped.text
    log_in(client, console_user(db, tenant.tenant_id, "service"))
    assert _listed(client, "q=王芳") == [wang["id"]]
    assert _listed(client, "q=王") == [wang["id"]]  # a name's beginning is enough
    assert set(_listed(client, "q=TEA-LJ-250")) == {wang["id"], li["id"]}
    assert _listed(client, "q=玻璃") == [cup["id"], li["id"], wang["id"]]
    assert _listed(client, "q=SF1234567890") == [li["id"]]
    assert _listed(client, f"q={wang['order_no']}") == [wang["id"]]
    assert _listed(client, "q=5678") == [li["id"]]
    assert _listed(client, "q=%25") == []  # a LIKE wildcard is a character, not "anything"


def test_sorting_by_total_and_paid_time_both_ways_pages_with_cursors(
    client: TestClient, db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    made = []
    for qty in (3, 1, 2):
        line = {"sku": "TEA-LJ-250", "name": "西湖龙井", "qty": qty, "unit_price": 10000}
        made.append(_order(client, tenant, lines=[line]))
        clock.advance(timedelta(minutes=1))
    _event(client, tenant, made[1]["id"], "pay")
    ids = [o["id"] for o in made]
    log_in(client, console_user(db, tenant.tenant_id, "ops"))
    assert _listed(client, "sort=total") == [ids[1], ids[2], ids[0]]
    assert _listed(client, "sort=-total") == [ids[0], ids[2], ids[1]]
    assert _listed(client, "sort=-paid_at")[0] == ids[1]  # the only paid one first
    assert _listed(client, "sort=paid_at")[-1] == ids[1]
    assert _listed(client, "sort=created_at") == ids
    assert client.get(f"{LIST}?sort=buyer").status_code == 422
    # The list's query model bounds what it reads: a 65-character filter, 21 statuses.
    assert client.get(f"{LIST}?q={'x' * 65}").status_code == 422
    assert client.get(f"{LIST}?{'&'.join(['status=paid'] * 21)}").status_code == 422
    assert client.get(f"{LIST}?{'&'.join(['status=paid'] * 20)}").status_code == 200


def test_bulk_hold_shows_a_confirmation_then_needs_a_reason_and_records_it_on_each_order(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    first, second = _order(client, tenant), _order(client, tenant)
    for order in (first, second):
        _event(client, tenant, order["id"], "pay")
    csrf = log_in(client, console_user(db, tenant.tenant_id, "ops"))
    ids = [first["id"], second["id"]]
    back = f"{LIST}?status=paid"
    data = {"csrf_token": csrf, "event": "hold", "order_id": ids, "back": back}
    # The list's button only shows the ticked orders with the reason to give.
    confirm = client.post(f"{LIST}/bulk", data=data, follow_redirects=False)
    assert confirm.status_code == 200 and 'id="bulk-confirm"' in confirm.text
    for order_id in ids:
        assert f'<input type="hidden" name="order_id" value="{order_id}">' in confirm.text
        assert _timeline(client, tenant, order_id)[-1]["event"] == "pay"  # nothing done yet
    assert 'name="reason_code" required' in confirm.text and "核对地址" not in confirm.text
    assert '<option value="address_check">待核实地址</option>' in confirm.text
    confirmed = data | {"confirmed": "1"}
    refused = client.post(f"{LIST}/bulk", data=confirmed, follow_redirects=False)
    assert refused.status_code == 303 and "error=ERR_VALIDATION" in refused.headers["location"]
    assert _timeline(client, tenant, ids[0])[-1]["event"] == "pay"
    held = client.post(
        f"{LIST}/bulk",
        data=confirmed | {"reason_code": "address_check", "reason_text": "核对地址"},
        follow_redirects=False,
    )
    assert held.status_code == 303 and held.headers["location"].startswith(f"{back}&")
    assert "done=hold" in held.headers["location"] and "ok=2" in held.headers["location"]
    for order_id in ids:
        last = _timeline(client, tenant, order_id)[-1]
        assert last["event"] == "hold" and last["to_status"] == "on_hold"
        assert last["reason"] == "address_check: 核对地址" and last["source"] == "console"
    page = client.get(held.headers["location"]).text
    assert 'data-bulk="hold" data-ok="2" data-failed="0"' in page


def test_bulk_release_also_asks_for_a_reason_and_a_confirmation(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    first, second = _order(client, tenant), _order(client, tenant)
    for order in (first, second):
        _event(client, tenant, order["id"], "pay")
        _event(client, tenant, order["id"], "hold", reason="address_check")
    csrf = log_in(client, console_user(db, tenant.tenant_id, "ops", locale="en"))
    data = {"csrf_token": csrf, "event": "release", "order_id": [first["id"], second["id"]]}
    confirm = client.post(f"{LIST}/bulk", data=data)
    assert 'data-event="release"' in confirm.text and "Address checked" in confirm.text
    assert "2 ticked orders. Give a reason" in confirm.text
    bare = client.post(f"{LIST}/bulk", data=data | {"confirmed": "1"}, follow_redirects=False)
    assert "error=ERR_VALIDATION" in bare.headers["location"]
    unknown = data | {"confirmed": "1", "reason_code": "address_check"}  # a hold's reason
    wrong = client.post(f"{LIST}/bulk", data=unknown, follow_redirects=False)
    assert "error=ERR_VALIDATION" in wrong.headers["location"]
    assert _timeline(client, tenant, first["id"])[-1]["event"] == "hold"
    released = client.post(
        f"{LIST}/bulk",
        data=data | {"confirmed": "1", "reason_code": "address_checked"},
        follow_redirects=False,
    )
    assert "done=release" in released.headers["location"] and "ok=2" in released.headers["location"]
    last = _timeline(client, tenant, second["id"])[-1]
    assert last["event"] == "release" and last["reason"] == "address_checked"


def test_bulk_confirmation_shows_only_this_tenants_orders_and_needs_a_ticked_row(
    client: TestClient, db: Database, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    mine, theirs = _order(client, tenant), _order(client, other_tenant)
    csrf = log_in(client, console_user(db, tenant.tenant_id, "ops"))
    data = {"csrf_token": csrf, "event": "hold", "order_id": [mine["id"], theirs["id"]]}
    confirm = client.post(f"{LIST}/bulk", data=data).text
    assert f'value="{mine["id"]}"' in confirm and theirs["id"] not in confirm
    none = client.post(f"{LIST}/bulk", data=data | {"order_id": []}, follow_redirects=False)
    assert "error=ERR_VALIDATION" in none.headers["location"]
    assert client.get(f"{LIST}/bulk", follow_redirects=False).headers["location"] == LIST


def test_the_csv_export_has_a_bom_the_columns_and_local_times(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order = _order(
        client, tenant, external_id="TM-88", buyer={"name": "=王芳", "phone": "13800138000"}
    )
    _event(client, tenant, order["id"], "pay")
    _order(client, tenant)
    log_in(client, console_user(db, tenant.tenant_id, "ops", locale="en"))
    response = client.get(f"{LIST}?export=csv&status=paid")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Order number",
        "Platform order number",
        "Status",
        "Channel",
        "Buyer",
        "Phone",
        "Total",
        "Created at",
        "Paid at",
        "Shipped at",
    ]
    assert rows[1:] == [
        [
            order["order_no"],
            "TM-88",
            "Awaiting shipment",
            "tmall",
            "'=王芳",  # never run as a formula
            "138****8000",
            "730.00",
            "2026-01-24 13:00:00",
            "2026-01-24 13:00:00",
            "",
        ]
    ]


def test_the_excel_export_has_numbers_as_numbers_and_text_never_as_formulas(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order = _order(client, tenant, buyer={"name": "=HYPERLINK(1)", "phone": "13800138000"})
    _event(client, tenant, order["id"], "pay")
    _order(client, tenant)
    log_in(client, console_user(db, tenant.tenant_id, "ops", locale="en"))
    response = client.get(f"{LIST}?export=xlsx&status=paid")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert '.xlsx"' in response.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Order number", "Platform order number", "Status")
    assert len(rows) == 2  # the header and the one paid order
    assert rows[1][0] == order["order_no"]
    assert rows[1][4] == "=HYPERLINK(1)"  # a string cell, as the buyer typed it
    assert sheet.cell(row=2, column=5).data_type == "s"
    assert rows[1][6] == 730.0
    assert sheet.cell(row=2, column=7).number_format == "0.00"


def test_exporting_the_ticked_rows_exports_only_them(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    first, _second, third = (_order(client, tenant) for _ in range(3))
    log_in(client, console_user(db, tenant.tenant_id, "ops"))
    response = client.get(f"{LIST}?export=csv&order_id={first['id']}&order_id={third['id']}")
    body = response.content.decode("utf-8-sig")
    numbers = {row[0] for row in list(csv.reader(io.StringIO(body)))[1:]}
    assert numbers == {first["order_no"], third["order_no"]}
    assert "订单号" in body.splitlines()[0]  # the reader's language


def test_the_order_page_has_the_workspace_sections_and_names_its_actors(
    client: TestClient, db: Database, configured: TenantKeys
) -> None:
    tenant = configured
    order = _order(client, tenant, note="请周末送货")
    notified = client.post(
        f"/api/v1/payments/alipay/notify/{tenant.tenant_id}",
        content=alipay_notification(order["order_no"]),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    assert notified.status_code == 200, notified.text
    user = console_user(db, tenant.tenant_id, "service")
    log_in(client, user)
    page = client.get(f"{LIST}/{order['id']}").text
    for section in ("payments", "refunds", "shipments", "holds", "notes", "timeline"):
        assert f'id="{section}"' in page
    assert "2026012422001400000000000001" in page and "¥730.00" in page
    assert "请周末送货" in page  # the buyer's note
    actors = re.findall(r'class="actor">(.*?)</td>', page, re.S)
    assert actors and all("apikey:" not in a for a in actors)
    assert 'data-actor-kind="apikey"' in page


def test_cancelling_asks_for_a_reason_shown_on_the_timeline_and_at_the_top(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order = _order(client, tenant)
    user = console_user(db, tenant.tenant_id, "service")
    csrf = log_in(client, user)
    page = client.get(f"{LIST}/{order['id']}").text
    assert f'href="/console/orders/{order["id"]}?confirm=cancel#confirm"' in page
    assert 'id="confirm-form"' not in page  # nothing posts before the confirmation step
    confirming = client.get(f"{LIST}/{order['id']}?confirm=cancel").text
    assert 'id="confirm-form"' in confirming and 'name="reason_code"' in confirming
    url = f"{LIST}/{order['id']}/events"
    bare = client.post(url, data={"event": "cancel", "csrf_token": csrf}, follow_redirects=False)
    assert "error=ERR_VALIDATION" in bare.headers["location"]
    assert _timeline(client, tenant, order["id"])[-1]["event"] == "create"
    form = {"event": "cancel", "reason_code": "buyer_request", "reason_text": "拍错了"}
    done = client.post(url, data=form | {"csrf_token": csrf}, follow_redirects=False)
    assert "outcome=applied" in done.headers["location"]
    cancelled = client.get(f"{LIST}/{order['id']}").text
    top = cancelled[cancelled.index('id="cancel-reason"') : cancelled.index("</section>")]
    assert "买家要求取消" in top and "拍错了" in top and user.email in top
    assert f'data-actor-kind="user" translate="no">{user.email}<' in cancelled
    assert f"user:{user.id}" not in cancelled


def test_internal_notes_are_added_from_the_page_with_their_author(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order = _order(client, tenant)
    user = console_user(db, tenant.tenant_id, "service")
    csrf = log_in(client, user)
    url = f"{LIST}/{order['id']}/notes"
    empty = client.post(url, data={"body": "  ", "csrf_token": csrf}, follow_redirects=False)
    assert empty.headers["location"].endswith("?error=ERR_ORDER_NOTE_INVALID")
    shown = client.get(empty.headers["location"]).text
    assert "备注不能为空" in shown
    added = client.post(
        url, data={"body": "已电话联系买家", "csrf_token": csrf}, follow_redirects=False
    )
    assert added.headers["location"].endswith("?done=note_added")
    page = client.get(f"{LIST}/{order['id']}").text
    notes = page[page.index('id="notes"') : page.index('id="timeline"')]
    assert "已电话联系买家" in notes and user.email in notes
    warehouse = console_user(db, tenant.tenant_id, "warehouse")
    csrf = log_in(client, warehouse)
    assert 'id="note-form"' not in client.get(f"{LIST}/{order['id']}").text
    refused = client.post(url, data={"body": "x", "csrf_token": csrf}, follow_redirects=False)
    assert refused.status_code == 403


def test_a_refund_request_is_sent_only_from_its_confirmation_step(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order = _order(client, tenant)
    _event(client, tenant, order["id"], "pay")
    csrf = log_in(client, console_user(db, tenant.tenant_id, "service"))
    url = f"{LIST}/{order['id']}/refunds"
    form = {"amount": "12.50", "reason": "quality", "note": "杯子有裂纹", "csrf_token": csrf}
    preview = client.post(url, data=form)
    assert preview.status_code == 200 and 'id="refund-confirm"' in preview.text
    assert "¥12.50" in preview.text and 'data-amount="1250"' in preview.text
    listed = client.get(f"/api/v1/refunds?order_id={order['id']}", headers=tenant.headers())
    assert listed.json()["items"] == []
    request_id = re.search(r'name="request_id" value="([^"]+)"', preview.text)
    assert request_id is not None
    confirm = form | {"confirmed": "1", "request_id": request_id.group(1)}
    sent = client.post(url, data=confirm, follow_redirects=False)
    assert sent.headers["location"].endswith("?done=refund_requested")
    again = client.post(url, data=confirm, follow_redirects=False)  # a second click
    assert again.headers["location"].endswith("?done=refund_requested")
    refunds = client.get(f"/api/v1/refunds?order_id={order['id']}", headers=tenant.headers())
    [refund] = refunds.json()["items"]
    assert refund["amount"] == 1250 and refund["reason"] == "quality"
    page = client.get(f"{LIST}/{order['id']}").text
    section = page[page.index('id="refunds"') : page.index('id="shipments"')]
    assert 'data-status="requested"' in section and 'data-colour="green"' in section
    assert "default" in section  # the review group


def test_refund_form_errors_are_shown_in_the_readers_language(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order = _order(client, tenant)
    _event(client, tenant, order["id"], "pay")
    csrf = log_in(client, console_user(db, tenant.tenant_id, "service", locale="en"))
    url = f"{LIST}/{order['id']}/refunds"
    bad = client.post(
        url,
        data={"amount": "1.234", "reason": "quality", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert bad.headers["location"].endswith("?error=ERR_VALIDATION")
    too_much = {"amount": "9999", "reason": "quality", "confirmed": "1", "csrf_token": csrf}
    refused = client.post(url, data=too_much, follow_redirects=False)
    assert refused.headers["location"].endswith("?error=ERR_REFUND_EXCEEDS_PAID")
    page = client.get(refused.headers["location"]).text
    assert "The refund is more than what is left of the payment." in page
