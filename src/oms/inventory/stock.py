"""Low-level stock writes shared by every inventory use case.

A stock row changes only through ``apply_movements``: one compare-and-set UPDATE per row on
its version and one ledger row per change with the balances after, in the caller's
transaction. Rows are locked in ascending key order (SKU, warehouse, bucket) so two
transactions never wait on each other in a cycle.

This is the hot path of every order, so it uses constant Core statements (compiled once,
values passed as parameters) and plain rows rather than ORM objects.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, and_, bindparam, func, insert, or_, select, tuple_, update

from oms.core.context import Actor
from oms.core.db import table
from oms.core.ids import new_id
from oms.core.tracing import current_trace
from oms.core.uow import UnitOfWork
from oms.inventory.errors import StockVersionMismatch
from oms.inventory.models import LedgerEntry, StockItem, Warehouse
from oms.inventory.states import MovementKind

__all__ = [
    "Change",
    "Ref",
    "StockKey",
    "StockRow",
    "apply_movement",
    "apply_movements",
    "available",
    "bucketed_skus",
    "forget_buckets",
    "lock_one_bucket",
    "lock_rows",
    "lock_sku_rows",
]

StockKey = tuple[str, str, int]  # (sku, warehouse, bucket)
_STOCK = table(StockItem)
_ROW_COLUMNS = (
    StockItem.tenant_id,
    StockItem.sku,
    StockItem.warehouse,
    StockItem.bucket,
    StockItem.on_hand,
    StockItem.reserved,
    StockItem.safety_stock,
    StockItem.version,
)
_UPDATE = (
    update(_STOCK)
    .where(
        _STOCK.c.tenant_id == bindparam("k_tenant"),
        _STOCK.c.sku == bindparam("k_sku"),
        _STOCK.c.warehouse == bindparam("k_warehouse"),
        _STOCK.c.bucket == bindparam("k_bucket"),
        _STOCK.c.version == bindparam("k_version"),
    )
    .values(
        on_hand=bindparam("on_hand"),
        reserved=bindparam("reserved"),
        safety_stock=bindparam("safety_stock"),
        version=bindparam("version"),
        updated_at=bindparam("updated_at"),
    )
)
_INSERT_LEDGER = insert(table(LedgerEntry))


@dataclass(slots=True)
class StockRow:
    """A locked stock row, as this transaction sees it (updated as it is written)."""

    tenant_id: str
    sku: str
    warehouse: str
    bucket: int
    on_hand: int
    reserved: int
    safety_stock: int
    version: int
    priority: int = 0

    @property
    def key(self) -> StockKey:
        return (self.sku, self.warehouse, self.bucket)


@dataclass(frozen=True, slots=True)
class Ref:
    """What caused a movement: an order, a ticket, a manual entry."""

    type: str
    id: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """One movement to apply to one locked row."""

    row: StockRow
    kind: MovementKind
    delta_on_hand: int
    delta_reserved: int
    ref: Ref
    safety_stock: int | None = None


def available(row: StockRow) -> int:
    """Units that may still be sold from this row."""
    return row.on_hand - row.reserved - row.safety_stock


def lock_sku_rows(
    uow: UnitOfWork, tenant_id: str, skus: Iterable[str], warehouse: str | None = None
) -> list[StockRow]:
    """Lock every stock row of ``skus`` (in one warehouse, or all), in key order."""
    params: dict[str, Any] = {"tenant_id": tenant_id, "skus": sorted(set(skus))}
    if warehouse is None:
        stmt = _LOCK_SKUS_PG if uow.is_postgres else _LOCK_SKUS
    else:
        stmt = _LOCK_SKUS_IN_PG if uow.is_postgres else _LOCK_SKUS_IN
        params["warehouse"] = warehouse
    return [StockRow(*row) for row in uow.session.connection().execute(stmt, params)]


def lock_one_bucket(
    uow: UnitOfWork, tenant_id: str, sku: str, qty: int, warehouse: str | None
) -> StockRow | None:
    """Lock one bucket of a hot SKU that alone has ``qty`` available. PostgreSQL only.

    First without waiting (SKIP LOCKED), by warehouse priority and then at random, so
    concurrent orders spread over the buckets. When every such bucket is busy (more buyers
    than buckets), wait for one of them, again chosen at random, rather than for all of the
    SKU's rows: locking them all would queue every order behind every other, which is what
    the buckets exist to avoid.

    The bucket to wait for is chosen by a plain read and then locked by its key, so the wait
    holds exactly one row (a ``FOR UPDATE`` over the candidates would, when a granted lock
    no longer qualifies, go on to lock the next one in its random order, and two orders
    doing so can deadlock). If the wait used the bucket up, the lock is given back by
    rolling back its savepoint, and None sends the caller to lock all of the SKU's rows in
    key order, holding nothing of the SKU before it.
    """
    params = {"tenant_id": tenant_id, "sku": sku, "qty": qty, "warehouse": warehouse}
    connection = uow.session.connection()
    found = connection.execute(_TRY_BUCKET, params).first()
    if found is not None:
        return StockRow(*found)
    chosen = connection.execute(_CHOOSE_BUCKET, params).first()
    if chosen is None:
        return None
    savepoint = uow.session.begin_nested()
    row = lock_rows(uow, tenant_id, [(sku, chosen.warehouse, chosen.bucket)]).get(
        (sku, chosen.warehouse, chosen.bucket)
    )
    if row is None or available(row) < qty:
        savepoint.rollback()
        return None
    savepoint.commit()
    return row


def bucketed_skus(uow: UnitOfWork, tenant_id: str) -> frozenset[str]:
    """The tenant's SKUs split into buckets, remembered per process for a few seconds.

    Only chooses a locking strategy; both strategies are correct, so a stale answer costs
    speed, never stock.
    """
    cached = _BUCKETED.get(tenant_id)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    found = uow.session.connection().execute(_BUCKETED_SKUS, {"t": tenant_id}).scalars()
    skus = frozenset(found)
    _BUCKETED[tenant_id] = (time.monotonic() + _BUCKETED_TTL_SECONDS, skus)
    return skus


def forget_buckets(tenant_id: str) -> None:
    """Drop the cached bucket map (after this process split a SKU)."""
    _BUCKETED.pop(tenant_id, None)


def lock_rows(
    uow: UnitOfWork, tenant_id: str, keys: Iterable[StockKey]
) -> dict[StockKey, StockRow]:
    """Lock the given stock rows, in key order; missing keys are simply absent."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    stmt = _select_rows(tenant_id).where(
        tuple_(_STOCK.c.sku, _STOCK.c.warehouse, _STOCK.c.bucket).in_(wanted)
    )
    return {row.key: row for row in _locked(uow, stmt)}


def _select_rows(tenant_id: Any) -> Select[*tuple[Any, ...]]:
    # The warehouse's priority comes with the row, so allocation needs no second query.
    return (
        select(*_ROW_COLUMNS, Warehouse.priority)
        .join(
            Warehouse,
            and_(Warehouse.tenant_id == _STOCK.c.tenant_id, Warehouse.code == _STOCK.c.warehouse),
        )
        .where(_STOCK.c.tenant_id == tenant_id)
    )


def _order_and_lock(stmt: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    return stmt.order_by(_STOCK.c.sku, _STOCK.c.warehouse, _STOCK.c.bucket)


# Constant statements for the order path: compiled once, values passed as parameters.
_BY_SKUS = _select_rows(bindparam("tenant_id")).where(
    _STOCK.c.sku.in_(bindparam("skus", expanding=True))
)
_BY_SKUS_IN = _BY_SKUS.where(_STOCK.c.warehouse == bindparam("warehouse"))
_LOCK_SKUS = _order_and_lock(_BY_SKUS)
_LOCK_SKUS_PG = _LOCK_SKUS.with_for_update(of=_STOCK)
_LOCK_SKUS_IN = _order_and_lock(_BY_SKUS_IN)
_LOCK_SKUS_IN_PG = _LOCK_SKUS_IN.with_for_update(of=_STOCK)


_ONE_BUCKET = (
    _select_rows(bindparam("tenant_id"))
    .where(
        _STOCK.c.sku == bindparam("sku"),
        _STOCK.c.on_hand - _STOCK.c.reserved - _STOCK.c.safety_stock >= bindparam("qty"),
        or_(
            bindparam("warehouse", type_=String).is_(None),
            _STOCK.c.warehouse == bindparam("warehouse"),
        ),
    )
    .order_by(Warehouse.priority, func.random())
    .limit(1)
)
_TRY_BUCKET = _ONE_BUCKET.with_for_update(of=_STOCK, skip_locked=True)
_CHOOSE_BUCKET = _ONE_BUCKET.with_only_columns(_STOCK.c.warehouse, _STOCK.c.bucket)
_BUCKETED_SKUS = (
    select(_STOCK.c.sku).where(_STOCK.c.tenant_id == bindparam("t"), _STOCK.c.bucket > 0).distinct()
)
_BUCKETED_TTL_SECONDS = 5.0
_BUCKETED: dict[str, tuple[float, frozenset[str]]] = {}


def _locked(uow: UnitOfWork, stmt: Select[*tuple[Any, ...]]) -> list[StockRow]:
    stmt = stmt.order_by(_STOCK.c.sku, _STOCK.c.warehouse, _STOCK.c.bucket)
    if uow.is_postgres:
        stmt = stmt.with_for_update(of=_STOCK)
    return [StockRow(*row) for row in uow.session.connection().execute(stmt)]


def apply_movement(
    uow: UnitOfWork,
    row: StockRow,
    *,
    kind: MovementKind,
    delta_on_hand: int,
    delta_reserved: int,
    ref: Ref,
    actor: Actor,
    now: datetime,
    safety_stock: int | None = None,
) -> str:
    """Apply one movement; return its ledger id. Raises: as ``apply_movements``."""
    change = Change(row, kind, delta_on_hand, delta_reserved, ref, safety_stock)
    return apply_movements(uow, [change], actor=actor, now=now)[0]


def apply_movements(
    uow: UnitOfWork, changes: Sequence[Change], *, actor: Actor, now: datetime
) -> list[str]:
    """Apply movements (CAS per row), then append all their ledger rows in one statement.

    Raises: ERR_STOCK_VERSION_MISMATCH when another writer changed a row first.
    """
    connection = uow.session.connection()
    trace = current_trace()
    entries: list[dict[str, Any]] = []
    for change in changes:
        _write_row(connection, change, now)
        entries.append(_ledger_values(change, actor, trace.trace_id if trace else None, now))
    if entries:
        connection.execute(_INSERT_LEDGER, entries)
    return [entry["id"] for entry in entries]


def _write_row(connection: Any, change: Change, now: datetime) -> None:
    row = change.row
    on_hand, reserved = row.on_hand + change.delta_on_hand, row.reserved + change.delta_reserved
    safety = row.safety_stock if change.safety_stock is None else change.safety_stock
    result = connection.execute(
        _UPDATE,
        {
            "k_tenant": row.tenant_id,
            "k_sku": row.sku,
            "k_warehouse": row.warehouse,
            "k_bucket": row.bucket,
            "k_version": row.version,
            "on_hand": on_hand,
            "reserved": reserved,
            "safety_stock": safety,
            "version": row.version + 1,
            "updated_at": now,
        },
    )
    if result.rowcount != 1:
        raise StockVersionMismatch("another writer changed the stock first", sku=row.sku)
    row.on_hand, row.reserved, row.safety_stock, row.version = (
        on_hand,
        reserved,
        safety,
        row.version + 1,
    )


def _ledger_values(
    change: Change, actor: Actor, trace_id: str | None, now: datetime
) -> dict[str, Any]:
    row = change.row
    return {
        "tenant_id": row.tenant_id,
        "id": new_id(),
        "sku": row.sku,
        "warehouse": row.warehouse,
        "bucket": row.bucket,
        "kind": str(change.kind),
        "delta_on_hand": change.delta_on_hand,
        "delta_reserved": change.delta_reserved,
        "on_hand_after": row.on_hand,
        "reserved_after": row.reserved,
        "ref_type": change.ref.type,
        "ref_id": change.ref.id,
        "reason": change.ref.reason,
        "actor": actor.principal,
        "trace_id": trace_id,
        "created_at": now,
    }
