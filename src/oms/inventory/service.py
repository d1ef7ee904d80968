"""Stock use cases: warehouses, movements from people and ERP/WMS, safety stock, the sweep."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from oms.core.batch import Applied, ItemResult, run_each
from oms.core.context import Actor
from oms.core.errors import Conflict, ValidationFailed
from oms.core.repo import retry_on_race
from oms.core.uow import Database, UnitOfWork
from oms.inventory import reservations
from oms.inventory.errors import (
    InsufficientStock,
    StockNotFound,
    StockVersionMismatch,
    UnknownWarehouse,
)
from oms.inventory.models import Reservation, StockItem, UntrackedSku, Warehouse
from oms.inventory.queries import stock_levels
from oms.inventory.schemas import (
    MovementIn,
    MovementOut,
    SafetyStockIn,
    StockLevel,
    TrackingIn,
    WarehouseIn,
    WarehouseLocationIn,
    WarehouseOut,
)
from oms.inventory.states import MANUAL_KINDS, MovementKind, ReservationStatus
from oms.inventory.stock import (
    Change,
    Ref,
    StockRow,
    apply_movement,
    apply_movements,
    available,
    forget_buckets,
    lock_rows,
    lock_sku_rows,
)

__all__ = [
    "DEFAULT_WAREHOUSE",
    "apply_manual_movement",
    "create_warehouse",
    "record_movement",
    "record_movements",
    "set_safety_stock",
    "set_tracking",
    "set_warehouse_location",
    "split_into_buckets",
    "sweep_expired_reservations",
]

DEFAULT_WAREHOUSE = "main"


def create_warehouse(db: Database, actor: Actor, data: WarehouseIn) -> WarehouseOut:
    """Add a warehouse. Raises: ERR_CONFLICT (the code exists)."""
    try:
        with db.uow() as uow:
            _add_warehouse(uow, actor.tenant_id, data.code, data.name, data.priority)
            _locate(uow, actor.tenant_id, data.code, data.province, data.city)
            uow.commit()
    except IntegrityError:
        raise Conflict("a warehouse with this code exists", code=data.code) from None
    return WarehouseOut.model_validate(data, from_attributes=True)


def set_warehouse_location(
    db: Database, actor: Actor, code: str, data: WarehouseLocationIn
) -> WarehouseOut:
    """Say where a warehouse is (province, city). Raises: ERR_STOCK_UNKNOWN_WAREHOUSE."""
    with db.uow() as uow:
        if not _locate(uow, actor.tenant_id, code, data.province, data.city):
            raise UnknownWarehouse("no such warehouse", warehouse=code)
        row = uow.session.get_one(Warehouse, (actor.tenant_id, code))
        out = WarehouseOut.model_validate(row, from_attributes=True)
        uow.commit()
    return out


def _locate(
    uow: UnitOfWork, tenant_id: str, code: str, province: str | None, city: str | None
) -> bool:
    found = uow.session.execute(
        update(Warehouse)
        .where(Warehouse.tenant_id == tenant_id, Warehouse.code == code)
        .values(province=province, city=city)
    )
    return bool(found.rowcount)  # type: ignore[attr-defined]


def record_movement(db: Database, actor: Actor, data: MovementIn) -> MovementOut:
    """Post one movement (inbound, adjustment, deduct, return, correction) with optional CAS.

    Raises: ERR_VALIDATION (kind or sign), ERR_STOCK_UNKNOWN_WAREHOUSE,
    ERR_STOCK_VERSION_MISMATCH, ERR_STOCK_INSUFFICIENT.
    """
    entry_id = _post_movement(db, actor, data)
    level = stock_levels(db, actor.tenant_id, [data.sku])[0]
    return MovementOut(ledger_id=entry_id, stock=level)


def record_movements(db: Database, actor: Actor, items: Sequence[Any]) -> list[ItemResult]:
    """Post each item of a batch as ``record_movement`` posts one, each in its own transaction;
    a refused item blocks no other. Answers per item, in order: 201 and the ledger id, or the
    status and code of the error (ERR_VALIDATION for an item that is not a movement)."""
    return run_each(items, MovementIn, lambda data: Applied(201, _post_movement(db, actor, data)))


def _post_movement(db: Database, actor: Actor, data: MovementIn) -> str:
    """One movement in one unit of work; its ledger id."""

    def once() -> str:
        with db.uow() as uow:
            entry_id = apply_manual_movement(uow, actor, data)
            uow.commit()
        return entry_id

    # A concurrent first movement may create the row; the retry finds it.
    return retry_on_race(once, attempts=2)


def apply_manual_movement(
    uow: UnitOfWork, actor: Actor, data: MovementIn, *, reference: str | None = None
) -> str:
    """Post a movement inside the caller's unit of work; return its ledger id.

    Raises: as ``record_movement``.
    """
    delta = _on_hand_delta(data.kind, data.qty)
    now = uow.clock.now()
    row = _movement_row(uow, actor, data, now, data.expected_version)
    _check_removal(row, delta)
    ref = Ref("manual", reference or data.reference, data.reason)
    entry_id = apply_movement(
        uow,
        row,
        kind=data.kind,
        delta_on_hand=delta,
        delta_reserved=0,
        ref=ref,
        actor=actor,
        now=now,
    )
    if delta > 0:  # inbound, return, or a correction upwards: short orders may be served
        reservations.notify_available(uow, actor.tenant_id, [data.sku], now)
    return entry_id


def set_safety_stock(db: Database, actor: Actor, sku: str, data: SafetyStockIn) -> None:
    """Set the units held back from sale for a SKU in a warehouse.

    Raises: ERR_STOCK_UNKNOWN_WAREHOUSE, ERR_STOCK_VERSION_MISMATCH.
    """
    with db.uow() as uow:
        now = uow.clock.now()
        movement = MovementIn(
            sku=sku, warehouse=data.warehouse, kind=MovementKind.CORRECTION, qty=0
        )
        row = _movement_row(uow, actor, movement, now, data.expected_version)
        before = row.safety_stock
        change = f"safety stock {before} → {data.safety_stock}"
        apply_movement(
            uow,
            row,
            kind=MovementKind.CORRECTION,
            delta_on_hand=0,
            delta_reserved=0,
            ref=Ref("safety_stock", None, change),
            actor=actor,
            now=now,
            safety_stock=data.safety_stock,
        )
        if data.safety_stock < before:
            reservations.notify_available(uow, actor.tenant_id, [sku], now)
        uow.commit()


def set_tracking(db: Database, actor: Actor, sku: str, data: TrackingIn) -> StockLevel:
    """Count a SKU's stock (tracked) or not (services, vouchers, gift cards); idempotent.

    Untracked lines reserve nothing and are never short; switching a SKU off also serves the
    orders waiting for it (their lines stop being short). Holds already made stay until the
    order releases or deducts them, so balances and ``verify`` stay exact.
    """
    with db.uow() as uow:
        now = uow.clock.now()
        key = (UntrackedSku.tenant_id == actor.tenant_id, UntrackedSku.sku == sku)
        exists = uow.session.scalar(select(UntrackedSku.sku).where(*key)) is not None
        if data.tracked and exists:
            uow.session.execute(delete(UntrackedSku).where(*key))
        elif not data.tracked and not exists:
            uow.session.execute(
                insert(UntrackedSku).values(
                    tenant_id=actor.tenant_id, sku=sku, actor=actor.principal, created_at=now
                )
            )
            reservations.notify_available(uow, actor.tenant_id, [sku], now)
        uow.commit()
    return stock_levels(db, actor.tenant_id, [sku])[0]


def split_into_buckets(
    db: Database, actor: Actor, sku: str, *, warehouse: str | None, count: int
) -> StockLevel:
    """Split a hot SKU's stock in a warehouse into ``count`` buckets, free units spread evenly.

    Each bucket is its own row (and row lock); the units move as ``correction`` ledger rows
    that sum to zero, so balances and ``verify`` stay exact. Holds stay in their bucket, the
    safety stock in bucket 0. The count can grow, not shrink.
    Raises: ERR_VALIDATION, ERR_STOCK_NOT_FOUND, ERR_STOCK_UNKNOWN_WAREHOUSE.
    """
    if not 1 <= count <= 64:
        raise ValidationFailed("a SKU can have 1 to 64 buckets", field="count")
    with db.uow() as uow:
        now = uow.clock.now()
        code = warehouse or _default_warehouse(uow, actor.tenant_id)
        rows = lock_sku_rows(uow, actor.tenant_id, [sku], code)
        if not rows:
            raise StockNotFound(f"no stock of {sku} in {code}", sku=sku, warehouse=code)
        if count < len(rows):
            raise ValidationFailed(f"{sku} already has {len(rows)} buckets", field="count")
        reservations.expire_due(uow, actor, rows, now=now)
        rows += _add_buckets(uow, rows[0], range(len(rows), count), now)
        ref = Ref("buckets", None, f"split into {count} buckets")
        apply_movements(uow, _rebalance(rows, ref), actor=actor, now=now)
        uow.commit()
    forget_buckets(actor.tenant_id)
    return stock_levels(db, actor.tenant_id, [sku])[0]


def _add_buckets(uow: UnitOfWork, first: StockRow, buckets: range, now: datetime) -> list[StockRow]:
    if not buckets:
        return []
    uow.session.execute(
        insert(StockItem),
        [
            {
                "tenant_id": first.tenant_id,
                "sku": first.sku,
                "warehouse": first.warehouse,
                "bucket": bucket,
                "on_hand": 0,
                "reserved": 0,
                "safety_stock": 0,
                "version": 1,
                "updated_at": now,
            }
            for bucket in buckets
        ],
    )
    fresh = lock_rows(uow, first.tenant_id, [(first.sku, first.warehouse, b) for b in buckets])
    return [fresh[(first.sku, first.warehouse, b)] for b in buckets]


def _rebalance(rows: list[StockRow], ref: Ref) -> list[Change]:
    """Moves that leave every bucket with an equal share of the free units (±1)."""
    free = sum(r.on_hand - r.reserved - r.safety_stock for r in rows)
    share, extra = divmod(max(free, 0), len(rows))
    targets = [share + (1 if i < extra else 0) for i in range(len(rows))]
    changes = []
    for row, target in zip(rows, targets, strict=True):
        delta = row.reserved + row.safety_stock + target - row.on_hand
        if delta:
            changes.append(Change(row, MovementKind.CORRECTION, delta, 0, ref))
    return changes


def sweep_expired_reservations(db: Database, *, limit: int = 500) -> int:
    """Release overdue holds no order path has touched yet; return how many. Run by workers."""
    now = db.clock.now()
    with db.reader() as session:
        due = session.execute(
            select(Reservation.tenant_id, Reservation.sku)
            .where(
                Reservation.status == ReservationStatus.ACTIVE.value,
                Reservation.expires_at <= now,
            )
            .distinct()
            .limit(limit)
        ).all()
    expired = 0
    for tenant_id, sku in due:
        with db.uow() as uow:
            actor = Actor.system(tenant_id, "reservation-sweep")
            rows = lock_sku_rows(uow, tenant_id, [sku])
            expired += reservations.expire_due(uow, actor, rows, now=uow.clock.now())
            uow.commit()
    return expired


def _on_hand_delta(kind: MovementKind, qty: int) -> int:
    if kind not in MANUAL_KINDS:
        raise ValidationFailed(
            f"{kind} movements come from orders, not from this API", kind=str(kind)
        )
    if kind in (MovementKind.ADJUSTMENT, MovementKind.CORRECTION):
        if qty == 0:
            raise ValidationFailed("an adjustment needs a non-zero quantity", field="qty")
        return qty
    if qty <= 0:
        raise ValidationFailed(f"{kind} needs a positive quantity", field="qty")
    return -qty if kind == MovementKind.DEDUCT else qty


def _check_removal(row: StockRow, delta: int) -> None:
    if delta < 0 and -delta > available(row) + row.safety_stock:
        raise InsufficientStock(
            f"cannot remove {-delta} of {row.sku}: {row.on_hand - row.reserved} not held by orders",
            lines=[{"sku": row.sku, "requested": -delta, "available": row.on_hand - row.reserved}],
        )


def _check_version(row: StockRow | None, expected: int | None) -> None:
    """Compare-and-set for external writers; a row that does not exist yet is version 0."""
    current = row.version if row else 0
    if expected is None or expected == current:
        return
    raise StockVersionMismatch(
        f"the stock is at version {current}, not {expected}",
        current_version=current,
        expected_version=expected,
        on_hand=row.on_hand if row else 0,
        reserved=row.reserved if row else 0,
        available=max(available(row), 0) if row else 0,
    )


def _movement_row(
    uow: UnitOfWork, actor: Actor, data: MovementIn, now: datetime, expected_version: int | None
) -> StockRow:
    """Lock the SKU's row in the warehouse (bucket 0), creating warehouse and row if new.

    The caller's ``expected_version`` is checked against the row as the caller saw it, before
    overdue holds are released: that release is ours, not a concurrent change.
    """
    warehouse = data.warehouse or _default_warehouse(uow, actor.tenant_id)
    rows = lock_sku_rows(uow, actor.tenant_id, [data.sku], warehouse)
    if rows:
        _check_version(rows[0], expected_version)
        reservations.expire_due(uow, actor, rows, now=now)
        return rows[0]
    _check_version(None, expected_version)
    if uow.session.get(Warehouse, (actor.tenant_id, warehouse)) is None:
        raise UnknownWarehouse(f"no warehouse {warehouse!r}", warehouse=warehouse)
    uow.session.execute(
        insert(StockItem).values(
            tenant_id=actor.tenant_id,
            sku=data.sku,
            warehouse=warehouse,
            bucket=0,
            on_hand=0,
            reserved=0,
            safety_stock=0,
            version=1,
            updated_at=now,
        )
    )
    return lock_sku_rows(uow, actor.tenant_id, [data.sku], warehouse)[0]


def _default_warehouse(uow: UnitOfWork, tenant_id: str) -> str:
    code = uow.session.scalar(
        select(Warehouse.code)
        .where(Warehouse.tenant_id == tenant_id)
        .order_by(Warehouse.priority, Warehouse.code)
        .limit(1)
    )
    if code is not None:
        return code
    _add_warehouse(uow, tenant_id, DEFAULT_WAREHOUSE, "默认仓 Main warehouse", 0)
    return DEFAULT_WAREHOUSE


def _add_warehouse(uow: UnitOfWork, tenant_id: str, code: str, name: str, priority: int) -> None:
    uow.session.execute(
        insert(Warehouse).values(
            tenant_id=tenant_id,
            code=code,
            name=name,
            priority=priority,
            created_at=uow.clock.now(),
        )
    )
