"""Refunds sent become ``refund_sent`` expected movements and match debits, on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from oms.core.uow import Database
from oms.finance import service
from oms.finance.models import ExpectedMovement
from oms.finance.queries import list_matches
from oms.orders.schemas import OrderOut
from oms.orders.service import place_order
from oms.refunds.models import Refund
from tests.fixtures.finance import add_movement
from tests.fixtures.orders import order_create
from tests.fixtures.tenants import TenantKeys

REFUNDED_AT = datetime(2026, 11, 24, 17, 30, tzinfo=UTC)  # 2026-11-25 01:30 in Shanghai
WECHAT_REFUND_ID = "50300000002026112400000000001"


def _refund(
    db: Database, tenant: TenantKeys, order: OrderOut, *, refund_id: str, status: str
) -> None:
    with db.uow() as uow:
        uow.session.add(
            Refund(
                tenant_id=tenant.tenant_id,
                id=refund_id,
                order_id=order.id,
                order_no=order.order_no,
                request_id=None,
                status=status,
                version=1,
                reason="quality",
                scope="amount",
                amount=2590,
                currency="CNY",
                order_total=order.totals.total,
                lines=[],
                evidence=[],
                channel=order.channel,
                gateway="wechatpay",
                payment_id="pay-1",
                trade_no="4200000000202611240000000001",
                paid_amount=order.totals.total,
                review_group="default",
                template={},
                gateway_result={"refund_id": WECHAT_REFUND_ID, "status": "SUCCESS"},
                returned=[],
                requested_at=REFUNDED_AT,
                refunded_at=REFUNDED_AT if status == "refunded" else None,
                updated_at=REFUNDED_AT,
            )
        )
        uow.commit()


def _refund_movements(db: Database) -> list[ExpectedMovement]:
    with db.reader() as session:
        stmt = select(ExpectedMovement).where(ExpectedMovement.kind == "refund_sent")
        return list(session.scalars(stmt))


def test_sync_adds_each_refunded_refund_once(db: Database, tenant: TenantKeys) -> None:
    order = place_order(db, tenant.actor(), order_create()).order
    _refund(db, tenant, order, refund_id="rf-done", status="refunded")
    _refund(db, tenant, order, refund_id="rf-pending", status="refunding")
    assert service.sync_expected(db, tenant.tenant_id).added == 1
    assert service.sync_expected(db, tenant.tenant_id).added == 0
    (movement,) = _refund_movements(db)
    assert (movement.source_id, movement.amount, movement.currency) == ("rf-done", 2590, "CNY")
    assert (movement.order_id, movement.order_no) == (order.id, order.order_no)
    assert (movement.refund_no, movement.gateway_refund_no) == ("rf-done", WECHAT_REFUND_ID)
    assert movement.external_id == order.external_id
    assert movement.expected_date == date(2026, 11, 25)  # the tenant's day, not UTC's
    assert movement.status == "open"


def test_a_debit_naming_the_order_is_confirmed_against_the_refund(
    db: Database, tenant: TenantKeys
) -> None:
    order = place_order(db, tenant.actor(), order_create()).order
    _refund(db, tenant, order, refund_id="rf-done", status="refunded")
    # The order's payment, same order number: a debit must not take it.
    paid = add_movement(
        db,
        tenant.tenant_id,
        amount=order.totals.total,
        on=date(2026, 11, 24),
        order_no=order.order_no,
    )
    service.sync_expected(db, tenant.tenant_id)
    (movement,) = _refund_movements(db)
    csv = (
        f"date,amount,currency,memo,reference\n2026-11-25,-25.90,CNY,退款 订单{order.order_no},\n"
    ).encode()
    result = service.import_statement(db, tenant.actor("finance"), data=csv, fmt="csv")
    assert (result.lines_added, result.auto_confirmed) == (1, 1)
    (confirmed,) = list_matches(db, tenant.tenant_id, status="confirmed").items
    assert confirmed.movement_id == movement.id != paid
    (matched,) = _refund_movements(db)
    assert matched.status == "matched"
