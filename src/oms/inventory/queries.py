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
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.orm import Session

from oms.core.paging import (
    MAX_LIMIT,
    Page,
    PageRequest,
    fetch_all,
    fetch_items,
    fetch_page,
    from_attributes,
)
from oms.core.repo import scoped
from oms.core.uow import Database
from oms.inventory.models import LedgerEntry, Reservation, StockItem, UntrackedSku, Warehouse
from oms.inventory.schemas import (
    LedgerOut,
    ReservationOut,
    StockLevel,
    WarehouseLevel,
    WarehouseOut,
)
from oms.inventory.states import ReservationStatus

__all__ = [
    "SKU_SORTS",
    "Drift",
    "LevelCache",
    "SkuFilter",
    "ledger",
    "ledger_page",
    "order_reservations",
    "reservation_page",
    "sku_page",
    "skus_at_or_below",
    "stock_levels",
    "verify_stock",
    "warehouse_page",
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
        untracked = set(
            session.scalars(
                select(UntrackedSku.sku).where(
                    UntrackedSku.tenant_id == tenant_id, UntrackedSku.sku.in_(skus)
                )
            )
        )
    per_sku: dict[str, list[StockItem]] = defaultdict(list)
    for row in rows:
        per_sku[row.sku].append(row)
    levels = [_level(sku, per_sku.get(sku, []), overdue) for sku in skus]
    for level in levels:
        level.tracked = level.sku not in untracked
    return levels


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


def ledger_page(
    db: Database,
    tenant_id: str,
    sku: str,
    *,
    warehouse: str | None = None,
    page: PageRequest = PageRequest(),
) -> Page[LedgerOut]:
    """One page of a SKU's movements, newest first."""
    stmt = select(LedgerEntry).where(LedgerEntry.tenant_id == tenant_id, LedgerEntry.sku == sku)
    if warehouse:
        stmt = stmt.where(LedgerEntry.warehouse == warehouse)
    keys: list[ColumnElement[Any]] = [LedgerEntry.created_at.expression, LedgerEntry.id.expression]
    with db.list_reader() as session:
        rows = fetch_page(session, stmt, keys, page, scope="stock-ledger", descending=True)
        return rows.page([LedgerOut.model_validate(r[0], from_attributes=True) for r in rows.rows])


def reservation_page(
    db: Database, tenant_id: str, order_id: str, *, page: PageRequest = PageRequest()
) -> Page[ReservationOut]:
    """One page of the order's holds, oldest first, and what became of them."""
    stmt = select(Reservation).where(
        Reservation.tenant_id == tenant_id, Reservation.order_id == order_id
    )
    keys: list[ColumnElement[Any]] = [Reservation.created_at.expression, Reservation.id.expression]
    with db.reader() as session:
        rows = fetch_page(session, stmt, keys, page, scope=f"reservations:{order_id}")
        return rows.page(
            [ReservationOut.model_validate(r[0], from_attributes=True) for r in rows.rows]
        )


#: The order reservations try warehouses in: lowest priority number first, then by code.
_WAREHOUSE_KEYS = (Warehouse.priority, Warehouse.code)


def warehouse_page(
    db: Database, tenant_id: str, *, page: PageRequest = PageRequest()
) -> Page[WarehouseOut]:
    """One page of the warehouses in the order reservations try them (priority, then code)."""
    stmt, item = scoped(Warehouse, tenant_id), from_attributes(WarehouseOut)
    with db.reader() as session:
        return fetch_items(session, stmt, _WAREHOUSE_KEYS, page, item, scope="warehouses")


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
    """Every warehouse, in the order reservations try them (the console's choices)."""
    stmt, item = scoped(Warehouse, tenant_id), from_attributes(WarehouseOut)
    with db.reader() as session:
        return fetch_all(session, stmt, _WAREHOUSE_KEYS, item)


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
    """Rebuild every balance from the ledger; return (rows checked, drifts).

    The ledger sums, the holds and the stock rows are read from one snapshot (REPEATABLE READ
    on PostgreSQL; SQLite's read transaction is one already): read statement by statement, a
    check on a live system saw a movement's row without its ledger entry and reported drift
    that was not there.
    """
    key = (LedgerEntry.tenant_id, LedgerEntry.sku, LedgerEntry.warehouse, LedgerEntry.bucket)
    hold_key = (Reservation.tenant_id, Reservation.sku, Reservation.warehouse, Reservation.bucket)
    with db.reader() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
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


# The stock list: every SKU of the tenant, filtered and sorted, one keyset page at a time.

SKU_SORTS = ("sku", "available", "-available")


@dataclass(frozen=True, slots=True)
class SkuFilter:
    """Which SKUs the stock list keeps; every field left empty keeps every SKU.

    ``prefix`` matches the start of the SKU, ``named`` is SKUs matched some other way (the
    orders domain's product names); a SKU passes if either matches.
    """

    prefix: str | None = None
    named: tuple[str, ...] = ()
    is_below_safety: bool = False
    available_max: int | None = None
    sort: str = "sku"


def sku_page(
    db: Database, tenant_id: str, flt: SkuFilter, *, page: PageRequest = PageRequest()
) -> Page[StockLevel]:
    """One page of the tenant's SKUs with their levels per warehouse (no search term needed).

    Available is computed as the levels are (an overdue hold counts as released), in SQL, so
    the filters and the sort hold across pages. Raises: ERR_VALIDATION (a cursor another sort
    or list made).
    """
    totals = _sku_totals(tenant_id, db.clock.now())
    stmt = select(totals.c.sku).where(*_sku_conditions(totals, flt))
    sort = flt.sort if flt.sort in SKU_SORTS else "sku"
    keys: list[ColumnElement[Any]] = [totals.c.sku]
    if sort != "sku":
        keys = [totals.c.available, totals.c.sku]
    with db.reader() as session:
        rows = fetch_page(
            session, stmt, keys, page, scope=f"stock-skus:{sort}", descending=sort == "-available"
        )
    skus = [row[0] for row in rows.rows]
    return rows.page(stock_levels(db, tenant_id, skus))


def _sku_totals(tenant_id: str, now: datetime) -> Any:
    """Per SKU: on hand, reserved (less overdue holds), safety stock and available."""
    rows = (
        select(
            StockItem.sku,
            StockItem.warehouse,
            func.sum(StockItem.on_hand).label("on_hand"),
            func.sum(StockItem.reserved).label("reserved"),
            func.sum(StockItem.safety_stock).label("safety_stock"),
        )
        .where(StockItem.tenant_id == tenant_id)
        .group_by(StockItem.sku, StockItem.warehouse)
        .subquery()
    )
    overdue = (
        select(
            Reservation.sku,
            Reservation.warehouse,
            func.sum(Reservation.qty).label("qty"),
        )
        .where(
            Reservation.tenant_id == tenant_id,
            Reservation.status == ReservationStatus.ACTIVE.value,
            Reservation.expires_at <= now,
        )
        .group_by(Reservation.sku, Reservation.warehouse)
        .subquery()
    )
    reserved = rows.c.reserved - func.coalesce(overdue.c.qty, 0)
    free = rows.c.on_hand - reserved - rows.c.safety_stock
    available = case((free > 0, free), else_=0)
    joined = rows.outerjoin(
        overdue, (overdue.c.sku == rows.c.sku) & (overdue.c.warehouse == rows.c.warehouse)
    )
    return (
        select(
            rows.c.sku.label("sku"),
            func.sum(rows.c.safety_stock).label("safety_stock"),
            func.sum(available).label("available"),
        )
        .select_from(joined)
        .group_by(rows.c.sku)
        .subquery()
    )


def _sku_conditions(totals: Any, flt: SkuFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    matches: list[ColumnElement[bool]] = []
    if flt.prefix:
        escaped = flt.prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        matches.append(totals.c.sku.like(f"{escaped}%", escape="\\"))
    if flt.named:
        matches.append(totals.c.sku.in_(flt.named))
    if matches:
        conditions.append(or_(*matches))
    if flt.is_below_safety:
        conditions.append(totals.c.available < totals.c.safety_stock)
    if flt.available_max is not None:
        conditions.append(totals.c.available <= flt.available_max)
    return conditions


def skus_at_or_below(db: Database, tenant_id: str, threshold: int) -> dict[str, int]:
    """Tracked SKUs whose available is at most ``threshold``, with that available."""
    flt = SkuFilter(available_max=threshold)
    found: dict[str, int] = {}
    cursor: str | None = None
    while True:
        page = sku_page(db, tenant_id, flt, page=PageRequest(MAX_LIMIT, cursor))
        found |= {level.sku: level.available for level in page.items if level.tracked}
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor
