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

from sqlalchemy import insert, select, update

from oms.core.context import Actor
from oms.core.ids import new_id
from oms.core.uow import UnitOfWork
from oms.inventory.errors import InsufficientStock
from oms.inventory.models import Reservation, StockItem, Warehouse
from oms.inventory.states import MovementKind, ReservationStatus, check_reservation_transition
from oms.inventory.stock import Ref, StockKey, apply_movement, available, lock_rows, lock_sku_rows

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
    rows = lock_sku_rows(uow, actor.tenant_id, demand, warehouse)
    expire_due(uow, actor, rows, now=now)
    plan, short = _allocate(demand, _by_priority(uow, actor.tenant_id, rows))
    if short:
        raise _insufficient(short)
    for row, qty in plan:
        apply_movement(
            uow,
            row,
            kind=MovementKind.RESERVE,
            delta_on_hand=0,
            delta_reserved=qty,
            ref=Ref("order", order_id),
            actor=actor,
            now=now,
        )
        _insert_reservation(uow, row, order_id, qty, ReservationStatus.ACTIVE, now + ttl, now)


def release_for_order(
    uow: UnitOfWork, actor: Actor, order_id: str, *, reason: str, now: datetime
) -> int:
    """Give back every unit the order still holds; return how many units were released."""
    held = _reservations(uow, actor.tenant_id, order_id, ReservationStatus.ACTIVE)
    rows = lock_rows(uow, actor.tenant_id, (_key(r) for r in held))
    released = 0
    for reservation in held:
        _close(uow, reservation, ReservationStatus.RELEASED, now)
        apply_movement(
            uow,
            rows[_key(reservation)],
            kind=MovementKind.RELEASE,
            delta_on_hand=0,
            delta_reserved=-reservation.qty,
            ref=Ref("order", order_id, reason),
            actor=actor,
            now=now,
        )
        released += reservation.qty
    return released


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
    plan, short = _allocate(lapsed, _by_priority(uow, actor.tenant_id, rows))
    if short:
        return short
    by_key = {(r.sku, r.warehouse, r.bucket): r for r in rows}
    for reservation in holding:
        _close(uow, reservation, ReservationStatus.DEDUCTED, now)
        _deduct(uow, actor, by_key[_key(reservation)], order_id, reservation.qty, True, now)
    for row, qty in plan:
        _deduct(uow, actor, row, order_id, qty, False, now)
        _insert_reservation(uow, row, order_id, qty, ReservationStatus.DEDUCTED, now, now)
    return []


def expire_due(uow: UnitOfWork, actor: Actor, rows: Sequence[StockItem], *, now: datetime) -> int:
    """Release the overdue holds on these (locked) rows, writing ``expire`` ledger rows."""
    if not rows:
        return 0
    by_key = {(r.sku, r.warehouse, r.bucket): r for r in rows}
    overdue = uow.session.scalars(
        select(Reservation).where(
            Reservation.tenant_id == actor.tenant_id,
            Reservation.sku.in_({r.sku for r in rows}),
            Reservation.status == ReservationStatus.ACTIVE.value,
            Reservation.expires_at <= now,
        )
    ).all()
    expired = 0
    for reservation in overdue:
        row = by_key.get(_key(reservation))
        if row is None:
            continue  # a warehouse this path did not lock; the sweep will get it
        _close(uow, reservation, ReservationStatus.EXPIRED, now)
        apply_movement(
            uow,
            row,
            kind=MovementKind.EXPIRE,
            delta_on_hand=0,
            delta_reserved=-reservation.qty,
            ref=Ref("order", reservation.order_id, "reservation expired"),
            actor=actor,
            now=now,
        )
        expired += 1
    return expired


def _deduct(
    uow: UnitOfWork,
    actor: Actor,
    row: StockItem,
    order_id: str,
    qty: int,
    held: bool,
    now: datetime,
) -> None:
    apply_movement(
        uow,
        row,
        kind=MovementKind.DEDUCT,
        delta_on_hand=-qty,
        delta_reserved=-qty if held else 0,
        ref=Ref("order", order_id, "paid"),
        actor=actor,
        now=now,
    )


def _allocate(
    demand: dict[str, int], rows: Sequence[StockItem]
) -> tuple[list[tuple[StockItem, int]], list[ShortLine]]:
    """Take each SKU's demand from its rows in priority order; report what cannot be met."""
    plan: list[tuple[StockItem, int]] = []
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


def _by_priority(uow: UnitOfWork, tenant_id: str, rows: list[StockItem]) -> list[StockItem]:
    if not rows:
        return rows
    found = uow.session.execute(
        select(Warehouse.code, Warehouse.priority).where(Warehouse.tenant_id == tenant_id)
    )
    priorities = {code: priority for code, priority in found}
    return sorted(rows, key=lambda r: (priorities.get(r.warehouse, 1 << 30), r.warehouse, r.bucket))


def _insufficient(short: list[ShortLine]) -> InsufficientStock:
    names = ", ".join(f"{s.sku} (wanted {s.requested}, available {s.available})" for s in short)
    return InsufficientStock(
        f"not enough stock: {names}",
        lines=[{"sku": s.sku, "requested": s.requested, "available": s.available} for s in short],
    )


def _reservations(
    uow: UnitOfWork, tenant_id: str, order_id: str, status: ReservationStatus | None
) -> list[Reservation]:
    stmt = select(Reservation).where(
        Reservation.tenant_id == tenant_id, Reservation.order_id == order_id
    )
    if status is not None:
        stmt = stmt.where(Reservation.status == status.value)
    found = list(uow.session.scalars(stmt.order_by(Reservation.id)))
    for reservation in found:
        uow.session.expunge(reservation)
    return found


def _insert_reservation(
    uow: UnitOfWork,
    row: StockItem,
    order_id: str,
    qty: int,
    status: ReservationStatus,
    expires_at: datetime,
    now: datetime,
) -> None:
    uow.session.execute(
        insert(Reservation).values(
            tenant_id=row.tenant_id,
            id=new_id(),
            order_id=order_id,
            sku=row.sku,
            warehouse=row.warehouse,
            bucket=row.bucket,
            qty=qty,
            status=status.value,
            expires_at=expires_at,
            created_at=now,
            closed_at=None if status == ReservationStatus.ACTIVE else now,
        )
    )


def _close(uow: UnitOfWork, reservation: Reservation, to: ReservationStatus, now: datetime) -> None:
    check_reservation_transition(reservation.status, to)
    uow.session.execute(
        update(Reservation)
        .where(
            Reservation.tenant_id == reservation.tenant_id,
            Reservation.id == reservation.id,
            Reservation.status == ReservationStatus.ACTIVE.value,
        )
        .values(status=to.value, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    reservation.status = to.value


def _key(reservation: Reservation) -> StockKey:
    return (reservation.sku, reservation.warehouse, reservation.bucket)
