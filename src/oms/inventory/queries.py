"""Stock reads: levels (with a short per-process cache), the ledger, holds, verification.

Levels count an overdue reservation as already released, so what a storefront sees matches
what the reserve path will find. The cache serves reads only; reserve and deduct never use it.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oms.core.uow import Database
from oms.inventory.models import LedgerEntry, Reservation, StockItem, Warehouse
from oms.inventory.schemas import (
    LedgerOut,
    ReservationOut,
    StockLevel,
    WarehouseLevel,
    WarehouseOut,
)
from oms.inventory.states import ReservationStatus

__all__ = [
    "Drift",
    "LevelCache",
    "ledger",
    "order_reservations",
    "stock_levels",
    "verify_stock",
    "warehouses",
]


class LevelCache:
    """A small TTL cache of stock levels, per process (``OMS_STOCK_CACHE_SECONDS``)."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._entries: dict[tuple[str, str], tuple[float, StockLevel]] = {}
        self._lock = threading.Lock()

    def get(self, tenant_id: str, sku: str) -> StockLevel | None:
        with self._lock:
            hit = self._entries.get((tenant_id, sku))
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, tenant_id: str, level: StockLevel) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._entries) > 100_000:
                self._entries.clear()
            self._entries[(tenant_id, level.sku)] = (time.monotonic() + self.ttl, level)


def stock_levels(
    db: Database, tenant_id: str, skus: list[str], *, cache: LevelCache | None = None
) -> list[StockLevel]:
    """Levels of ``skus`` in request order; a SKU with no stock shows zeros."""
    found: dict[str, StockLevel] = {}
    missing = []
    for sku in dict.fromkeys(skus):
        hit = cache.get(tenant_id, sku) if cache else None
        if hit is not None:
            found[sku] = hit
        else:
            missing.append(sku)
    if missing:
        for level in _read_levels(db, tenant_id, missing):
            found[level.sku] = level
            if cache:
                cache.put(tenant_id, level)
    return [found[sku] for sku in dict.fromkeys(skus)]


def _read_levels(db: Database, tenant_id: str, skus: list[str]) -> list[StockLevel]:
    now = db.clock.now()
    with db.reader() as session:
        rows = session.scalars(
            select(StockItem)
            .where(StockItem.tenant_id == tenant_id, StockItem.sku.in_(skus))
            .order_by(StockItem.sku, StockItem.warehouse, StockItem.bucket)
        ).all()
        overdue = _overdue_holds(session, tenant_id, skus, now)
    per_sku: dict[str, list[StockItem]] = defaultdict(list)
    for row in rows:
        per_sku[row.sku].append(row)
    return [_level(sku, per_sku.get(sku, []), overdue) for sku in skus]


def _overdue_holds(
    session: Session, tenant_id: str, skus: list[str], now: datetime
) -> dict[tuple[str, str], int]:
    rows = session.execute(
        select(Reservation.sku, Reservation.warehouse, func.sum(Reservation.qty))
        .where(
            Reservation.tenant_id == tenant_id,
            Reservation.sku.in_(skus),
            Reservation.status == ReservationStatus.ACTIVE.value,
            Reservation.expires_at <= now,
        )
        .group_by(Reservation.sku, Reservation.warehouse)
    )
    return {(sku, warehouse): int(qty) for sku, warehouse, qty in rows}


def _level(sku: str, rows: list[StockItem], overdue: dict[tuple[str, str], int]) -> StockLevel:
    per_warehouse: dict[str, list[StockItem]] = defaultdict(list)
    for row in rows:
        per_warehouse[row.warehouse].append(row)
    levels = []
    for warehouse, bucket_rows in per_warehouse.items():
        on_hand = sum(r.on_hand for r in bucket_rows)
        reserved = sum(r.reserved for r in bucket_rows) - overdue.get((sku, warehouse), 0)
        safety = sum(r.safety_stock for r in bucket_rows)
        levels.append(
            WarehouseLevel(
                warehouse=warehouse,
                on_hand=on_hand,
                reserved=reserved,
                safety_stock=safety,
                available=max(on_hand - reserved - safety, 0),
                version=sum(r.version for r in bucket_rows),
                buckets=len(bucket_rows),
            )
        )
    return StockLevel(
        sku=sku,
        on_hand=sum(w.on_hand for w in levels),
        reserved=sum(w.reserved for w in levels),
        safety_stock=sum(w.safety_stock for w in levels),
        available=sum(w.available for w in levels),
        version=sum(w.version for w in levels),
        warehouses=levels,
    )


def ledger(
    db: Database, tenant_id: str, sku: str, *, warehouse: str | None = None, limit: int = 100
) -> list[LedgerOut]:
    """The newest movements of a SKU, newest first."""
    stmt = select(LedgerEntry).where(LedgerEntry.tenant_id == tenant_id, LedgerEntry.sku == sku)
    if warehouse:
        stmt = stmt.where(LedgerEntry.warehouse == warehouse)
    stmt = stmt.order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc()).limit(limit)
    with db.reader() as session:
        return [LedgerOut.model_validate(e, from_attributes=True) for e in session.scalars(stmt)]


def order_reservations(db: Database, tenant_id: str, order_id: str) -> list[ReservationOut]:
    """Every hold the order has had, and what became of it."""
    stmt = (
        select(Reservation)
        .where(Reservation.tenant_id == tenant_id, Reservation.order_id == order_id)
        .order_by(Reservation.created_at, Reservation.id)
    )
    with db.reader() as session:
        return [
            ReservationOut.model_validate(r, from_attributes=True) for r in session.scalars(stmt)
        ]


def warehouses(db: Database, tenant_id: str) -> list[WarehouseOut]:
    stmt = (
        select(Warehouse)
        .where(Warehouse.tenant_id == tenant_id)
        .order_by(Warehouse.priority, Warehouse.code)
    )
    with db.reader() as session:
        return [WarehouseOut.model_validate(w, from_attributes=True) for w in session.scalars(stmt)]


@dataclass(frozen=True, slots=True)
class Drift:
    """A stock row whose balance disagrees with its ledger or its holds."""

    tenant_id: str
    sku: str
    warehouse: str
    bucket: int
    on_hand: int
    reserved: int
    ledger_on_hand: int
    ledger_reserved: int
    active_holds: int


def verify_stock(db: Database) -> tuple[int, list[Drift]]:
    """Rebuild every balance from the ledger; return (rows checked, drifts)."""
    key = (LedgerEntry.tenant_id, LedgerEntry.sku, LedgerEntry.warehouse, LedgerEntry.bucket)
    hold_key = (Reservation.tenant_id, Reservation.sku, Reservation.warehouse, Reservation.bucket)
    with db.reader() as session:
        sums: dict[tuple[str, str, str, int], tuple[int, int]] = {
            (r[0], r[1], r[2], r[3]): (int(r[4]), int(r[5]))
            for r in session.execute(
                select(
                    *key, func.sum(LedgerEntry.delta_on_hand), func.sum(LedgerEntry.delta_reserved)
                ).group_by(*key)
            )
        }
        holds: dict[tuple[str, str, str, int], int] = {
            (r[0], r[1], r[2], r[3]): int(r[4])
            for r in session.execute(
                select(*hold_key, func.sum(Reservation.qty))
                .where(Reservation.status == ReservationStatus.ACTIVE.value)
                .group_by(*hold_key)
            )
        }
        rows = session.scalars(select(StockItem)).all()
    drifts = []
    for row in rows:
        row_key: tuple[str, str, str, int] = (row.tenant_id, row.sku, row.warehouse, row.bucket)
        on_hand, reserved = sums.pop(row_key, (0, 0))
        active = holds.pop(row_key, 0)
        if (row.on_hand, row.reserved) != (on_hand, reserved) or row.reserved != active:
            drifts.append(Drift(*row_key, row.on_hand, row.reserved, on_hand, reserved, active))
    for (tenant_id, sku, warehouse, bucket), (on_hand, reserved) in sums.items():
        drifts.append(Drift(tenant_id, sku, warehouse, bucket, 0, 0, on_hand, reserved, 0))
    return len(rows), drifts
