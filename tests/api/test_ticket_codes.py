"""Ticket titles and system comments are codes with parameters, shown in the reader's
language; tickets written before codes still show their stored text."""

from __future__ import annotations

from fastapi.testclient import TestClient

from oms.core.clock import ManualClock
from oms.core.context import Actor
from oms.core.ids import new_id
from oms.core.uow import Database
from oms.tickets import service as tickets
from oms.tickets.models import ExceptionTicket, TicketComment
from oms.tickets.states import TicketKind, TicketStatus
from tests.fixtures.tenants import TenantKeys, make_tenant
from tests.fixtures.users import console_user, log_in

ORDER_NO = "A-1001"
# How tickets were titled before codes: both languages in one string.
OLD_TITLE = "订单 OLD-7 库存不足 等待补货 / order OLD-7 is short of stock, waiting for it"


def _orphaned_ticket(db: Database, shop: TenantKeys) -> str:
    """A ticket as payments opens it, assigned and with a status-conflict note by oms."""
    with db.uow() as uow:
        ticket_id = tickets.open_ticket(
            uow,
            tenant_id=shop.tenant_id,
            kind=TicketKind.PAYMENT_ORPHANED,
            order_id=None,
            assignee_role="ops",
            title_code="payment_orphaned",
            title_params={"order_no": ORDER_NO},
            details={},
            now=uow.clock.now(),
        )
        system = Actor.system(shop.tenant_id, "test")
        note = {
            "event": "pay",
            "source": "wechatpay",
            "occurred_at": "2026-12-01T08:00:00+00:00",
            "later_event": "cancel",
            "later_source": "console",
            "later_occurred_at": "2026-12-01T09:00:00+00:00",
            "status": "cancelled",
        }
        tickets.add_note(uow, system, ticket_id, "status_conflict_refused", note)
        uow.commit()
    tickets.assign_ticket(db, Actor.system(shop.tenant_id, "test"), ticket_id, "li.lei")
    return ticket_id


def _page(client: TestClient, db: Database, shop: TenantKeys, locale: str, url: str) -> str:
    """``url`` as an ops user of ``shop`` who reads ``locale`` sees it."""
    email = f"ops-{locale}-{shop.tenant_id[-6:]}@shop.example"
    log_in(client, console_user(db, shop.tenant_id, "ops", email=email, locale=locale))
    return client.get(url).text


def test_a_system_ticket_shows_its_title_and_comments_in_chinese_on_a_zh_cn_page(
    client: TestClient, db: Database
) -> None:
    shop = make_tenant(db, name="Codes Shop")
    ticket_id = _orphaned_ticket(db, shop)
    page = _page(client, db, shop, "zh-CN", f"/console/tickets/{ticket_id}")
    assert f"<h1>订单 {ORDER_NO} 支付需退回" in page
    assert "Payment for order" not in page
    assert "已指派给 li.lei" in page
    # Event and status codes inside a comment are shown by their labels.
    assert "来自 wechatpay 的「支付成功」" in page
    assert "已使订单变为「已取消」" in page
    assert "refused" not in page
    queue = client.get("/console/tickets").text
    assert f"订单 {ORDER_NO} 支付需退回" in queue


def test_a_system_ticket_shows_its_title_and_comments_in_english_on_an_en_page(
    client: TestClient, db: Database
) -> None:
    shop = make_tenant(db, name="Codes Shop")
    ticket_id = _orphaned_ticket(db, shop)
    page = _page(client, db, shop, "en", f"/console/tickets/{ticket_id}")
    assert f"<h1>Payment for order {ORDER_NO} must go back" in page
    assert "Assigned to li.lei" in page
    assert "already made the order Cancelled" in page
    assert "支付需退回" not in page


def test_the_api_keeps_an_english_title_and_adds_its_code_and_parameters(
    client: TestClient, db: Database
) -> None:
    shop = make_tenant(db, name="Codes Shop")
    ticket_id = _orphaned_ticket(db, shop)
    body = client.get(f"/api/v1/tickets/{ticket_id}", headers=shop.headers()).json()
    assert body["title"] == f"Payment for order {ORDER_NO} must go back"
    assert body["title_code"] == "payment_orphaned"
    assert body["title_params"] == {"order_no": ORDER_NO}
    note, assigned = body["comments"]
    assert note["code"] == "status_conflict_refused" and note["params"]["later_event"] == "cancel"
    assert note["body"].startswith("pay from wechatpay (occurred 2026-12-01T08:00:00+00:00)")
    assert (assigned["code"], assigned["params"]) == ("assigned", {"assignee": "li.lei"})
    assert assigned["body"] == "Assigned to li.lei"


def test_a_persons_comment_stays_as_written_with_no_code(client: TestClient, db: Database) -> None:
    shop = make_tenant(db, name="Codes Shop")
    ticket_id = _orphaned_ticket(db, shop)
    actor = Actor.system(shop.tenant_id, "test")
    out = tickets.add_comment(db, actor, ticket_id, "Resolved: call the buyer")
    mine = out.comments[-1]
    assert (mine.code, mine.params, mine.body) == (None, None, "Resolved: call the buyer")
    page = _page(client, db, shop, "zh-CN", f"/console/tickets/{ticket_id}")
    assert "Resolved: call the buyer" in page


def test_a_ticket_written_before_codes_still_shows_its_stored_text(
    client: TestClient, db: Database, clock: ManualClock
) -> None:
    shop = make_tenant(db, name="Codes Shop")
    ticket_id = new_id()
    with db.uow() as uow:
        uow.session.add(
            ExceptionTicket(
                tenant_id=shop.tenant_id,
                id=ticket_id,
                kind=TicketKind.STOCK_SHORTAGE.value,
                status=TicketStatus.OPEN.value,
                order_id=None,
                assignee_role="ops",
                assignee=None,
                title=OLD_TITLE,
                details={},
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )
        uow.session.flush()
        uow.session.add(
            TicketComment(
                tenant_id=shop.tenant_id,
                id=new_id(),
                ticket_id=ticket_id,
                author="system:old",
                body="assigned to han.meimei",
                created_at=clock.now(),
            )
        )
        uow.commit()
    zh = _page(client, db, shop, "zh-CN", f"/console/tickets/{ticket_id}")
    assert "<h1>订单 OLD-7 库存不足 等待补货" in zh and "assigned to han.meimei" in zh
    en = _page(client, db, shop, "en", f"/console/tickets/{ticket_id}")
    assert "<h1>order OLD-7 is short of stock, waiting for it" in en
    body = client.get(f"/api/v1/tickets/{ticket_id}", headers=shop.headers()).json()
    assert body["title_code"] is None and body["title_params"] is None
    assert body["comments"][0]["code"] is None
