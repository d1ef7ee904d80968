"""The console's accounting page (记账): finance only, documents with the system's message, a
resend that only its confirmation posts, filters, the sinks' token state, in zh-CN and en."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from oms.accounting.schemas import ConnectionIn
from oms.accounting.service import connect_sink, send_document, take_payment
from oms.core.clock import ManualClock
from oms.core.ids import new_id
from oms.core.uow import Database
from oms.payments.events import PaymentConfirmed
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.users import console_user, csrf_of, log_in
from tests.fixtures.vouchers import FakeKingdee, start_kingdee

PAGE = "/console/accounting"


@pytest.fixture
def kingdee() -> Iterator[FakeKingdee]:
    fake = FakeKingdee(acct_id="acct01", user="oms", app_id="1_oms", app_secret="s3cret")
    httpd = start_kingdee(fake)
    yield fake
    httpd.shutdown()
    httpd.server_close()


def _connect(db: Database, tenant: TenantKeys, fake: FakeKingdee, **extra: str) -> None:
    settings = {"user": "oms", "app_id": "1_oms", "account_book": "001", **extra}
    given = ConnectionIn(
        sink="kingdee",
        company_id="acct01",
        token="s3cret",
        base_url=fake.url,
        item_ref="",
        settings=settings,
    )
    connect_sink(db, tenant_id=tenant.tenant_id, given=given)


def _rejected(db: Database, tenant: TenantKeys, fake: FakeKingdee) -> str:
    _connect(db, tenant, fake, account_bank="1009")  # not in the chart
    paid = PaymentConfirmed(
        tenant_id=tenant.tenant_id,
        payment_id=new_id(),
        order_id=new_id(),
        order_no="N1001",
        gateway="alipay",
        trade_no="T1",
        amount=73000,
        currency="CNY",
        paid_at=datetime.now(UTC),
    )
    [document_id] = take_payment(db, paid)
    send_document(
        db, tenant_id=tenant.tenant_id, document_id=document_id, is_last_attempt=False, timeout=5
    )
    return document_id


def test_finance_sees_the_rejected_document_with_the_systems_message_and_resends_it(
    client: TestClient, db: Database, tenant: TenantKeys, kingdee: FakeKingdee
) -> None:
    document_id = _rejected(db, tenant, kingdee)
    log_in(client, console_user(db, tenant.tenant_id, "finance"))
    html = client.get(PAGE).text
    assert 'data-nav="accounting"' in html and "<h1>记账</h1>" in html
    assert f'data-document-id="{document_id}" data-status="rejected"' in html
    assert "科目编码 1009 不存在或未审核" in html and "金蝶云星空" in html and "¥730.00" in html
    assert 'data-sink="kingdee" data-state="configured"' in html
    assert 'data-confirm="resend"' not in html  # the button only opens the confirmation

    confirm = client.get(f"{PAGE}?confirm={document_id}").text
    assert 'data-confirm="resend"' in confirm and document_id in confirm
    _connect(db, tenant, kingdee)
    done = client.post(
        f"{PAGE}/resend",
        data={"document_id": document_id, "csrf_token": csrf_of(confirm)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("?done=resent")
    assert f'data-document-id="{document_id}" data-status="pending"' in client.get(PAGE).text
    send_document(
        db, tenant_id=tenant.tenant_id, document_id=document_id, is_last_attempt=False, timeout=5
    )
    again = client.post(
        f"{PAGE}/resend",
        data={"document_id": document_id, "csrf_token": csrf_of(confirm)},
        follow_redirects=False,
    )
    assert again.headers["location"].endswith("error=ERR_ACCOUNTING_INVALID_TRANSITION")
    assert len(kingdee.vouchers) == 1

    sent = client.get(f"{PAGE}?status=sent&sink=kingdee").text
    assert re.findall(r'data-document-id="([^"]+)"', sent) == [document_id]
    assert re.findall(r'data-document-id="', client.get(f"{PAGE}?status=rejected").text) == []
    assert client.get(f"{PAGE}?status=lost").status_code == 422


def test_the_page_is_finance_only_and_reads_in_english(
    client: TestClient, db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    given = ConnectionIn(
        sink="quickbooks",
        company_id="9130357766900001",
        token="t",
        base_url="http://x",
        item_ref="1",
    )
    connect_sink(db, tenant_id=tenant.tenant_id, given=given)
    log_in(client, console_user(db, tenant.tenant_id, "ops"))
    assert client.get(PAGE).status_code == 403
    client.cookies.clear()
    log_in(client, console_user(db, tenant.tenant_id, "finance", locale="en"))
    html = client.get(PAGE).text
    assert "<h1>Accounting</h1>" in html and "QuickBooks Online" in html
    assert 'data-sink="quickbooks" data-state="configured"' in html
    assert "No documents yet." in html
    clock.advance(timedelta(hours=2))  # the hour's access token, no refresh token: expired
    html = client.get(PAGE).text
    assert 'data-state="expired"' in html and "Token expired" in html
