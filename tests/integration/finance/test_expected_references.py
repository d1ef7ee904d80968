"""Expected movements carry every reference of their money and their order; syncs may overlap.

Through the real unit of work, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from oms.core.db import table
from oms.core.uow import Database
from oms.finance import service
from oms.finance import sync as sync_module
from oms.finance.models import ExpectedMovement, FinanceMatch, StatementLine
from oms.finance.queries import list_matches
from oms.orders.schemas import OrderOut
from oms.orders.service import place_order
from oms.payments.models import Payment
from tests.fixtures.orders import order_create
from tests.fixtures.tenants import TenantKeys, make_tenant

PAID_AT = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
TMALL = "3912345678901234567"


def _paid_order(db: Database, tenant: TenantKeys, **overrides: Any) -> OrderOut:
    order = place_order(db, tenant.actor(), order_create(**overrides)).order
    with db.uow() as uow:
        uow.session.add(
            Payment(
                tenant_id=tenant.tenant_id,
                id=f"p{order.id[1:]}",
                order_id=order.id,
                order_no=order.order_no,
                gateway="alipay",
                trade_no=f"20261124220014{order.order_no[-14:]}",
                amount=order.totals.total,
                currency="CNY",
                status="confirmed",
                version=1,
                notified_state="TRADE_SUCCESS",
                gateway_paid_at=PAID_AT,
                inbox_message_id=f"i{order.id[1:]}",
                created_at=PAID_AT,
                updated_at=PAID_AT,
            )
        )
        uow.commit()
    return order


def _movements(db: Database) -> list[ExpectedMovement]:
    with db.reader() as session:
        return list(session.scalars(select(ExpectedMovement).order_by(ExpectedMovement.id)))


def _csv(*rows: tuple[str, str]) -> bytes:
    body = "".join(f"2026-11-24,{amount},CNY,{memo},\n" for amount, memo in rows)
    return ("date,amount,currency,memo,reference\n" + body).encode()


def test_payment_movements_carry_the_order_its_platform_number_and_buyer(
    db: Database, tenant: TenantKeys
) -> None:
    order = _paid_order(db, tenant, external_id=TMALL)
    assert service.sync_expected(db, tenant.tenant_id).added == 1
    (movement,) = _movements(db)
    assert (movement.order_id, movement.order_no) == (order.id, order.order_no)
    assert (movement.external_id, movement.payer_name) == (TMALL, "王芳")
    assert movement.trade_no and movement.trade_no.startswith("20261124220014")


def test_a_line_naming_only_the_platform_order_number_is_confirmed(
    db: Database, tenant: TenantKeys
) -> None:
    order = _paid_order(db, tenant, external_id=TMALL)
    service.sync_expected(db, tenant.tenant_id)
    amount = f"{order.totals.total / 100:.2f}"
    data = _csv((amount, f"天猫 {TMALL[:10]} {TMALL[10:]} 王芳"))
    result = service.import_statement(db, tenant.actor("finance"), data=data, fmt="csv")
    assert result.auto_confirmed == 1
    (match,) = list_matches(db, tenant.tenant_id, status="confirmed").items
    assert (match.order_id, match.order_no, match.order_ids) == (
        order.id,
        order.order_no,
        [order.id],
    )
    assert match.reasons[0].code == "reference_exact"
    assert match.reasons[0].params["field"] == "external_id"


def test_movements_synced_before_they_carried_references_are_filled_in(
    db: Database, tenant: TenantKeys
) -> None:
    order = _paid_order(db, tenant, external_id=TMALL)
    with db.engine.begin() as conn:  # as an older sync wrote it: no order, no external id
        conn.execute(
            insert(table(ExpectedMovement)),
            dict(
                tenant_id=tenant.tenant_id,
                id="legacy",
                kind="payment_received",
                source_id=f"p{order.id[1:]}",
                amount=order.totals.total,
                currency="CNY",
                order_no=order.order_no,
                expected_date=date(2026, 11, 24),
                status="open",
                created_at=PAID_AT,
            ),
        )
    result = service.sync_expected(db, tenant.tenant_id)
    assert (result.added, result.updated) == (0, 1)
    (movement,) = _movements(db)
    assert (movement.id, movement.order_id, movement.external_id) == ("legacy", order.id, TMALL)
    assert service.sync_expected(db, tenant.tenant_id).updated == 0


def test_a_reference_less_line_gets_candidates_and_confirming_one_closes_the_others(
    db: Database, tenant: TenantKeys
) -> None:
    first = _paid_order(db, tenant)
    second = _paid_order(db, tenant, buyer={"id": "b-2", "name": "李四", "phone": "13900139000"})
    service.sync_expected(db, tenant.tenant_id)
    amount = f"{first.totals.total / 100:.2f}"  # both orders cost the same
    result = service.import_statement(
        db, tenant.actor("finance"), data=_csv((amount, "网银转账 李四")), fmt="csv"
    )
    assert (result.auto_confirmed, result.for_review) == (0, 2)
    queue = sorted(
        list_matches(db, tenant.tenant_id, status="review").items, key=lambda m: m.rank or 0
    )
    assert [(m.kind, m.rank, m.order_id) for m in queue] == [
        ("candidate", 1, second.id),
        ("candidate", 2, first.id),
    ]
    assert {"no_reference", "payer_name_equal"} <= {r.code for r in queue[0].reasons}
    service.confirm_match(db, tenant.actor("finance"), queue[0].id)
    assert [m.order_id for m in list_matches(db, tenant.tenant_id, status="confirmed").items] == [
        second.id
    ]
    assert [m.order_id for m in list_matches(db, tenant.tenant_id, status="rejected").items] == [
        first.id
    ]
    statuses = {m.order_id: m.status for m in _movements(db)}
    assert statuses == {first.id: "open", second.id: "matched"}


def test_a_candidate_two_lines_want_is_contested_until_one_is_decided(
    db: Database, tenant: TenantKeys
) -> None:
    order = _paid_order(db, tenant)
    service.sync_expected(db, tenant.tenant_id)
    amount = f"{order.totals.total / 100:.2f}"
    data = _csv((amount, "转账 王芳"), (amount, "转账 某人"))
    service.import_statement(db, tenant.actor("finance"), data=data, fmt="csv")
    queue = list_matches(db, tenant.tenant_id, status="review").items
    assert len(queue) == 2 and all(m.is_contested for m in queue)
    best = next(
        m for m in queue if m.rank == 1 and any(r.code == "payer_name_equal" for r in m.reasons)
    )
    service.confirm_match(db, tenant.actor("finance"), best.id)
    assert list_matches(db, tenant.tenant_id, status="review").items == []
    with db.reader() as session:
        lines = dict(session.execute(select(StatementLine.id, StatementLine.status)).all())
    assert sorted(lines.values()) == ["matched", "unmatched"]


def test_a_merged_payment_naming_both_orders_is_confirmed_with_both_orders_named(
    db: Database, tenant: TenantKeys
) -> None:
    first, second = _paid_order(db, tenant), _paid_order(db, tenant)
    service.sync_expected(db, tenant.tenant_id)
    total = f"{(first.totals.total + second.totals.total) / 100:.2f}"
    data = _csv((total, f"货款 {first.order_no} {second.order_no}"))
    result = service.import_statement(db, tenant.actor("finance"), data=data, fmt="csv")
    assert result.auto_confirmed == 1
    matches = list_matches(db, tenant.tenant_id, status="confirmed").items
    assert len(matches) == 2 and {m.kind for m in matches} == {"merged"}
    assert all(m.order_ids == sorted([first.id, second.id]) for m in matches)
    assert all(len(m.movement_ids) == 2 and len(m.line_ids) == 1 for m in matches)


def _synchronised(barrier: threading.Barrier, real: Callable[..., Any]) -> Callable[..., Any]:
    """``real``, then wait for the other thread: both syncs read before either writes."""

    def run(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        barrier.wait(timeout=20)
        return found

    return run


@pytest.mark.postgres
def test_two_concurrent_syncs_add_each_movement_once(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = make_tenant(pg_db)
    for _ in range(3):
        _paid_order(pg_db, tenant)
    barrier = threading.Barrier(2)
    monkeypatch.setattr(
        sync_module, "list_refunded", _synchronised(barrier, sync_module.list_refunded)
    )

    def run(_: int) -> int:
        return service.sync_expected(pg_db, tenant.tenant_id).added

    with ThreadPoolExecutor(2) as pool:
        added = sorted(pool.map(run, range(2)))
    assert sum(added) == 3
    with pg_db.reader() as session:
        assert session.scalar(select(func.count()).select_from(ExpectedMovement)) == 3
        assert session.scalar(select(func.count()).select_from(FinanceMatch)) == 0


@pytest.mark.postgres
def test_two_people_confirming_contested_candidates_at_once_match_the_movement_once(
    pg_db: Database,
) -> None:
    from oms.core.errors import AppError

    tenant = make_tenant(pg_db)
    order = _paid_order(pg_db, tenant)
    service.sync_expected(pg_db, tenant.tenant_id)
    amount = f"{order.totals.total / 100:.2f}"
    data = _csv((amount, "转账 王芳"), (amount, "转账 王芳 货款"))
    service.import_statement(pg_db, tenant.actor("finance"), data=data, fmt="csv")
    queue = list_matches(pg_db, tenant.tenant_id, status="review").items
    assert len({m.line_id for m in queue}) == 2 and all(m.is_contested for m in queue)
    barrier = threading.Barrier(2)

    def confirm(match_id: str) -> str:
        barrier.wait(timeout=20)
        try:
            service.confirm_match(pg_db, tenant.actor("finance"), match_id)
        except AppError as error:
            return error.code
        return "confirmed"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(confirm, [m.id for m in queue]))
    assert outcomes == ["ERR_FINANCE_MATCH_CONFLICT", "confirmed"]
    assert len(list_matches(pg_db, tenant.tenant_id, status="confirmed").items) == 1
    (movement,) = _movements(pg_db)
    assert movement.status == "matched"
