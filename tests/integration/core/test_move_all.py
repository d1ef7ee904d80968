"""``repo.move_all``: one UPDATE whose WHERE and values come from a machine, on SQLite and
PostgreSQL. Outbox messages serve as the rows (their machine has stamps and a self-move)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from oms.core import outbox
from oms.core.clock import ManualClock
from oms.core.db import table
from oms.core.job_states import MESSAGE_MACHINE, MessageStatus
from oms.core.models import OutboxMessage
from oms.core.repo import move_all
from oms.core.uow import Database
from oms.orders.models import Order
from oms.orders.states import MACHINE as ORDER_MACHINE
from oms.orders.states import OrderStatus
from tests.fixtures.jobs import Probe
from tests.fixtures.tenants import TenantKeys

S = MessageStatus


def _messages(db: Database, tenant: TenantKeys, *statuses: MessageStatus) -> list[str]:
    """One message per status, moved there through the machine."""
    ids = []
    with db.uow() as uow:
        now = uow.clock.now()
        for status in statuses:
            message_id = outbox.add(uow, Probe(tenant_id=tenant.tenant_id), now=now)
            row = uow.session.get_one(OutboxMessage, (tenant.tenant_id, message_id))
            path = {S.PENDING: [], S.RUNNING: [S.RUNNING], S.DONE: [S.RUNNING, S.DONE]}
            for step in path[status]:
                MESSAGE_MACHINE.transition(row, to=step, now=now)
            ids.append(message_id)
        uow.commit()
    return ids


def _rows(db: Database, tenant: TenantKeys) -> dict[str, OutboxMessage]:
    with db.reader() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.tenant_id == tenant.tenant_id)
        )
        return {row.id: row for row in rows}


def test_only_rows_the_table_lets_move_are_moved_and_stamped(
    db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    pending, running, done = _messages(db, tenant, S.PENDING, S.RUNNING, S.DONE)
    before = _rows(db, tenant)
    clock.advance(timedelta(minutes=1))
    with db.uow() as uow:
        mine = OutboxMessage.tenant_id == tenant.tenant_id
        moved = move_all(
            uow.session, OutboxMessage, MESSAGE_MACHINE, S.DONE, mine,
            now=uow.clock.now(), also={"last_error": "checked"},
        )  # fmt: skip
        uow.commit()
    after = _rows(db, tenant)
    assert moved == 1
    assert {i: after[i].status for i in (pending, running, done)} == {
        pending: S.PENDING,
        running: S.DONE,
        done: S.DONE,
    }
    assert after[running].processed_at == clock.now()
    assert after[running].last_error == "checked"
    # A row in any other status is not touched at all, not even by ``also``.
    assert after[done].processed_at == before[done].processed_at
    assert after[done].last_error is None and after[pending].last_error is None


def test_the_core_table_moves_the_same_way(db: Database, tenant: TenantKeys) -> None:
    pending, running = _messages(db, tenant, S.PENDING, S.RUNNING)
    with db.uow() as uow:
        messages = table(OutboxMessage)
        moved = move_all(
            uow.session.connection(), messages, MESSAGE_MACHINE, S.RUNNING,
            messages.c.tenant_id == tenant.tenant_id, now=uow.clock.now(),
        )  # fmt: skip
        uow.commit()
    after = _rows(db, tenant)
    # pending → running and running → running (a lapsed lease) are both moves of the table.
    assert moved == 2
    assert after[pending].status == after[running].status == S.RUNNING


def test_a_move_that_stamps_once_cannot_be_set_based(db: Database) -> None:
    # paid_at is kept when already set; one UPDATE cannot tell which rows carry it.
    with db.uow() as uow, pytest.raises(ValueError, match="only once"):
        move_all(uow.session, Order, ORDER_MACHINE, OrderStatus.PAID, now=uow.clock.now())
