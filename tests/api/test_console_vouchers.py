"""The console's vouchers page (退款凭证): the chain check, the latest vouchers, feedback."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import text

from oms.core.jobs import list_jobs
from oms.core.uow import Database
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.users import console_user, log_in
from tests.integration.vouchers.conftest import refunded, run_jobs  # noqa: F401 - a fixture

PAGE = "/console/vouchers"


def _answer_feedback(client: TestClient, db: Database, tenant: TenantKeys) -> None:
    [job] = [
        j
        for j in list_jobs(db, tenant_id=tenant.tenant_id)
        if j.topic == "refund.feedback_requested"
    ]
    answer = {"handled_promptly": "yes", "arrived_fast": "no"}
    assert client.post(job.payload["url"], data=answer).status_code == 201


def test_a_valid_chain_is_verified_and_listed_with_the_feedback(
    client: TestClient,
    db: Database,
    tenant: TenantKeys,
    run_jobs: Callable[..., int],  # noqa: F811 - the fixture imported above
) -> None:
    refunded(client, tenant, run_jobs, amount=1234)
    _answer_feedback(client, db, tenant)
    refunded(client, tenant, run_jobs, amount=2000)
    log_in(client, console_user(db, tenant.tenant_id, "finance"))
    html = client.get(PAGE).text
    assert 'data-nav="vouchers"' in html and "退款凭证" in html
    assert 'data-chain="valid"' in html and "验证通过" in html and "凭证链异常" not in html
    assert '<dd data-fact="count">2</dd>' in html
    assert re.search(r'data-fact="last-issued">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d<', html)
    assert re.findall(r'<tr data-seq="(\d+)"', html) == ["2", "1"]
    assert "¥12.34" in html and "¥20.00" in html
    assert "处理及时" in html and "到账快" in html
    group = html.split('id="feedback-groups"', 1)[1].split('<tr data-key="default">', 1)[1]
    row = group.split("</tr>", 1)[0]
    assert '"num responses" data-label="回复数">1<' in row
    assert ">100.0%<" in row and ">0.0%<" in row


def test_a_tampered_chain_shows_the_first_bad_sequence_number(
    client: TestClient,
    db: Database,
    tenant: TenantKeys,
    run_jobs: Callable[..., int],  # noqa: F811 - the fixture imported above
) -> None:
    for amount in (1001, 1002, 1003):
        refunded(client, tenant, run_jobs, amount=amount)
    with db.engine.begin() as conn:
        changed = conn.execute(
            text(
                "UPDATE vouchers SET document = REPLACE(document, :old, :new)"
                " WHERE tenant_id = :t AND seq = 2"
            ),
            {"t": tenant.tenant_id, "old": '"amount":1002', "new": '"amount":1'},
        )
        assert changed.rowcount == 1
    log_in(client, console_user(db, tenant.tenant_id, "admin"))
    html = client.get(PAGE).text
    assert 'data-chain="broken"' in html and "凭证链异常" in html and "验证通过" not in html
    assert 'data-first-bad-seq="2"' in html and 'data-problem="hash_mismatch"' in html
    assert "首个异常序号 2" in html and "哈希不符" in html
    assert '<dd data-fact="count">1</dd>' in html


def test_roles_without_the_voucher_permission_are_refused(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    log_in(client, console_user(db, tenant.tenant_id, "ops"))
    assert 'data-nav="vouchers"' not in client.get("/console/orders").text
    refused = client.get(PAGE)
    assert refused.status_code == 403 and "ERR_AUTH_FORBIDDEN" in refused.text


def test_the_voucher_csv_export_streams_every_voucher_after_a_utf8_bom(
    client: TestClient,
    db: Database,
    tenant: TenantKeys,
    run_jobs: Callable[..., int],  # noqa: F811 - the fixture imported above
) -> None:
    refunded(client, tenant, run_jobs, amount=1234)
    refunded(client, tenant, run_jobs, amount=2000)
    log_in(client, console_user(db, tenant.tenant_id, "finance"))
    assert 'href="/console/vouchers/export.csv"' in client.get(PAGE).text
    response = client.get(f"{PAGE}/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = response.content.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("seq,") and len(rows) == 3
    assert [row.split(",")[0] for row in rows[1:]] == ["1", "2"]


def test_the_voucher_csv_export_is_refused_to_roles_without_the_permission(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    log_in(client, console_user(db, tenant.tenant_id, "warehouse"))
    assert client.get(f"{PAGE}/export.csv").status_code == 403
