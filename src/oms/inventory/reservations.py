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

from sqlalchemy import ColumnElement, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from oms.core import outbox
from oms.core.context import Actor
from oms.core.db import table
from oms.core.ids import new_id
from oms.core.repo import move_all
from oms.core.uow import UnitOfWork
from oms.inventory.errors import InsufficientStock
from oms.inventory.events import StockAvailable
from oms.inventory.models import AwaitedSku, Reservation, UntrackedSku
from oms.inventory.states import RESERVATION_MACHINE, MovementKind, ReservationStatus
from oms.inventory.stock import (
    Change,
    Ref,
    StockKey,
    StockRow,
    apply_movements,
    available,
    bucketed_skus,
    lock_one_bucket,
    lock_rows,
    lock_sku_rows,
)

__all__ = [
    "ShortLine",
    "await_stock",
    "awaited_versions",
    "deduct_for_order",
    "expire_due",
    "forget_awaited",
    "notify_available",
    "release_for_order",
    "reserve_for_order",
    "reserve_short",
    "sum_demand",
    "untracked_skus",
]


# Ids per set-based UPDATE: well under every driver's limit of bound parameters.
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class ShortLine:
    """A SKU the order could not get all of: it wanted ``requested``, got ``available``."""

    sku: str
    requested: int
    available: int

    @property
    def missing(self) -> int:
        return self.requested - self.available


_UNTRACKED = select(UntrackedSku.sku).where(
    UntrackedSku.tenant_id == bindparam("tenant_id"),
    UntrackedSku.sku.in_(bindparam("skus", expanding=True)),
)


def untracked_skus(uow: UnitOfWork, tenant_id: str, skus: Iterable[str]) -> frozenset[str]:
    """Which of ``skus`` are untracked: they hold no stock and are never short.

    Read in the caller's transaction on every order (an indexed primary-key lookup), never
    cached: a SKU tracked again must count from the next order on, or it could oversell.
    """
    wanted = sorted(set(skus))
    if not wanted:
        return frozenset()
    params = {"tenant_id": tenant_id, "skus": wanted}
    return frozenset(uow.session.connection().execute(_UNTRACKED, params).scalars())


def notify_available(uow: UnitOfWork, tenant_id: str, skus: Iterable[str], now: datetime) -> None:
    """Announce that units of awaited ``skus`` may have become free (``stock.available``).

    Only SKUs some order line waits for are announced (one primary-key lookup), so ordinary
    movements and cancels cost nothing more. Called after the SKU's stock rows are locked and
    written: an order marking the SKU awaited holds the same row lock, so a wait and a
    movement are never both unaware of each other. The orders domain's job serves the short
    lines, oldest order first, after this transaction commits (see ``orders.shortage``).
    """
    candidates = sorted(set(skus))
    if not candidates:
        return
    params = {"tenant_id": tenant_id, "skus": candidates}
    wanted = sorted(uow.session.connection().execute(_AWAITED, params).scalars())
    if wanted:
        outbox.add(uow, StockAvailable(tenant_id=tenant_id, skus=tuple(wanted)), now=now)


def sum_demand(lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Total quantity per SKU: two lines of one SKU must pass together, not each alone."""
    demand: dict[str, int] = defaultdict(int)
    for sku, qty in lines:
        demand[sku] += qty
    return dict(sorted(demand.items()))


_AWAITED = select(AwaitedSku.sku).where(
    AwaitedSku.tenant_id == bindparam("tenant_id"),
    AwaitedSku.sku.in_(bindparam("skus", expanding=True)),
)


def await_stock(uow: UnitOfWork, tenant_id: str, skus: Iterable[str], now: datetime) -> None:
    """Mark ``skus`` as awaited by some order line (renewing the marker's version)."""
    for sku in sorted(set(skus)):
        key = (AwaitedSku.tenant_id == tenant_id, AwaitedSku.sku == sku)
        renew = (
            update(AwaitedSku).where(*key).values(version=AwaitedSku.version + 1, updated_at=now)
        )
        if uow.session.execute(renew).rowcount:  # type: ignore[attr-defined]
            continue
        try:
            with uow.session.begin_nested():
                uow.session.execute(
                    insert(AwaitedSku).values(
                        tenant_id=tenant_id, sku=sku, version=1, updated_at=now
                    )
                )
        except IntegrityError:  # a concurrent wait created it first: renew that one
            uow.session.execute(renew)


def awaited_versions(uow: UnitOfWork, tenant_id: str, skus: Iterable[str]) -> dict[str, int]:
    """The awaited markers' versions, read before checking whether anything still waits."""
    rows = uow.session.execute(
        select(AwaitedSku.sku, AwaitedSku.version).where(
            AwaitedSku.tenant_id == tenant_id, AwaitedSku.sku.in_(sorted(set(skus)))
        )
    )
    return {sku: version for sku, version in rows}


def forget_awaited(uow: UnitOfWork, tenant_id: str, seen: dict[str, int]) -> None:
    """Drop the markers nothing waits for, unless a new wait renewed them since ``seen``."""
    for sku, version in sorted(seen.items()):
        uow.session.execute(
            delete(AwaitedSku).where(
                AwaitedSku.tenant_id == tenant_id,
                AwaitedSku.sku == sku,
                AwaitedSku.version == version,
            )
        )


def reserve_for_order(
    uow: UnitOfWork,
    actor: Actor,
    order_id: str,
    lines: Iterable[tuple[str, int]],
    *,
    warehouse: str | None,
    ttl: timedelta,
    now: datetime,
    allow_shortage: bool = False,
) -> list[ShortLine]:
    """Hold stock for every line of a tracked SKU; untracked SKUs hold nothing.

    All or nothing unless ``allow_shortage``: then each SKU takes what is available and the
    rest is returned as short (nothing short: an empty list).
    Raises: ERR_STOCK_INSUFFICIENT naming each short SKU and what is available.
    """
    demand = sum_demand(lines)
    untracked = untracked_skus(uow, actor.tenant_id, demand)
    demand = {sku: qty for sku, qty in demand.items() if sku not in untracked}
    if not demand:
        return []
    rows = _lock_for(uow, actor.tenant_id, demand, warehouse)
    expire_due(uow, actor, rows, now=now)
    plan, short = _allocate(demand, _by_priority(rows), partial=allow_shortage)
    if short and not allow_shortage:
        raise _insufficient(short)
    _hold(uow, actor, order_id, plan, paid=False, expires_at=now + ttl, now=now)
    return short


def reserve_short(
    uow: UnitOfWork,
    actor: Actor,
    order_id: str,
    demand: dict[str, int],
    *,
    paid: bool,
    ttl: timedelta,
    now: datetime,
) -> dict[str, int]:
    """Take what is available now of an order's missing units; return the units taken per SKU.

    For a paid order the units are deducted at once (as ``pay`` would have); otherwise they
    are held like any reservation. Untracked SKUs are taken whole, holding nothing.
    """
    untracked = untracked_skus(uow, actor.tenant_id, demand)
    taken = {sku: qty for sku, qty in demand.items() if sku in untracked}
    tracked = {sku: qty for sku, qty in sorted(demand.items()) if sku not in untracked}
    if not tracked:
        return taken
    rows = lock_sku_rows(uow, actor.tenant_id, tracked)
    expire_due(uow, actor, rows, now=now)
    plan, _short = _allocate(tracked, _by_priority(rows), partial=True)
    _hold(uow, actor, order_id, plan, paid=paid, expires_at=now + ttl, now=now)
    for row, qty in plan:
        taken[row.sku] = taken.get(row.sku, 0) + qty
    return taken


def _hold(
    uow: UnitOfWork,
    actor: Actor,
    order_id: str,
    plan: list[tuple[StockRow, int]],
    *,
    paid: bool,
    expires_at: datetime,
    now: datetime,
) -> None:
    """Write the plan: reservations (held) or, for a paid order, deductions."""
    if not plan:
        return
    if paid:
        ref = Ref("order", order_id, "paid")
        changes = [Change(row, MovementKind.DEDUCT, -qty, 0, ref) for row, qty in plan]
        status, expires_at = ReservationStatus.DEDUCTED, now
    else:
        ref = Ref("order", order_id)
        changes = [Change(row, MovementKind.RESERVE, 0, qty, ref) for row, qty in plan]
        status = ReservationStatus.ACTIVE
    apply_movements(uow, changes, actor=actor, now=now)
    holds = [(row, qty, status) for row, qty in plan]
    _insert_reservations(uow, order_id, holds, expires_at=expires_at, now=now)


def _lock_for(
    uow: UnitOfWork, tenant_id: str, demand: dict[str, int], warehouse: str | None
) -> list[StockRow]:
    """Lock what the demand needs: all rows of ordinary SKUs, one free bucket of hot ones.

    SKUs are visited in ascending order, and within a SKU an order holds either one bucket or
    all rows taken in key order, never a bucket and then the rest (see ``lock_one_bucket``),
    so no wait can close a cycle.
    """
    hot = bucketed_skus(uow, tenant_id) & demand.keys() if uow.is_postgres else frozenset()
    if not hot:
        return lock_sku_rows(uow, tenant_id, demand, warehouse)
    rows: list[StockRow] = []
    for sku, qty in demand.items():
        one = lock_one_bucket(uow, tenant_id, sku, qty, warehouse) if sku in hot else None
        rows += [one] if one is not None else lock_sku_rows(uow, tenant_id, [sku], warehouse)
    return rows


def release_for_order(
    uow: UnitOfWork, actor: Actor, order_id: str, *, reason: str, now: datetime
) -> int:
    """Give back every unit the order still holds; return how many units were released."""
    held = _reservations(uow, actor.tenant_id, order_id, ReservationStatus.ACTIVE)
    rows = lock_rows(uow, actor.tenant_id, (_key(r) for r in held))
    ref = Ref("order", order_id, reason)
    _close(uow, actor.tenant_id, held, ReservationStatus.RELEASED, now)
    changes = [
        Change(rows[_key(reservation)], MovementKind.RELEASE, 0, -reservation.qty, ref)
        for reservation in held
    ]
    apply_movements(uow, changes, actor=actor, now=now)
    notify_available(uow, actor.tenant_id, (r.sku for r in held), now)
    return sum(r.qty for r in held)


def deduct_for_order(
    uow: UnitOfWork, actor: Actor, order_id: str, *, now: datetime
) -> list[ShortLine]:
    """Turn the order's holds into deductions; re-acquire what is available of any that expired.

    Returns the SKUs whose lapsed holds could not be covered in full (the units still missing
    are ``missing``): the order is paid and those units wait for stock, like any short line.
    """
    every = _reservations(uow, actor.tenant_id, order_id, None)
    skus = {r.sku for r in every if r.status != ReservationStatus.DEDUCTED}
    rows = lock_sku_rows(uow, actor.tenant_id, skus)
    expire_due(uow, actor, rows, now=now)
    every = _reservations(uow, actor.tenant_id, order_id, None)
    holding = [r for r in every if r.status == ReservationStatus.ACTIVE]
    lapsed = sum_demand((r.sku, r.qty) for r in every if r.status == ReservationStatus.EXPIRED)
    plan, short = _allocate(lapsed, _by_priority(rows), partial=True)
    by_key = {row.key: row for row in rows}
    ref = Ref("order", order_id, "paid")
    _close(uow, actor.tenant_id, holding, ReservationStatus.DEDUCTED, now)
    changes = [Change(by_key[_key(r)], MovementKind.DEDUCT, -r.qty, -r.qty, ref) for r in holding]
    changes += [Change(row, MovementKind.DEDUCT, -qty, 0, ref) for row, qty in plan]
    apply_movements(uow, changes, actor=actor, now=now)
    taken = [(row, qty, ReservationStatus.DEDUCTED) for row, qty in plan]
    _insert_reservations(uow, order_id, taken, expires_at=now, now=now)
    return short


def expire_due(uow: UnitOfWork, actor: Actor, rows: Sequence[StockRow], *, now: datetime) -> int:
    """Release the overdue holds on these (locked) rows, writing ``expire`` ledger rows."""
    if not rows:
        return 0
    by_key = {row.key: row for row in rows}
    params = {"tenant_id": actor.tenant_id, "skus": sorted({r.sku for r in rows}), "now": now}
    found = uow.session.connection().execute(_OVERDUE, params)
    # A hold on a warehouse this path did not lock is left for the sweep.
    overdue = [hold for hold in (_Hold(*row) for row in found) if _key(hold) in by_key]
    _close(uow, actor.tenant_id, overdue, ReservationStatus.EXPIRED, now)
    changes = [
        Change(by_key[_key(r)], MovementKind.EXPIRE, 0, -r.qty, _expired(r)) for r in overdue
    ]
    apply_movements(uow, changes, actor=actor, now=now)
    notify_available(uow, actor.tenant_id, (c.row.sku for c in changes), now)
    return len(changes)


def _allocate(
    demand: dict[str, int], rows: Sequence[StockRow], *, partial: bool = False
) -> tuple[list[tuple[StockRow, int]], list[ShortLine]]:
    """Take each SKU's demand from its rows in priority order; report what cannot be met.

    ``partial``: a short SKU still takes everything available (else it takes nothing).
    """
    plan: list[tuple[StockRow, int]] = []
    short: list[ShortLine] = []
    for sku, wanted in demand.items():
        candidates = [r for r in rows if r.sku == sku]
        total = sum(max(available(r), 0) for r in candidates)
        if total < wanted:
            short.append(ShortLine(sku, wanted, total))
            if not partial:
                continue
        remaining = min(wanted, total)
        if remaining == 0:
            continue
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
    closed_at: datetime | None


_HOLD_COLUMNS = (
    Reservation.tenant_id,
    Reservation.id,
    Reservation.order_id,
    Reservation.sku,
    Reservation.warehouse,
    Reservation.bucket,
    Reservation.qty,
    Reservation.status,
    Reservation.closed_at,
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


def _close(
    uow: UnitOfWork, tenant_id: str, holds: Sequence[_Hold], to: ReservationStatus, now: datetime
) -> None:
    """Close the tenant's holds: the machine moves each copy (refusing a hold that is not
    active before anything is written), then set-based UPDATEs write the same move."""
    for hold in holds:
        RESERVATION_MACHINE.transition(hold, to=to, now=now)
    ids = [hold.id for hold in holds]
    connection = uow.session.connection()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        where = (Reservation.tenant_id == tenant_id, Reservation.id.in_(chunk))
        move_all(connection, table(Reservation), RESERVATION_MACHINE, to, *where, now=now)


def _expired(reservation: _Hold) -> Ref:
    return Ref("order", reservation.order_id, "reservation expired")


def _key(reservation: _Hold) -> StockKey:
    return (reservation.sku, reservation.warehouse, reservation.bucket)
