"""Persistence plumbing every domain shares: lock a row or say it is missing, insert once,
move many rows' status in one statement.

``get_for_update`` is the one way to load an aggregate for a command: scoped by tenant,
row-locked on PostgreSQL (``SELECT … FOR UPDATE``; SQLite serialises writers on its own), and
raising the domain's not-found error, so another tenant's id is a 404 like a missing one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from psycopg import errors as pg_errors
from sqlalchemy import ColumnElement, Connection, Select, Table, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from oms.core.errors import AppError
from oms.core.states import Machine
from oms.core.uow import UnitOfWork

__all__ = [
    "get_for_update",
    "insert_ignore",
    "is_lock_conflict",
    "move_all",
    "retry_on_race",
    "scoped",
    "update_versioned",
]


M = TypeVar("M")
T = TypeVar("T")


def scoped(model: type[M], tenant_id: str, **equal: object) -> Select[M]:
    """The tenant's rows of ``model``, narrowed by ``column == value`` for each filter given.

    A filter whose value is None is not applied (the list's "any"), so a list route passes its
    optional query parameters straight through: ``scoped(Refund, t, order_id=order_id)``.
    """
    columns: Any = model
    stmt = select(model).where(columns.tenant_id == tenant_id)
    for name, value in equal.items():
        if value is not None:
            stmt = stmt.where(getattr(columns, name) == value)
    return stmt


def get_for_update(
    uow: UnitOfWork,
    model: type[M],
    tenant_id: str,
    row_id: str,
    *,
    missing: AppError | None = None,
    refresh: bool = False,
) -> M:
    """The tenant's row ``row_id`` of ``model``, locked until the unit of work ends.

    ``missing`` is raised when there is no such row for this tenant; without it a missing row
    is a programming error (``NoResultFound``). ``refresh`` reloads a row this session had
    cached before the lock was taken.
    Raises: ``missing``.
    """
    columns: Any = model
    stmt = select(model).where(columns.tenant_id == tenant_id, columns.id == row_id)
    if uow.is_postgres:
        stmt = stmt.with_for_update()
    if refresh:
        stmt = stmt.execution_options(populate_existing=True)
    if missing is None:
        return uow.session.scalars(stmt).one()
    row = uow.session.scalars(stmt).first()
    if row is None:
        raise missing
    return row


def insert_ignore(uow: UnitOfWork, model: type[Any], values: dict[str, Any]) -> bool:
    """INSERT the row unless one with the same key exists (``ON CONFLICT DO NOTHING``).

    Returns whether the row was inserted.
    """
    insert = postgres_insert if uow.is_postgres else sqlite_insert
    # RETURNING, not the row count: psycopg answers a row count of -1 for these statements
    # on PostgreSQL, which made a skipped row look inserted.
    table = model.__table__
    statement = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(*table.primary_key.columns)
    )
    return uow.session.connection().execute(statement).first() is not None


def update_versioned(uow: UnitOfWork, row: Any, values: Mapping[str, Any]) -> bool:
    """UPDATE the aggregate ``row`` only if its version is still the one read (compare-and-set).

    ``row`` is the ORM object as read (its model keyed by ``tenant_id`` and ``id``); ``values``
    are the columns to write, the new ``version`` among them. False: another writer won.
    """
    model = type(row)
    result = uow.session.execute(
        update(model)
        .where(model.tenant_id == row.tenant_id, model.id == row.id, model.version == row.version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


def move_all(
    executor: Session | Connection,
    target: type[Any] | Table,
    machine: Machine[Any],
    to: str,
    *where: ColumnElement[bool],
    now: datetime,
    also: Mapping[str, Any] | None = None,
) -> int:
    """Move every row matched by ``where`` that ``machine`` lets become ``to``, in one UPDATE.

    The statement's status filter (``status IN machine.sources(to)``) and the values it writes
    (status, stamps, touch: ``machine.arrival``) come from the table, so a set-based move can
    never make a move the table forbids; a row in any other status is left as it is. ``also``
    adds columns that are not the machine's (who decided, the lease cleared). ``target`` is a
    mapped class (ORM-enabled UPDATE) or its Core table (hot paths). Returns the rows moved.
    """
    columns: Any = target.c if isinstance(target, Table) else target
    allowed = [str(status) for status in machine.sources(to)]
    stmt = (
        update(target)
        .where(*where, columns.status.in_(allowed))
        .values({**machine.arrival(to, now=now), **(also or {})})
    )
    result = executor.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]


def is_lock_conflict(error: BaseException) -> bool:
    """True for PostgreSQL's deadlock and serialization failures: the transaction was rolled
    back whole and running it again is the documented remedy."""
    cause = getattr(error, "orig", None)
    return isinstance(error, OperationalError) and isinstance(
        cause, pg_errors.DeadlockDetected | pg_errors.SerializationFailure
    )


def retry_on_race(command: Callable[[], T], *, attempts: int = 3) -> T:
    """Run ``command`` (a whole unit of work) again when it lost a race.

    Two kinds: a unique-key race (two requests creating the same natural key at once: one
    commits, the other's INSERT fails, and the retry finds the winner's row), and a lock
    conflict (PostgreSQL broke a deadlock or a serialization failure by rolling this
    transaction back). Anything else, and the last failure, is raised unchanged.
    """
    for attempt in range(1, attempts + 1):
        try:
            return command()
        except IntegrityError:
            if attempt == attempts:
                raise
        except OperationalError as error:
            if attempt == attempts or not is_lock_conflict(error):
                raise
    raise AssertionError("unreachable")
