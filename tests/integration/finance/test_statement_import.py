"""Statement import through the real unit of work, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from oms.core.uow import Database
from oms.finance import service, store
from oms.finance.errors import MalformedStatement
from oms.finance.models import BankStatement, ExpectedMovement, StatementLine
from oms.finance.queries import list_lines, list_matches
from oms.finance.schemas import CsvLayoutIn, FinanceSettingsIn
from oms.orders.service import place_order
from oms.payments.models import Payment
from tests.fixtures.finance import sample_movements, statement
from tests.fixtures.orders import order_create
from tests.fixtures.tenants import TenantKeys


def _count(db: Database, model: type[BankStatement] | type[StatementLine]) -> int:
    with db.reader() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_importing_the_same_file_twice_adds_nothing(db: Database, tenant: TenantKeys) -> None:
    actor = tenant.actor("finance")
    first = service.import_statement(db, actor, data=statement("sample.mt940"), fmt="mt940")
    again = service.import_statement(db, actor, data=statement("sample.mt940"), fmt="mt940")
    assert (first.lines_added, first.is_duplicate_file) == (3, False)
    assert (again.lines_added, again.is_duplicate_file) == (0, True)
    assert again.statement_id == first.statement_id
    assert _count(db, StatementLine) == 3


def test_overlapping_exports_add_only_new_lines(db: Database, tenant: TenantKeys) -> None:
    actor = tenant.actor("finance")
    data = statement("sample.csv")
    service.import_statement(db, actor, data=data, fmt="csv")
    more = data + b"2026-11-26,10.00,CNY,new line,\n"
    result = service.import_statement(db, actor, data=more, fmt="csv")
    assert (result.lines_added, result.lines_skipped) == (1, 3)


def test_a_malformed_file_imports_nothing(db: Database, tenant: TenantKeys) -> None:
    with pytest.raises(MalformedStatement) as caught:
        service.import_statement(
            db, tenant.actor("finance"), data=statement("malformed.mt940"), fmt="mt940"
        )
    assert caught.value.details["line"] == 7
    assert (_count(db, BankStatement), _count(db, StatementLine)) == (0, 0)


def test_a_failure_after_the_lines_are_written_leaves_nothing(
    db: Database, tenant: TenantKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> tuple[int, int]:
        raise RuntimeError("disk full")

    sample_movements(db, tenant.tenant_id)
    monkeypatch.setattr(store, "write_proposals", explode)
    with pytest.raises(RuntimeError):
        service.import_statement(db, tenant.actor(), data=statement("sample.csv"), fmt="csv")
    assert (_count(db, BankStatement), _count(db, StatementLine)) == (0, 0)


def test_import_matches_and_confirms_the_sure_lines(db: Database, tenant: TenantKeys) -> None:
    ids = sample_movements(db, tenant.tenant_id)
    result = service.import_statement(
        db, tenant.actor(), data=statement("sample.camt053.xml"), fmt="camt053"
    )
    assert (result.lines_added, result.auto_confirmed) == (2, 1)
    (confirmed,) = list_matches(db, tenant.tenant_id, status="confirmed").items
    assert confirmed.movement_id == ids["a"]
    assert confirmed.decided_by == "engine"
    assert {line.status for line in list_lines(db, tenant.tenant_id).items} == {
        "matched",
        "unmatched",
    }


def test_csv_layout_comes_from_the_tenant_settings(db: Database, tenant: TenantKeys) -> None:
    layout = CsvLayoutIn(
        date_column="交易日期",
        date_format="%d.%m.%Y",
        memo_columns=["摘要", "对方户名"],
        currency_column="币种",
        reference_column=None,
        sign="columns",
        credit_column="贷方金额",
        debit_column="借方金额",
        decimal=",",
        delimiter=";",
    )
    service.update_settings(db, tenant.actor(), FinanceSettingsIn(csv_layout=layout))
    sample_movements(db, tenant.tenant_id)
    result = service.import_statement(
        db, tenant.actor(), data=statement("icbc-columns.csv"), fmt="csv"
    )
    assert (result.lines_added, result.auto_confirmed) == (2, 1)


def test_sync_expected_adds_confirmed_payments_once(db: Database, tenant: TenantKeys) -> None:
    placed = place_order(db, tenant.actor(), order_create())
    order = placed.order
    now = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    with db.uow() as uow:
        uow.session.add(
            Payment(
                tenant_id=tenant.tenant_id,
                id="pay-1",
                order_id=order.id,
                order_no=order.order_no,
                gateway="alipay",
                trade_no="2026112422001400000001",
                amount=order.totals.total,
                currency="CNY",
                status="confirmed",
                version=1,
                notified_state="TRADE_SUCCESS",
                gateway_paid_at=now,
                inbox_message_id="in-1",
                created_at=now,
                updated_at=now,
            )
        )
        uow.commit()
    assert service.sync_expected(db, tenant.tenant_id).added == 1
    assert service.sync_expected(db, tenant.tenant_id).added == 0
    with db.reader() as session:
        movement = session.scalars(select(ExpectedMovement)).one()
    assert (movement.order_no, movement.amount) == (order.order_no, order.totals.total)
    assert str(movement.expected_date) == "2026-11-24"


@pytest.mark.postgres
def test_two_concurrent_imports_of_one_file_add_it_once(pg_db: Database) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from tests.fixtures.tenants import make_tenant

    tenant = make_tenant(pg_db, stocked=False)
    data = statement("sample.mt940")

    def run(_: int) -> int:
        return service.import_statement(pg_db, tenant.actor(), data=data, fmt="mt940").lines_added

    with ThreadPoolExecutor(4) as pool:
        added = sorted(pool.map(run, range(4)))
    assert added == [0, 0, 0, 3]
    assert _count(pg_db, StatementLine) == 3
