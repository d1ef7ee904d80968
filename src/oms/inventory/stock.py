"""Low-level stock writes shared by every inventory use case.

A stock row changes only through ``apply_movement``: one compare-and-set UPDATE on its version
and one ledger row with the balances after, in the caller's transaction. Rows are locked in
ascending key order (SKU, warehouse, bucket) so two transactions never wait on each other in a
cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, insert, select, tuple_, update

from oms.core.context import Actor
from oms.core.ids import new_id
from oms.core.tracing import current_trace
from oms.core.uow import UnitOfWork
from oms.inventory.errors import StockVersionMismatch
from oms.inventory.models import LedgerEntry, StockItem
from oms.inventory.states import MovementKind

__all__ = ["Ref", "StockKey", "apply_movement", "available", "lock_rows", "lock_sku_rows"]

StockKey = tuple[str, str, int]  # (sku, warehouse, bucket)


@dataclass(frozen=True, slots=True)
class Ref:
    """What caused a movement: an order, a ticket, a manual entry."""

    type: str
    id: str | None = None
    reason: str | None = None


def available(row: StockItem) -> int:
    """Units that may still be sold from this row."""
    return row.on_hand - row.reserved - row.safety_stock


def lock_sku_rows(
    uow: UnitOfWork, tenant_id: str, skus: Iterable[str], warehouse: str | None = None
) -> list[StockItem]:
    """Lock every stock row of ``skus`` (in one warehouse, or all), in key order."""
    stmt = select(StockItem).where(
        StockItem.tenant_id == tenant_id, StockItem.sku.in_(sorted(set(skus)))
    )
    if warehouse is not None:
        stmt = stmt.where(StockItem.warehouse == warehouse)
    return _locked(uow, stmt)


def lock_rows(
    uow: UnitOfWork, tenant_id: str, keys: Iterable[StockKey]
) -> dict[StockKey, StockItem]:
    """Lock the given stock rows, in key order; missing keys are simply absent."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    stmt = select(StockItem).where(
        StockItem.tenant_id == tenant_id,
        tuple_(StockItem.sku, StockItem.warehouse, StockItem.bucket).in_(wanted),
    )
    return {(r.sku, r.warehouse, r.bucket): r for r in _locked(uow, stmt)}


def _locked(uow: UnitOfWork, stmt: Select[StockItem]) -> list[StockItem]:
    stmt = stmt.order_by(StockItem.sku, StockItem.warehouse, StockItem.bucket)
    if uow.is_postgres:
        stmt = stmt.with_for_update()
    rows = list(uow.session.scalars(stmt))
    for row in rows:
        # Detached: writes go through apply_movement's compare-and-set, never an ORM flush.
        uow.session.expunge(row)
    return rows


def apply_movement(
    uow: UnitOfWork,
    row: StockItem,
    *,
    kind: MovementKind,
    delta_on_hand: int,
    delta_reserved: int,
    ref: Ref,
    actor: Actor,
    now: datetime,
    safety_stock: int | None = None,
) -> str:
    """Change one stock row and append its ledger entry; return the entry id.

    Raises: ERR_STOCK_VERSION_MISMATCH when another writer changed the row first.
    """
    on_hand, reserved = row.on_hand + delta_on_hand, row.reserved + delta_reserved
    result = uow.session.execute(
        update(StockItem)
        .where(
            StockItem.tenant_id == row.tenant_id,
            StockItem.sku == row.sku,
            StockItem.warehouse == row.warehouse,
            StockItem.bucket == row.bucket,
            StockItem.version == row.version,
        )
        .values(
            on_hand=on_hand,
            reserved=reserved,
            safety_stock=row.safety_stock if safety_stock is None else safety_stock,
            version=row.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StockVersionMismatch("another writer changed the stock first", sku=row.sku)
    row.on_hand, row.reserved, row.version, row.updated_at = on_hand, reserved, row.version + 1, now
    if safety_stock is not None:
        row.safety_stock = safety_stock
    return _append_ledger(uow, row, kind, delta_on_hand, delta_reserved, ref, actor, now)


def _append_ledger(
    uow: UnitOfWork,
    row: StockItem,
    kind: MovementKind,
    delta_on_hand: int,
    delta_reserved: int,
    ref: Ref,
    actor: Actor,
    now: datetime,
) -> str:
    trace = current_trace()
    entry_id = new_id()
    uow.session.execute(
        insert(LedgerEntry).values(
            tenant_id=row.tenant_id,
            id=entry_id,
            sku=row.sku,
            warehouse=row.warehouse,
            bucket=row.bucket,
            kind=str(kind),
            delta_on_hand=delta_on_hand,
            delta_reserved=delta_reserved,
            on_hand_after=row.on_hand,
            reserved_after=row.reserved,
            ref_type=ref.type,
            ref_id=ref.id,
            reason=ref.reason,
            actor=actor.principal,
            trace_id=trace.trace_id if trace else None,
            created_at=now,
        )
    )
    return entry_id
