"""The store's set-based status moves follow the finance machines, on SQLite and PostgreSQL:
a matched movement is never reopened or sent back to review by a bulk move."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from oms.core.uow import Database
from oms.finance import store
from oms.finance.models import ExpectedMovement
from oms.finance.states import MovementStatus
from tests.fixtures.finance import add_movement
from tests.fixtures.tenants import TenantKeys

M = MovementStatus


def _move(db: Database, tenant: TenantKeys, ids: list[str], to: MovementStatus) -> None:
    with db.uow() as uow:
        store.move_movements(uow.session, tenant.tenant_id, ids, to, now=uow.clock.now())
        uow.commit()


def _statuses(db: Database, ids: list[str]) -> list[str]:
    with db.reader() as session:
        found = dict(
            session.execute(
                select(ExpectedMovement.id, ExpectedMovement.status).where(
                    ExpectedMovement.id.in_(ids)
                )
            ).all()
        )
    return [found[i] for i in ids]


def test_a_bulk_move_leaves_rows_the_table_does_not_let_go_there(
    db: Database, tenant: TenantKeys
) -> None:
    ids = [
        add_movement(db, tenant.tenant_id, amount=100 * n, on=date(2026, 11, 24)) for n in (1, 2)
    ]
    _move(db, tenant, ids[:1], M.MATCHED)
    _move(db, tenant, ids, M.REVIEW)
    assert _statuses(db, ids) == [M.MATCHED, M.REVIEW]
    _move(db, tenant, ids, M.OPEN)
    assert _statuses(db, ids) == [M.MATCHED, M.OPEN]


def test_another_tenants_rows_are_never_moved(
    db: Database, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    theirs = add_movement(db, other_tenant.tenant_id, amount=100, on=date(2026, 11, 24))
    _move(db, tenant, [theirs], M.MATCHED)
    assert _statuses(db, [theirs]) == [M.OPEN]
