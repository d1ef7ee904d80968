"""Order reads: one order, filtered lists with cursor paging, the timeline.

Reads apply the payment deadline themselves: an unpaid order past its deadline is shown as
cancelled at the deadline, even before the timeout job has made that durable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from oms.core.clock import floor_seconds
from oms.core.db import UTCDateTime
from oms.core.errors import ValidationFailed
from oms.core.models import AuditEntry
from oms.core.paging import Page, PageRequest, fetch_items, fetch_page, from_attributes
from oms.core.shapes import project
from oms.core.uow import Database
from oms.inventory.queries import reservation_page
from oms.inventory.schemas import ReservationOut
from oms.orders.errors import OrderNotFound
from oms.orders.models import Order, OrderLine
from oms.orders.schemas import OrderLineOut, OrderOut, OrderPage, TimelineEntry, Totals
from oms.orders.states import OrderStatus, allowed_events

__all__ = [
    "SORTS",
    "UNSHIPPED_STATUSES",
    "BuyerOrder",
    "ExportRow",
    "ListedOrders",
    "OrderFilter",
    "OrderReference",
    "SkuCount",
    "buyer_orders",
    "count_by_status",
    "find_by_order_no",
    "get_order",
    "iter_export_rows",
    "list_orders",
    "order_out",
    "order_references",
    "order_reservations",
    "order_sku_counts",
    "order_timeline",
    "paid_by_channel",
    "paid_sku_counts",
    "paid_times",
    "timeline_page",
]


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """What ``GET /orders`` can narrow by. Ranges are [from, to)."""

    statuses: Sequence[OrderStatus] = ()
    channel: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    q: str | None = None
    stock_shortage: bool | None = None
    sync: bool = False
    limit: int = 50
    cursor: str | None = None
    # The console's workspace filters (the API does not send them).
    paid_from: datetime | None = None
    paid_to: datetime | None = None
    # Paid at least this many hours ago and nothing shipped yet (awaiting shipment or held).
    unshipped_hours: int | None = None
    # ``q`` also matches the buyer's name (prefix), a line's SKU or product name, and the
    # orders in ``q_order_ids`` (found by the caller, e.g. by tracking number).
    wide_search: bool = False
    q_order_ids: Sequence[str] = ()
    # Only these orders (the rows ticked for a bulk export).
    ids: Sequence[str] = ()
    # One of SORTS, ``-`` first for descending.
    sort: str = "-created_at"


@dataclass(frozen=True, slots=True)
class ListedOrders:
    page: OrderPage
    # What a client may send back as If-Modified-Since to learn "nothing newer".
    last_modified: datetime
    # The newest (effective) update among all matching orders, None when nothing matches.
    newest_update: datetime | None


def get_order(db: Database, tenant_id: str, order_id: str) -> OrderOut:
    """One order with its lines. Raises: ERR_ORDER_NOT_FOUND (also for another tenant's)."""
    with db.reader() as session:
        order = session.scalars(
            select(Order).where(Order.tenant_id == tenant_id, Order.id == order_id)
        ).first()
        if order is None:
            raise OrderNotFound("no such order", order_id=order_id)
        return order_out(session, order, now=db.clock.now())


def order_reservations(
    db: Database, tenant_id: str, order_id: str, *, page: PageRequest = PageRequest()
) -> Page[ReservationOut]:
    """One page of the order's stock holds, oldest first. Raises: ERR_ORDER_NOT_FOUND."""
    get_order(db, tenant_id, order_id)
    return reservation_page(db, tenant_id, order_id, page=page)


def find_by_order_no(db: Database, tenant_id: str, order_no: str) -> OrderOut | None:
    """The order with this number (unique per tenant), or None."""
    with db.reader() as session:
        order = session.scalars(
            select(Order).where(Order.tenant_id == tenant_id, Order.order_no == order_no)
        ).first()
        return None if order is None else order_out(session, order, now=db.clock.now())


def list_orders(db: Database, tenant_id: str, flt: OrderFilter, *, overlap_s: int) -> ListedOrders:
    """A page of orders, newest first, or oldest update first in sync mode.

    Raises: ERR_VALIDATION (a cursor that was not made by this endpoint).
    """
    now = db.clock.now()
    conditions = _conditions(tenant_id, flt, now)
    if flt.sync:
        keys, scope, descending = _sync_keys(now)
    else:
        keys, scope, descending = _sort_keys(flt.sort)
    with db.reader() as session:
        fetched = fetch_page(
            session,
            select(Order).where(*conditions),
            keys,
            PageRequest(limit=flt.limit, cursor=flt.cursor),
            scope=scope,
            descending=descending,
        )
        items = _outs(session, [row[0] for row in fetched.rows], now)
        newest = session.scalar(select(func.max(_effective_updated(now))).where(*conditions))
    return ListedOrders(
        page=OrderPage(items=items, next_cursor=fetched.next_cursor, has_more=fetched.has_more),
        last_modified=_last_modified(newest, now, overlap_s),
        newest_update=newest,
    )


# Unpaid orders sort as paid at the epoch: after every paid order newest first, before them
# oldest first, and the key stays non-null so keyset paging works.
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)
SORTS: dict[str, Callable[[], ColumnElement[Any]]] = {
    "created_at": lambda: Order.created_at.expression,
    "paid_at": lambda: func.coalesce(Order.paid_at, literal(_NEVER, UTCDateTime())),
    "total": lambda: Order.total.expression,
}
UNSHIPPED_STATUSES = (OrderStatus.PAID, OrderStatus.ON_HOLD)
_Keys = tuple[list[ColumnElement[Any]], str, bool]


def _sync_keys(now: datetime) -> _Keys:
    return [_effective_updated(now), Order.id.expression], "orders:sync", False


def _sort_keys(sort: str) -> _Keys:
    """The keys of ``sort`` (``created_at``, ``-total``, …); the scope keeps cursors apart.

    Raises: ERR_VALIDATION (an unknown sort).
    """
    name = sort.removeprefix("-")
    if name not in SORTS:
        raise ValidationFailed(f"cannot sort by {sort!r}", field="sort", allowed=sorted(SORTS))
    scope = "orders" if sort == "-created_at" else f"orders:{sort}"
    return [SORTS[name](), Order.id.expression], scope, sort.startswith("-")


def count_by_status(db: Database, tenant_id: str, flt: OrderFilter) -> dict[str, int]:
    """How many orders match ``flt`` in each (effective) status, ignoring its own statuses:
    the counts of the status tabs."""
    now = db.clock.now()
    status = _effective_status(now)
    conditions = _conditions(tenant_id, replace(flt, statuses=()), now)
    with db.reader() as session:
        rows = session.execute(
            select(status, func.count()).where(*conditions).group_by(status)
        ).all()
    return {str(name): int(count) for name, count in rows}


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One order as the CSV export needs it: no lines, no address."""

    order_no: str
    external_id: str | None
    status: OrderStatus
    channel: str
    buyer_name: str | None
    buyer_phone: str | None
    currency: str
    total: int
    created_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None


def iter_export_rows(
    db: Database, tenant_id: str, flt: OrderFilter, *, batch: int = 1000
) -> Iterator[ExportRow]:
    """Every order matching ``flt`` in its sort order, fetched ``batch`` rows at a time.

    Each batch is one keyset page read in its own short session, so an export of any size
    holds at most one batch in memory and no transaction stays open while the client reads.
    Raises: ERR_VALIDATION (an unknown sort).
    """
    keys, scope, descending = _sort_keys(flt.sort)
    now = db.clock.now()  # one instant for the whole export: a consistent status rule
    status = _effective_status(now)
    exported: list[ColumnElement[Any]] = [
        Order.order_no.expression,
        Order.external_id.expression,
        status,
        Order.channel.expression,
        Order.buyer_name.expression,
        Order.buyer_phone.expression,
        Order.currency.expression,
        Order.total.expression,
        Order.created_at.expression,
        Order.paid_at.expression,
        Order.shipped_at.expression,
    ]
    stmt: Select[Any] = select(*exported).where(*_conditions(tenant_id, flt, now))
    cursor: str | None = None
    while True:
        with db.list_reader() as session:
            fetched = fetch_page(
                session, stmt, keys, PageRequest(batch, cursor), scope=scope, descending=descending
            )
        for row in fetched.rows:
            yield _export_row(row)
        if fetched.next_cursor is None:
            return
        cursor = fetched.next_cursor


def _export_row(row: Any) -> ExportRow:
    values = list(row[:11])
    values[2] = OrderStatus(values[2])
    return ExportRow(*values)


def order_timeline(db: Database, tenant_id: str, order_id: str) -> list[TimelineEntry]:
    """Every attempt to change the order, oldest first. Raises: ERR_ORDER_NOT_FOUND."""
    with db.reader() as session:
        exists = session.scalar(
            select(Order.id).where(Order.tenant_id == tenant_id, Order.id == order_id)
        )
        if exists is None:
            raise OrderNotFound("no such order", order_id=order_id)
        entries = session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.tenant_id == tenant_id,
                AuditEntry.aggregate_type == "order",
                AuditEntry.aggregate_id == order_id,
            )
            .order_by(AuditEntry.recorded_at, AuditEntry.id)
        )
        return [TimelineEntry.model_validate(e, from_attributes=True) for e in entries]


def timeline_page(
    db: Database, tenant_id: str, order_id: str, *, page: PageRequest = PageRequest()
) -> Page[TimelineEntry]:
    """One page of the order's change attempts, oldest first. Raises: ERR_ORDER_NOT_FOUND."""
    stmt = select(AuditEntry).where(
        AuditEntry.tenant_id == tenant_id,
        AuditEntry.aggregate_type == "order",
        AuditEntry.aggregate_id == order_id,
    )
    keys = (AuditEntry.recorded_at, AuditEntry.id)
    with db.reader() as session:
        exists = session.scalar(
            select(Order.id).where(Order.tenant_id == tenant_id, Order.id == order_id)
        )
        if exists is None:
            raise OrderNotFound("no such order", order_id=order_id)
        return fetch_items(
            session, stmt, keys, page, from_attributes(TimelineEntry), scope=f"timeline:{order_id}"
        )


def order_out(
    session: Session, order: Order, *, now: datetime, lines: list[OrderLineOut] | None = None
) -> OrderOut:
    """Render an order as the API shows it, payment deadline applied."""
    if lines is None:
        lines = _lines_of(session, order.tenant_id, [order.id]).get(order.id, [])
    return _render(order, lines, now)


def _outs(session: Session, orders: list[Order], now: datetime) -> list[OrderOut]:
    if not orders:
        return []
    lines = _lines_of(session, orders[0].tenant_id, [o.id for o in orders])
    return [_render(o, lines.get(o.id, []), now) for o in orders]


def _render(order: Order, lines: list[OrderLineOut], now: datetime) -> OrderOut:
    status = OrderStatus(order.status)
    cancelled_at, updated_at = order.cancelled_at, order.updated_at
    due = order.payment_due_at
    timeout_pending = status == OrderStatus.PENDING_PAYMENT and due is not None and due <= now
    if timeout_pending:
        assert due is not None
        status, cancelled_at = OrderStatus.CANCELLED, due
        updated_at = max(updated_at, due)
    buyer = {"id": order.buyer_id, "name": order.buyer_name, "phone": order.buyer_phone}
    if order.buyer_ip is not None:
        buyer["ip"] = order.buyer_ip
    if order.buyer_device_id is not None:
        buyer["device_id"] = order.buyer_device_id
    # The rest (ids, money columns, addresses, timestamps) are the row's like-named columns.
    return project(
        OrderOut,
        order,
        status=status,
        totals=project(Totals, order),
        buyer=buyer,
        stock_shortage=bool(order.stock_shortage),
        lines=lines,
        allowed_events=allowed_events(status),
        timeout_pending=timeout_pending,
        updated_at=updated_at,
        cancelled_at=cancelled_at,
    )


def _lines_of(
    session: Session, tenant_id: str, order_ids: list[str]
) -> dict[str, list[OrderLineOut]]:
    rows = session.scalars(
        select(OrderLine)
        .where(OrderLine.tenant_id == tenant_id, OrderLine.order_id.in_(order_ids))
        .order_by(OrderLine.order_id, OrderLine.line_no)
    )
    out: dict[str, list[OrderLineOut]] = {}
    for row in rows:
        out.setdefault(row.order_id, []).append(
            OrderLineOut.model_validate(row, from_attributes=True)
        )
    return out


def _overdue(now: datetime) -> ColumnElement[bool]:
    # A null deadline (cash on delivery) is never overdue: NULL <= now is not true.
    return and_(
        Order.status == OrderStatus.PENDING_PAYMENT.value,
        Order.payment_due_at.is_not(None),
        Order.payment_due_at <= now,
    )


def _effective_status(now: datetime) -> ColumnElement[str]:
    return case((_overdue(now), OrderStatus.CANCELLED.value), else_=Order.status)


def _effective_updated(now: datetime) -> ColumnElement[datetime]:
    return case((_overdue(now), Order.payment_due_at), else_=Order.updated_at)


def _conditions(tenant_id: str, flt: OrderFilter, now: datetime) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [Order.tenant_id == tenant_id]
    if flt.statuses:
        conds.append(_effective_status(now).in_([s.value for s in flt.statuses]))
    if flt.channel:
        conds.append(Order.channel == flt.channel)
    if flt.created_from:
        conds.append(Order.created_at >= flt.created_from)
    if flt.created_to:
        conds.append(Order.created_at < flt.created_to)
    updated = _effective_updated(now)
    if flt.updated_from:
        conds.append(updated >= flt.updated_from)
    if flt.updated_to:
        conds.append(updated < flt.updated_to)
    if flt.q:
        conds.append(_wide_search(tenant_id, flt) if flt.wide_search else _search(flt.q))
    if flt.stock_shortage is not None:
        conds.append(Order.stock_shortage == flt.stock_shortage)
    return conds + _workspace_conditions(flt, now)


def _workspace_conditions(flt: OrderFilter, now: datetime) -> list[ColumnElement[bool]]:
    """The console's payment-time and age filters (unpaid orders have no payment time)."""
    conds: list[ColumnElement[bool]] = []
    if flt.paid_from:
        conds.append(Order.paid_at >= flt.paid_from)
    if flt.paid_to:
        conds.append(Order.paid_at < flt.paid_to)
    if flt.ids:
        conds.append(Order.id.in_(list(flt.ids)))
    if flt.unshipped_hours is not None:
        conds.append(Order.status.in_([s.value for s in UNSHIPPED_STATUSES]))
        conds.append(Order.paid_at <= now - timedelta(hours=flt.unshipped_hours))
    return conds


def _wide_search(tenant_id: str, flt: OrderFilter) -> ColumnElement[bool]:
    """The narrow search, or the buyer's name (prefix), a line's SKU (exact) or product name
    (substring), or one of the orders the caller found for ``q`` elsewhere."""
    assert flt.q is not None
    q = flt.q.strip()
    line = exists().where(
        OrderLine.tenant_id == tenant_id,
        OrderLine.order_id == Order.id,
        or_(OrderLine.sku == q, OrderLine.name.contains(q, autoescape=True)),
    )
    options = [_search(q), Order.buyer_name.startswith(q, autoescape=True), line]
    if flt.q_order_ids:
        options.append(Order.id.in_(list(flt.q_order_ids)))
    return or_(*options)


def _search(q: str) -> ColumnElement[bool]:
    """Order number, external id, or the last digits of the buyer's phone."""
    q = q.strip()
    options: list[ColumnElement[bool]] = [Order.order_no == q, Order.external_id == q]
    if q.isdigit() and len(q) >= 4:
        options.append(Order.buyer_phone_rev.startswith(q[::-1], autoescape=True))
    return or_(*options)


def _last_modified(newest: datetime | None, now: datetime, overlap_s: int) -> datetime:
    """A Last-Modified for a list, safe against same-second and late-commit changes.

    It claims completeness only up to a horizon a little in the past, because a transaction
    that stamped its change earlier may commit after this read. Rows newer than the horizon
    are served again on the next poll (clients dedupe by id and version).
    """
    horizon = floor_seconds(now - timedelta(seconds=overlap_s))
    if newest is None:
        return horizon
    return min(floor_seconds(newest) + timedelta(seconds=1), horizon)


@dataclass(frozen=True, slots=True)
class BuyerOrder:
    """One order of a buyer, as trust decisions (auto-refund) need it."""

    id: str
    placed_at: datetime
    paid_at: datetime | None


def buyer_orders(session: Session, tenant_id: str, buyer_id: str) -> list[BuyerOrder]:
    """Every order of ``buyer_id`` (orders.buyer_id), oldest first, in the caller's session."""
    rows = session.execute(
        select(Order.id, Order.placed_at, Order.paid_at)
        .where(Order.tenant_id == tenant_id, Order.buyer_id == buyer_id)
        .order_by(Order.placed_at, Order.id)
    )
    return [BuyerOrder(r.id, r.placed_at, r.paid_at) for r in rows]


@dataclass(frozen=True, slots=True)
class OrderReference:
    """What finance needs to recognise an order's money on a bank statement."""

    id: str
    order_no: str
    channel: str
    external_id: str | None
    buyer_name: str | None


def order_references(
    db: Database, tenant_id: str, order_ids: Sequence[str]
) -> dict[str, OrderReference]:
    """Order id → its numbers and buyer name, for the ids that exist (chunked lookups)."""
    found: dict[str, OrderReference] = {}
    unique = sorted(set(order_ids))
    with db.reader() as session:
        for start in range(0, len(unique), 500):
            rows = session.execute(
                select(
                    Order.id, Order.order_no, Order.channel, Order.external_id, Order.buyer_name
                ).where(Order.tenant_id == tenant_id, Order.id.in_(unique[start : start + 500]))
            )
            for r in rows:
                found[r.id] = OrderReference(
                    r.id, r.order_no, r.channel, r.external_id, r.buyer_name
                )
    return found


def paid_times(db: Database, tenant_id: str, order_ids: Sequence[str]) -> dict[str, datetime]:
    """Order id → when it was paid, for the ids that exist and are paid (chunked lookups)."""
    found: dict[str, datetime] = {}
    unique = sorted(set(order_ids))
    with db.reader() as session:
        for start in range(0, len(unique), 500):
            rows = session.execute(
                select(Order.id, Order.paid_at).where(
                    Order.tenant_id == tenant_id,
                    Order.id.in_(unique[start : start + 500]),
                    Order.paid_at.is_not(None),
                )
            )
            found.update({r.id: r.paid_at for r in rows})
    return found


@dataclass(frozen=True, slots=True)
class SkuCount:
    """How many orders of a channel hold a SKU (an order with two SKUs counts for each)."""

    channel: str
    sku: str
    orders: int


# Orders whose lines are summed per statement when counting given orders.
_ID_BATCH = 1000


def paid_sku_counts(
    db: Database, tenant_id: str, *, paid_from: datetime, paid_to: datetime
) -> list[SkuCount]:
    """Orders paid in [from, to) by channel and SKU (for refund-rate analytics)."""
    window: list[ColumnElement[bool]] = [Order.paid_at >= paid_from, Order.paid_at < paid_to]
    with db.reader() as session:
        return _sku_counts(session, tenant_id, window)


def order_sku_counts(db: Database, tenant_id: str, order_ids: Sequence[str]) -> list[SkuCount]:
    """The given orders by channel and SKU (e.g. the orders refunds were asked for)."""
    totals: dict[tuple[str, str], int] = {}
    ids = sorted(set(order_ids))
    with db.reader() as session:
        for start in range(0, len(ids), _ID_BATCH):
            batch: list[ColumnElement[bool]] = [Order.id.in_(ids[start : start + _ID_BATCH])]
            for row in _sku_counts(session, tenant_id, batch):
                key = (row.channel, row.sku)
                totals[key] = totals.get(key, 0) + row.orders
    return [SkuCount(c, sku, n) for (c, sku), n in sorted(totals.items())]


def paid_by_channel(
    db: Database, tenant_id: str, *, paid_from: datetime, paid_to: datetime
) -> dict[str, int]:
    """How many orders each channel had paid in [from, to)."""
    stmt = (
        select(Order.channel, func.count())
        .where(Order.tenant_id == tenant_id, Order.paid_at >= paid_from, Order.paid_at < paid_to)
        .group_by(Order.channel)
    )
    with db.reader() as session:
        return {channel: int(n) for channel, n in session.execute(stmt)}


def _sku_counts(
    session: Session, tenant_id: str, conditions: list[ColumnElement[bool]]
) -> list[SkuCount]:
    stmt = (
        select(Order.channel, OrderLine.sku, func.count(func.distinct(Order.id)))
        .join(
            OrderLine, and_(OrderLine.tenant_id == Order.tenant_id, OrderLine.order_id == Order.id)
        )
        .where(Order.tenant_id == tenant_id, *conditions)
        .group_by(Order.channel, OrderLine.sku)
        .order_by(Order.channel, OrderLine.sku)
    )
    return [SkuCount(c, sku, int(n)) for c, sku, n in session.execute(stmt)]
