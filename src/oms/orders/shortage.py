"""Short lines: order lines no stock is held (or deducted) for yet, and how they are served.

One notion for every path. ``order_lines.short_qty`` is how many units of a line wait for
stock; ``orders.stock_shortage`` is true while any line waits. A line becomes short when
the order is placed with ``allow_shortage`` (every platform order) and its SKU has too
little, or when ``pay`` finds a lapsed hold that cannot be taken again. A short order keeps
what it got, cannot ship, and has an open ``stock_shortage`` ticket (with its alert).

Stock arriving (inbound, an upward correction, a released or expired hold, lower safety
stock, a SKU no longer tracked) publishes ``stock.available``; the job ``backfill`` serves
the waiting orders of those SKUs oldest first (paid time, then created time), one order per
transaction, and resolves the ticket of an order nothing is short of any more.

Why a job and not the movement's own transaction: the movement is an inventory command, and
inventory may not write orders (the domain DAG); the backfill also has to lock each order
before its stock rows, as every order command does, while a movement already holds the stock
row: doing both in one transaction would take the locks in the opposite order and deadlock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, select, true, update
from sqlalchemy.orm import Session

from oms.config import get_settings
from oms.core import audit
from oms.core.audit import Attempt, Outcome
from oms.core.context import Actor
from oms.core.repo import update_versioned
from oms.core.uow import Database, UnitOfWork
from oms.inventory import reservations
from oms.inventory.reservations import ShortLine
from oms.orders.models import Order, OrderLine
from oms.orders.states import OrderStatus
from oms.tickets.service import open_ticket, resolve_for_order
from oms.tickets.states import TicketKind

__all__ = [
    "STOCK_SHORTAGE",
    "LineNeed",
    "backfill",
    "clear_on_release",
    "mark_paid_short",
    "mark_placed_short",
    "waiting_orders",
]

STOCK_SHORTAGE = "stock_shortage"
_SOURCE = "system:stock-backfill"
# Orders that will never take stock again: their short lines are cleared, not served.
_FINISHED = (OrderStatus.CANCELLED.value, OrderStatus.CLOSED.value)
_BATCH = 500


@dataclass(frozen=True, slots=True)
class LineNeed:
    """One order line as the shortage rules see it."""

    line_no: int
    sku: str
    qty: int
    short_qty: int = 0


def distribute(lines: list[LineNeed], missing: dict[str, int]) -> dict[int, int]:
    """Spread each SKU's missing units over its lines, last line first; line_no → short."""
    short: dict[int, int] = {}
    left = dict(missing)
    for line in reversed(lines):
        want = min(left.get(line.sku, 0), line.qty - line.short_qty)
        if want > 0:
            short[line.line_no] = line.short_qty + want
            left[line.sku] -= want
    return short


def mark_placed_short(
    uow: UnitOfWork,
    actor: Actor,
    order: Order,
    lines: list[LineNeed],
    short: list[ShortLine],
    now: datetime,
) -> dict[int, int]:
    """Record a new order's short lines, flag it and open its ticket; line_no → short."""
    per_line, details = _hold_short(uow, order, lines, short, now)
    _record(uow, actor, order, "stock_shortage", "placed short of stock", details, now)
    return per_line


def mark_paid_short(
    uow: UnitOfWork, actor: Actor, order: Order, short: list[ShortLine], now: datetime
) -> list[dict[str, Any]]:
    """``pay`` could not take back some lapsed holds: those units wait, like any short line.

    The order is flagged in this transaction (the caller's ``_transition`` bumps the
    version); returns the short lines for the timeline and the ``order.stock_shortage`` event.
    """
    _hold_short(uow, order, _lines(uow, order), short, now)
    return [
        {"sku": s.sku, "requested": s.requested, "available": s.available, "short": s.missing}
        for s in short
    ]


def _hold_short(
    uow: UnitOfWork, order: Order, lines: list[LineNeed], short: list[ShortLine], now: datetime
) -> tuple[dict[int, int], list[dict[str, Any]]]:
    """Write the short lines, flag the order, wait for the SKUs and open the ticket; returns
    line_no → short and the ticket's details (placed short and paid short alike)."""
    per_line = distribute(lines, {s.sku: s.missing for s in short})
    _write_lines(uow, order, per_line)
    _flag(uow, order, short=True)
    reservations.await_stock(uow, order.tenant_id, (s.sku for s in short), now)
    details = _details(lines, per_line)
    _open_ticket(uow, order, details, now)
    return per_line, details


def clear_on_release(
    uow: UnitOfWork, actor: Actor, order: Order, *, reason: str, now: datetime
) -> None:
    """A cancelled or closed order waits for nothing: clear its short lines, close the ticket."""
    if not order.stock_shortage:
        return
    uow.session.execute(
        update(OrderLine)
        .where(
            OrderLine.tenant_id == order.tenant_id,
            OrderLine.order_id == order.id,
            OrderLine.short_qty > 0,
        )
        .values(short_qty=0)
        .execution_options(synchronize_session=False)
    )
    _flag(uow, order, short=False)
    resolve_for_order(
        uow,
        actor,
        order_id=order.id,
        kind=TicketKind.STOCK_SHORTAGE,
        code="stock_not_awaited",
        params={"event": reason},
        now=now,
    )


def waiting_orders(
    session: Session, tenant_id: str, skus: Iterable[str], limit: int = _BATCH
) -> list[str]:
    """Orders with a short line of ``skus``, in serving order: paid first by paid time, then
    unpaid (cash on delivery, allowed shortages) by created time."""
    unpaid_last = case((Order.paid_at.is_(None), 1), else_=0).label("unpaid_last")
    stmt = (
        select(Order.id, unpaid_last, Order.paid_at, Order.created_at)
        .join(
            OrderLine,
            and_(OrderLine.tenant_id == Order.tenant_id, OrderLine.order_id == Order.id),
        )
        .where(
            Order.tenant_id == tenant_id,
            Order.stock_shortage == true(),
            Order.status.not_in(_FINISHED),
            OrderLine.sku.in_(sorted(set(skus))),
            OrderLine.short_qty > 0,
        )
        .distinct()
        .order_by(
            unpaid_last,
            Order.paid_at,
            Order.created_at,
            Order.id,
        )
        .limit(limit)
    )
    return [row.id for row in session.execute(stmt)]


def backfill(db: Database, *, tenant_id: str, skus: list[str]) -> int:
    """Serve short lines of ``skus`` from what is available now, oldest order first.

    One transaction per order (the order's lock, then its stock rows: the lock order of every
    order command). Idempotent: run again, it finds nothing more to do. Returns how many
    orders got units.
    """
    with db.reader() as session:
        waiting = waiting_orders(session, tenant_id, skus)
    served = 0
    for order_id in waiting:
        with db.uow() as uow:
            served += _serve(uow, tenant_id, order_id)
            uow.commit()
    _forget_served(db, tenant_id, skus, more=len(waiting) == _BATCH and served > 0)
    return served


def _forget_served(db: Database, tenant_id: str, skus: list[str], *, more: bool) -> None:
    """Stop announcing SKUs no order waits for any more (versions read first: see models).

    ``more``: a full batch was served; announce the SKUs again so the next batch gets its turn.
    """
    with db.uow() as uow:
        if more:
            reservations.notify_available(uow, tenant_id, skus, uow.clock.now())
        seen = reservations.awaited_versions(uow, tenant_id, skus)
        still = set()
        for order_id in waiting_orders(uow.session, tenant_id, seen):
            still |= {line.sku for line in _short_lines(uow, tenant_id, order_id)}
        reservations.forget_awaited(
            uow, tenant_id, {sku: v for sku, v in seen.items() if sku not in still}
        )
        uow.commit()


def _short_lines(uow: UnitOfWork, tenant_id: str, order_id: str) -> list[LineNeed]:
    rows = uow.session.execute(
        select(OrderLine.line_no, OrderLine.sku, OrderLine.qty, OrderLine.short_qty).where(
            OrderLine.tenant_id == tenant_id,
            OrderLine.order_id == order_id,
            OrderLine.short_qty > 0,
        )
    )
    return [LineNeed(*row) for row in rows]


def _serve(uow: UnitOfWork, tenant_id: str, order_id: str) -> int:
    now = uow.clock.now()
    order = _lock(uow, tenant_id, order_id)
    if order is None or not order.stock_shortage or order.status in _FINISHED:
        return 0
    if order.status == OrderStatus.PENDING_PAYMENT and (
        order.payment_due_at is not None and order.payment_due_at <= now
    ):
        return 0  # timed out already (the reads show it cancelled); its timeout clears it
    lines = _lines(uow, order)
    demand: dict[str, int] = defaultdict(int)
    for line in lines:
        demand[line.sku] += line.short_qty
    system = Actor.system(tenant_id, "stock-backfill")
    ttl = timedelta(seconds=get_settings().reservation_ttl_seconds)
    taken = reservations.reserve_short(
        uow, system, order.id, dict(demand), paid=order.paid_at is not None, ttl=ttl, now=now
    )
    if not any(taken.values()):
        return 0
    per_line = _take(lines, taken)
    _write_lines(uow, order, per_line)
    still_short = any(per_line.get(line.line_no, line.short_qty) for line in lines)
    _bump(uow, order, still_short=still_short, now=now)
    served = [
        {"line_no": no, "sku": line.sku, "reserved": line.short_qty - per_line[no]}
        for line in lines
        if (no := line.line_no) in per_line and per_line[no] != line.short_qty
    ]
    details = {"served": served, "still_short": _details(lines, per_line)}
    reason = "stock arrived: short lines reserved" + ("" if still_short else "; nothing is short")
    _record(uow, system, order, "stock_backfill", reason, details, now)
    if not still_short:
        resolve_for_order(
            uow,
            system,
            order_id=order.id,
            kind=TicketKind.STOCK_SHORTAGE,
            code="stock_arrived",
            params={},
            now=now,
        )
    return 1


def _take(lines: list[LineNeed], taken: dict[str, int]) -> dict[int, int]:
    """Lower short lines by the units taken, first line first; line_no → new short."""
    left = dict(taken)
    per_line: dict[int, int] = {}
    for line in lines:
        if line.short_qty == 0:
            continue
        used = min(left.get(line.sku, 0), line.short_qty)
        if used:
            per_line[line.line_no] = line.short_qty - used
            left[line.sku] -= used
    return per_line


def _lock(uow: UnitOfWork, tenant_id: str, order_id: str) -> Order | None:
    stmt = select(Order).where(Order.tenant_id == tenant_id, Order.id == order_id)
    if uow.is_postgres:
        stmt = stmt.with_for_update()
    order = uow.session.scalars(stmt).first()
    if order is not None:
        uow.session.expunge(order)  # written with compare-and-set below, never flushed
    return order


def _lines(uow: UnitOfWork, order: Order) -> list[LineNeed]:
    rows = uow.session.execute(
        select(OrderLine.line_no, OrderLine.sku, OrderLine.qty, OrderLine.short_qty)
        .where(OrderLine.tenant_id == order.tenant_id, OrderLine.order_id == order.id)
        .order_by(OrderLine.line_no)
    )
    return [LineNeed(*row) for row in rows]


_SET_SHORT = (
    update(OrderLine.__table__)  # type: ignore[arg-type]
    .where(
        OrderLine.tenant_id == bindparam("k_tenant"),
        OrderLine.order_id == bindparam("k_order"),
        OrderLine.line_no == bindparam("k_line"),
    )
    .values(short_qty=bindparam("short_qty"))
)


def _write_lines(uow: UnitOfWork, order: Order, per_line: dict[int, int]) -> None:
    if not per_line:
        return
    uow.session.connection().execute(
        _SET_SHORT,
        [
            {"k_tenant": order.tenant_id, "k_order": order.id, "k_line": no, "short_qty": qty}
            for no, qty in sorted(per_line.items())
        ],
    )


def _flag(uow: UnitOfWork, order: Order, *, short: bool) -> None:
    """Set the order's shortage flag in place; the command's own CAS update bumps the version."""
    exception = (
        STOCK_SHORTAGE
        if short
        else (None if order.exception_code == STOCK_SHORTAGE else order.exception_code)
    )
    uow.session.execute(
        update(Order)
        .where(Order.tenant_id == order.tenant_id, Order.id == order.id)
        .values(stock_shortage=short, exception_code=exception)
        .execution_options(synchronize_session=False)
    )
    order.stock_shortage, order.exception_code = short, exception


def _bump(uow: UnitOfWork, order: Order, *, still_short: bool, now: datetime) -> None:
    exception = order.exception_code
    if not still_short and exception == STOCK_SHORTAGE:
        exception = None
    values = {
        "version": order.version + 1,
        "updated_at": now,
        "stock_shortage": still_short,
        "exception_code": exception,
    }
    if not update_versioned(uow, order, values):
        # Another writer got in first (SQLite has no row lock): the job retries.
        raise RuntimeError(f"order {order.id} changed during the stock backfill")
    for key, value in values.items():
        setattr(order, key, value)


def _details(lines: list[LineNeed], per_line: dict[int, int]) -> list[dict[str, Any]]:
    out = []
    for line in lines:
        short = per_line.get(line.line_no, line.short_qty)
        if short:
            out.append({"line_no": line.line_no, "sku": line.sku, "qty": line.qty, "short": short})
    return out


def _open_ticket(
    uow: UnitOfWork, order: Order, details: list[dict[str, Any]], now: datetime
) -> None:
    open_ticket(
        uow,
        tenant_id=order.tenant_id,
        kind=TicketKind.STOCK_SHORTAGE,
        order_id=order.id,
        assignee_role="ops",
        title_code="stock_shortage",
        title_params={"order_no": order.order_no},
        details={"lines": details},
        now=now,
    )


def _record(
    uow: UnitOfWork,
    actor: Actor,
    order: Order,
    event: str,
    reason: str,
    details: Any,
    now: datetime,
) -> None:
    attempt = Attempt(
        aggregate_type="order",
        aggregate_id=order.id,
        event=event,
        outcome=Outcome.APPLIED,
        from_status=order.status,
        to_status=order.status,
        version_after=order.version,
        # A system source of its own: an entry under the channel's source would make the
        # platform's next (older-stamped) event look stale.
        source=_SOURCE if event == "stock_backfill" else "system:stock-shortage",
        reason=reason,
        occurred_at=now,
        details={"lines": details} if isinstance(details, list) else details,
    )
    audit.record_attempt(uow.session, actor, attempt, now=now)
