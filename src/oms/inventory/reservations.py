"""Stock held for orders: reserve with the order, release on cancel, deduct on payment.

These are operations: they run inside the orders use case's unit of work and never commit,
so an order and its reservations exist together or not at all. An expired reservation never
blocks a sale: every path that touches a SKU first releases the SKU's overdue reservations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, bindparam, insert, select, update

from oms.core.context import Actor
from oms.core.db import table
from oms.core.ids import new_id
from oms.core.uow import UnitOfWork
from oms.inventory.errors import InsufficientStock
from oms.inventory.models import Reservation
from oms.inventory.states import MovementKind, ReservationStatus, check_reservation_transition
from oms.inventory.stock import (
    Change,
    Ref,
    StockKey,
    StockRow,
    apply_movements,
    available,
    bucketed_skus,
    lock_rows,
    lock_sku_rows,
    try_lock_one_bucket,
)

__all__ = [
    "ShortLine",
    "deduct_for_order",
    "expire_due",
    "release_for_order",
    "reserve_for_order",
    "sum_demand",
]


@dataclass(frozen=True, slots=True)
class ShortLine:
    sku: str
    requested: int
    available: int


def sum_demand(lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Total quantity per SKU: two lines of one SKU must pass together, not each alone."""
    demand: dict[str, int] = defaultdict(int)
    for sku, qty in lines:
        demand[sku] += qty
    return dict(sorted(demand.items()))


def reserve_for_order(
    uow: UnitOfWork,
    actor: Actor,
    order_id: str,
    lines: Iterable[tuple[str, int]],
    *,
    warehouse: str | None,
    ttl: timedelta,
    now: datetime,
) -> None:
    """Hold stock for every line, all or nothing.

    Raises: ERR_STOCK_INSUFFICIENT naming each short SKU and what is available.
    """
    demand = sum_demand(lines)
    rows = _lock_for(uow, actor.tenant_id, demand, warehouse)
    expire_due(uow, actor, rows, now=now)
    plan, short = _allocate(demand, _by_priority(rows))
    if short:
        raise _insufficient(short)
    ref = Ref("order", order_id)
    changes = [Change(row, MovementKind.RESERVE, 0, qty, ref) for row, qty in plan]
    apply_movements(uow, changes, actor=actor, now=now)
    holds = [(row, qty, ReservationStatus.ACTIVE) for row, qty in plan]
    _insert_reservations(uow, order_id, holds, expires_at=now + ttl, now=now)


def _lock_for(
    uow: UnitOfWork, tenant_id: str, demand: dict[str, int], warehouse: str | None
) -> list[StockRow]:
    """Lock what the demand needs: all rows of ordinary SKUs, one free bucket of hot ones.

    SKUs are visited in ascending order and a bucket is only ever taken with SKIP LOCKED, so
    the lock order stays consistent and no wait can close a cycle.
    """
    hot = bucketed_skus(uow, tenant_id) & demand.keys() if uow.is_postgres else frozenset()
    if not hot:
        return lock_sku_rows(uow, tenant_id, demand, warehouse)
    rows: list[StockRow] = []
    for sku, qty in demand.items():
        one = try_lock_one_bucket(uow, tenant_id, sku, qty, warehouse) if sku in hot else None
        rows += [one] if one is not None else lock_sku_rows(uow, tenant_id, [sku], warehouse)
    return rows


def release_for_order(
    uow: UnitOfWork, actor: Actor, order_id: str, *, reason: str, now: datetime
) -> int:
    """Give back every unit the order still holds; return how many units were released."""
    held = _reservations(uow, actor.tenant_id, order_id, ReservationStatus.ACTIVE)
    rows = lock_rows(uow, actor.tenant_id, (_key(r) for r in held))
    ref = Ref("order", order_id, reason)
    changes = []
    for reservation in held:
        _close(uow, reservation, ReservationStatus.RELEASED, now)
        row = rows[_key(reservation)]
        changes.append(Change(row, MovementKind.RELEASE, 0, -reservation.qty, ref))
    apply_movements(uow, changes, actor=actor, now=now)
    return sum(r.qty for r in held)


def deduct_for_order(
    uow: UnitOfWork, actor: Actor, order_id: str, *, now: datetime
) -> list[ShortLine]:
    """Turn the order's holds into deductions; re-acquire any that expired. All or nothing.

    Returns the short lines (and changes nothing else) when expired holds cannot be covered
    from what is available now.
    """
    every = _reservations(uow, actor.tenant_id, order_id, None)
    skus = {r.sku for r in every if r.status != ReservationStatus.DEDUCTED}
    rows = lock_sku_rows(uow, actor.tenant_id, skus)
    expire_due(uow, actor, rows, now=now)
    every = _reservations(uow, actor.tenant_id, order_id, None)
    holding = [r for r in every if r.status == ReservationStatus.ACTIVE]
    lapsed = sum_demand((r.sku, r.qty) for r in every if r.status == ReservationStatus.EXPIRED)
    plan, short = _allocate(lapsed, _by_priority(rows))
    if short:
        return short
    by_key = {row.key: row for row in rows}
    ref = Ref("order", order_id, "paid")
    changes = []
    for reservation in holding:
        _close(uow, reservation, ReservationStatus.DEDUCTED, now)
        row, qty = by_key[_key(reservation)], reservation.qty
        changes.append(Change(row, MovementKind.DEDUCT, -qty, -qty, ref))
    changes += [Change(row, MovementKind.DEDUCT, -qty, 0, ref) for row, qty in plan]
    apply_movements(uow, changes, actor=actor, now=now)
    taken = [(row, qty, ReservationStatus.DEDUCTED) for row, qty in plan]
    _insert_reservations(uow, order_id, taken, expires_at=now, now=now)
    return []


def expire_due(uow: UnitOfWork, actor: Actor, rows: Sequence[StockRow], *, now: datetime) -> int:
    """Release the overdue holds on these (locked) rows, writing ``expire`` ledger rows."""
    if not rows:
        return 0
    by_key = {row.key: row for row in rows}
    params = {"tenant_id": actor.tenant_id, "skus": sorted({r.sku for r in rows}), "now": now}
    found = uow.session.connection().execute(_OVERDUE, params)
    overdue = [_Hold(*row) for row in found]
    changes = []
    for reservation in overdue:
        row = by_key.get(_key(reservation))
        if row is None:
            continue  # a warehouse this path did not lock; the sweep will get it
        _close(uow, reservation, ReservationStatus.EXPIRED, now)
        ref = Ref("order", reservation.order_id, "reservation expired")
        changes.append(Change(row, MovementKind.EXPIRE, 0, -reservation.qty, ref))
    apply_movements(uow, changes, actor=actor, now=now)
    return len(changes)


def _allocate(
    demand: dict[str, int], rows: Sequence[StockRow]
) -> tuple[list[tuple[StockRow, int]], list[ShortLine]]:
    """Take each SKU's demand from its rows in priority order; report what cannot be met."""
    plan: list[tuple[StockRow, int]] = []
    short: list[ShortLine] = []
    for sku, wanted in demand.items():
        candidates = [r for r in rows if r.sku == sku]
        total = sum(max(available(r), 0) for r in candidates)
        if total < wanted:
            short.append(ShortLine(sku, wanted, total))
            continue
        remaining = wanted
        for row in candidates:
            take = min(max(available(row), 0), remaining)
            if take:
                plan.append((row, take))
                remaining -= take
            if remaining == 0:
                break
    return plan, short


def _by_priority(rows: list[StockRow]) -> list[StockRow]:
    return sorted(rows, key=lambda r: (r.priority, r.warehouse, r.bucket))


def _insufficient(short: list[ShortLine]) -> InsufficientStock:
    names = ", ".join(f"{s.sku} (wanted {s.requested}, available {s.available})" for s in short)
    return InsufficientStock(
        f"not enough stock: {names}",
        lines=[{"sku": s.sku, "requested": s.requested, "available": s.available} for s in short],
    )


@dataclass(slots=True)
class _Hold:
    tenant_id: str
    id: str
    order_id: str
    sku: str
    warehouse: str
    bucket: int
    qty: int
    status: str


_HOLD_COLUMNS = (
    Reservation.tenant_id,
    Reservation.id,
    Reservation.order_id,
    Reservation.sku,
    Reservation.warehouse,
    Reservation.bucket,
    Reservation.qty,
    Reservation.status,
)
_INSERT_HOLD = insert(table(Reservation))
_OVERDUE = (
    select(*_HOLD_COLUMNS)
    .where(
        Reservation.tenant_id == bindparam("tenant_id"),
        Reservation.sku.in_(bindparam("skus", expanding=True)),
        Reservation.status == ReservationStatus.ACTIVE.value,
        Reservation.expires_at <= bindparam("now"),
    )
    .order_by(Reservation.id)
)


def _select_reservations(uow: UnitOfWork, *where: ColumnElement[bool]) -> list[_Hold]:
    stmt = select(*_HOLD_COLUMNS).where(*where).order_by(Reservation.id)
    return [_Hold(*row) for row in uow.session.connection().execute(stmt)]


def _reservations(
    uow: UnitOfWork, tenant_id: str, order_id: str, status: ReservationStatus | None
) -> list[_Hold]:
    where = [Reservation.tenant_id == tenant_id, Reservation.order_id == order_id]
    if status is not None:
        where.append(Reservation.status == status.value)
    return _select_reservations(uow, *where)


def _insert_reservations(
    uow: UnitOfWork,
    order_id: str,
    holds: list[tuple[StockRow, int, ReservationStatus]],
    *,
    expires_at: datetime,
    now: datetime,
) -> None:
    if not holds:
        return
    values = [
        {
            "tenant_id": row.tenant_id,
            "id": new_id(),
            "order_id": order_id,
            "sku": row.sku,
            "warehouse": row.warehouse,
            "bucket": row.bucket,
            "qty": qty,
            "status": status.value,
            "expires_at": expires_at,
            "created_at": now,
            "closed_at": None if status == ReservationStatus.ACTIVE else now,
        }
        for row, qty, status in holds
    ]
    uow.session.connection().execute(_INSERT_HOLD, values)


def _close(uow: UnitOfWork, reservation: _Hold, to: ReservationStatus, now: datetime) -> None:
    check_reservation_transition(reservation.status, to)
    uow.session.connection().execute(
        _CLOSE_HOLD,
        {"k_tenant": reservation.tenant_id, "k_id": reservation.id, "status": to.value, "now": now},
    )
    reservation.status = to.value


_CLOSE_HOLD = (
    update(table(Reservation))
    .where(
        Reservation.tenant_id == bindparam("k_tenant"),
        Reservation.id == bindparam("k_id"),
        Reservation.status == ReservationStatus.ACTIVE.value,
    )
    .values(status=bindparam("status"), closed_at=bindparam("now"))
)


def _key(reservation: _Hold) -> StockKey:
    return (reservation.sku, reservation.warehouse, reservation.bucket)
