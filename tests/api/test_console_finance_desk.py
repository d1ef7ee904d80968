"""The finance page as a workspace: counts after an import, the warning step before a doubtful
confirmation, confirmed matches, the picker for matching by hand, the tenant's CSV layout."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient

from oms.console.finance_desk import parse_amount
from oms.core.uow import Database
from tests.api.test_console_finance import PAGE, _finance, _import, _post, _review, _short_paid
from tests.fixtures.finance import add_movement
from tests.fixtures.tenants import TenantKeys


def test_an_import_says_how_many_lines_were_read_confirmed_reviewed_and_left_unmatched(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    _short_paid(db, tenant)  # 8.50 short: review
    # The right amount on the day, but the memo names no reference of it: review too.
    add_movement(db, tenant.tenant_id, amount=39900, on=date(2026, 11, 24), external_id="X-1")
    csrf = _finance(client, db, tenant)
    imported = _import(client, csrf, "sample.csv", "csv")
    query = parse_qs(urlsplit(imported.headers["location"]).query)
    assert {k: v[0] for k, v in query.items()} == {
        "done": "imported",
        "lines": "3",
        "auto": "0",
        "review": "2",
        "unmatched": "1",  # the bank fee
    }
    html = client.get(imported.headers["location"]).text
    found = dict(re.findall(r'<dd data-count="([a-z]+)">(\d+)</dd>', html))
    assert found == {"lines": "3", "auto": "0", "review": "2", "unmatched": "1"}
    assert "未匹配" in html and "自动确认" in html


def test_confirming_an_amount_difference_first_shows_the_warning_then_confirms(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    _short_paid(db, tenant)
    csrf = _finance(client, db, tenant)
    _import(client, csrf, "sample.mt940", "mt940")
    ((match_id, _, _),) = _review(client)
    first = _post(client, f"{PAGE}/matches/{match_id}/confirm", csrf)
    assert first.headers["location"] == f"{PAGE}?confirm={match_id}#confirm-warning"
    warning = client.get(first.headers["location"]).text
    assert 'data-warning="amount_difference"' in warning
    assert "流水金额为 ¥1,288.50，而预期金额为 ¥1,297.00。" in warning  # noqa: RUF001
    assert [m for m, _, _ in _review(client)] == [match_id]  # nothing confirmed yet
    sure = _post(client, f"{PAGE}/matches/{match_id}/confirm", csrf, acknowledged="1")
    assert sure.headers["location"] == f"{PAGE}?done=confirmed"
    page = client.get(PAGE).text
    confirmed = page.split('id="confirmed"', 1)[1].split("</section>", 1)[0]
    assert f'data-match-id="{match_id}"' in confirmed and "261125000123451234" in confirmed
    assert "user:" not in confirmed and "@" in confirmed  # the person by e-mail, not an id


def test_a_line_is_matched_by_picking_its_order_from_a_search(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    csrf = _finance(client, db, tenant)
    _import(client, csrf, "sample.csv", "csv")  # no movements yet: every line unmatched
    wanted = add_movement(
        db, tenant.tenant_id, amount=128850, on=date(2026, 11, 1), order_no="ZZ-7001"
    )
    add_movement(db, tenant.tenant_id, amount=500, on=date(2026, 11, 1), order_no="ZZ-7002")
    lines = client.get("/api/v1/finance/lines?status=unmatched", headers=tenant.headers())
    [line_id] = [line["id"] for line in lines.json()["items"] if line["amount"] == 128850]
    assert f'href="/console/finance?line={line_id}#picker"' in client.get(PAGE).text
    by_amount = client.get(PAGE, params={"line": line_id}).text
    picker = by_amount.split('id="picker"', 1)[1].split("</section>", 1)[0]
    assert wanted in picker and "ZZ-7002" not in picker  # the line's amount, 1,288.50
    by_number = client.get(PAGE, params={"line": line_id, "find": "ZZ-70"}).text
    picker = by_number.split('id="picker"', 1)[1].split("</section>", 1)[0]
    assert "ZZ-7001" in picker and "ZZ-7002" in picker
    digits = add_movement(
        db, tenant.tenant_id, amount=700, on=date(2026, 11, 1), order_no="2611250001"
    )
    by_digits = client.get(PAGE, params={"line": line_id, "find": "26112500"}).text
    assert digits in by_digits.split('id="picker"', 1)[1].split("</section>", 1)[0]
    long_number = add_movement(  # 18 digits: as yuan it would overflow a database integer
        db, tenant.tenant_id, amount=800, on=date(2026, 11, 1), order_no="261125000123459999"
    )
    whole = client.get(PAGE, params={"line": line_id, "find": "261125000123459999"})
    assert whole.status_code == 200
    assert long_number in whole.text.split('id="picker"', 1)[1].split("</section>", 1)[0]
    by_yuan = client.get(PAGE, params={"line": line_id, "find": "¥5.00"}).text
    assert "ZZ-7001" not in by_yuan.split('id="picker"', 1)[1].split("</section>", 1)[0]
    picked = _post(client, f"{PAGE}/matches", csrf, line_id=line_id, movement_id=wanted)
    assert picked.headers["location"] == f"{PAGE}?done=matched"


def test_the_import_form_defaults_to_the_tenants_csv_layout(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    layout = {
        "csv_layout": {"date_column": "交易日期", "amount_column": "金额", "memo_columns": ["摘要"]}
    }
    put = client.put("/api/v1/finance/settings", json=layout, headers=tenant.headers())
    assert put.status_code == 200, put.text
    _finance(client, db, tenant)
    page = client.get(PAGE).text
    assert '<option value="csv" selected>' in page
    layout = "日期列 <code>交易日期</code>，金额列 <code>金额</code>，摘要列 <code>摘要</code>"  # noqa: RUF001
    assert layout in page


def test_amounts_are_read_as_yuan_in_fen() -> None:
    assert parse_amount("¥1,288.50") == 128850
    assert parse_amount("5") == 500 and parse_amount("0.5") == 50
    assert parse_amount("ZZ-70") is None and parse_amount("1.234") is None
    assert parse_amount("261125000123451234") is None  # an order number, beyond any amount


def _unmatched(client: TestClient, tenant: TenantKeys) -> dict[int, str]:
    """Amount (fen) → id of each unmatched line of ``tenant``."""
    lines = client.get("/api/v1/finance/lines?status=unmatched", headers=tenant.headers())
    return {line["amount"]: line["id"] for line in lines.json()["items"]}


def test_picking_an_order_of_another_tenant_is_refused_and_writes_nothing(
    client: TestClient, db: Database, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    csrf = _finance(client, db, tenant)
    _import(client, csrf, "sample.csv", "csv")
    line_id = _unmatched(client, tenant)[128850]
    theirs = add_movement(
        db, other_tenant.tenant_id, amount=128850, on=date(2026, 11, 24), order_no="ZZ-9001"
    )
    picker = client.get(PAGE, params={"line": line_id, "find": "ZZ-9001"}).text
    assert theirs not in picker.split('id="picker"', 1)[1].split("</section>", 1)[0]
    picked = _post(client, f"{PAGE}/matches", csrf, line_id=line_id, movement_id=theirs)
    assert picked.headers["location"] == f"{PAGE}?error=ERR_FINANCE_MOVEMENT_NOT_FOUND"
    assert "预期款项不存在。" in client.get(picked.headers["location"]).text
    assert _unmatched(client, tenant)[128850] == line_id  # still unmatched
    matches = client.get("/api/v1/finance/matches", headers=tenant.headers()).json()["items"]
    assert matches == []
    movements = client.get(
        "/api/v1/finance/movements?status=open", headers=other_tenant.headers()
    ).json()["items"]
    assert [m["id"] for m in movements] == [theirs]  # theirs is still open


def test_picking_for_an_unknown_line_is_refused_and_writes_nothing(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    csrf = _finance(client, db, tenant)
    mine = add_movement(db, tenant.tenant_id, amount=500, on=date(2026, 11, 1), order_no="ZZ-1")
    unknown = "00000000-0000-0000-0000-000000000000"
    picked = _post(client, f"{PAGE}/matches", csrf, line_id=unknown, movement_id=mine)
    assert picked.headers["location"] == f"{PAGE}?error=ERR_FINANCE_LINE_NOT_FOUND"
    movements = client.get("/api/v1/finance/movements?status=open", headers=tenant.headers())
    assert [m["id"] for m in movements.json()["items"]] == [mine]


def test_the_picker_for_an_unknown_or_foreign_line_is_a_404_that_says_so(
    client: TestClient, db: Database, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    csrf = _finance(client, db, other_tenant)
    _import(client, csrf, "sample.csv", "csv")
    theirs = _unmatched(client, other_tenant)[128850]
    _finance(client, db, tenant)
    for line_id in (theirs, "00000000-0000-0000-0000-000000000000"):
        page = client.get(PAGE, params={"line": line_id})
        assert page.status_code == 404
        assert 'id="picker"' not in page.text
        assert 'data-code="ERR_FINANCE_LINE_NOT_FOUND"' in page.text
    unknown = client.get(PAGE, params={"confirm": "00000000-0000-0000-0000-000000000000"})
    assert unknown.status_code == 404 and 'id="confirm-warning"' not in unknown.text
    assert 'data-code="ERR_FINANCE_MATCH_NOT_FOUND"' in unknown.text


def test_the_page_offers_the_picker_not_pasted_ids(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    _finance(client, db, tenant)
    page = client.get(PAGE).text
    assert 'id="manual-match"' not in page and 'name="movement_id" maxlength' not in page
