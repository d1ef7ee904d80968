"""Console reads that combine several domain queries into one page's data."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import urlsplit

from oms.channels import health
from oms.channels.schemas import HealthReport
from oms.console.actors import ActorName, actor_names
from oms.console.forms import RefundableLine, TicketFilter
from oms.console.pages import can, event_actions
from oms.core import inbox, jobs
from oms.core.inbox import InboxEntry
from oms.core.jobs import JobInfo
from oms.core.outbox import MessageStatus
from oms.core.paging import PageRequest
from oms.core.uow import Database
from oms.feedback import queries as feedback_queries
from oms.feedback.schemas import FeedbackSummary
from oms.fulfilment import carriers
from oms.fulfilment import queries as shipment_queries
from oms.fulfilment import service as fulfilment
from oms.fulfilment.carrier_schemas import CarrierOut
from oms.fulfilment.notify import queries as notify_queries
from oms.fulfilment.notify.schemas import MessageOut
from oms.fulfilment.planning import service as planning
from oms.fulfilment.planning.schemas import PlanOut
from oms.fulfilment.schemas import ShipmentOut
from oms.fulfilment.tracking import buyer
from oms.fulfilment.tracking import links as tracking_links
from oms.inventory import queries as stock_queries
from oms.inventory.schemas import LedgerOut, ReservationOut, StockLevel, WarehouseOut
from oms.orders import notes as order_notes
from oms.orders import queries as order_queries
from oms.orders.schemas import NoteOut, OrderOut, TimelineEntry
from oms.orders.states import OrderEvent, OrderStatus
from oms.payments import queries as payment_queries
from oms.payments.schemas import PaymentOut
from oms.refunds import queries as refund_queries
from oms.refunds.schemas import Colour, RefundOut
from oms.refunds.sla import colour_of
from oms.refunds.states import OPEN as OPEN_REFUNDS
from oms.tickets import service as tickets
from oms.tickets.schemas import TicketOut
from oms.tickets.states import TicketStatus
from oms.users import directory
from oms.users.schemas import SessionUser, UserOut
from oms.vouchers import queries as voucher_queries
from oms.vouchers.schemas import VerifyReport, VoucherOut
from oms.webhooks import queries as webhook_queries
from oms.webhooks.schemas import DeliveryOut, SubscriptionOut

__all__ = [
    "JobsPage",
    "OrderDetail",
    "OrdersPage",
    "RefundRow",
    "StockPage",
    "TicketDetail",
    "TicketQueue",
    "VouchersPage",
    "WebhooksPage",
    "jobs_page",
    "order_detail",
    "orders_page",
    "refundable_lines",
    "stock_page",
    "ticket_detail",
    "ticket_queue",
    "vouchers_page",
    "webhooks_page",
    "with_tracking",
]

QUEUE_LIMIT = 100
LEDGER_LIMIT = 100
INBOX_LIMIT = 100
DELIVERY_LOG_LIMIT = 20
VOUCHER_LIMIT = 20


SECTION_LIMIT = 100


@dataclass(frozen=True, slots=True)
class RefundRow:
    refund: RefundOut
    colour: Colour | None  # the SLA colour while it is open; None once decided and paid


@dataclass(frozen=True, slots=True)
class OrderDetail:
    """Everything the order page (the customer-service workspace) shows."""

    order: OrderOut
    timeline: list[TimelineEntry]
    actions: list[OrderEvent]
    reservations: list[ReservationOut]
    open_tickets: list[TicketOut]
    now: datetime
    payments: list[PaymentOut] = field(default_factory=list)
    refunds: list[RefundRow] = field(default_factory=list)
    shipments: list[ShipmentOut] = field(default_factory=list)
    notes: list[NoteOut] = field(default_factory=list)
    names: dict[str, ActorName] = field(default_factory=dict)
    plan: PlanOut | None = None
    carriers: list[CarrierOut] = field(default_factory=list)
    refund_lines: list[RefundableLine] = field(default_factory=list)
    tracking_path: str | None = None  # the buyer's tracking page, once something shipped

    @property
    def buyer_steps(self) -> tuple[str, ...]:
        return buyer.STEPS

    @property
    def buyer_step(self) -> str:
        """The progress bar's step, as the buyer's tracking page shows it."""
        return buyer.current_step(buyer.buyer_history(self.timeline), self.shipments)

    notifications: list[MessageOut] = field(default_factory=list)

    @property
    def can_ship(self) -> bool:
        return bool({OrderEvent.SHIP, OrderEvent.PARTIAL_SHIP} & set(self.actions))

    @property
    def ship_lines(self) -> list[tuple[str, str, int]]:
        """(sku, name, units not yet in an accepted shipment) for the ship form."""
        sent: dict[str, int] = {}
        for shipment in self.shipments:
            if shipment.status == "accepted":
                for part in shipment.lines:
                    sent[part["sku"]] = sent.get(part["sku"], 0) + int(part["qty"])
        due = []
        for line in self.order.lines:  # a SKU on two lines: earlier lines are served first
            served = min(line.qty, sent.get(line.sku, 0))
            sent[line.sku] = sent.get(line.sku, 0) - served
            due.append((line.sku, line.name, line.qty - served))
        return due

    @property
    def cancel_entry(self) -> TimelineEntry | None:
        """The applied change that cancelled the order (its reason heads the page)."""
        if self.order.status != OrderStatus.CANCELLED:
            return None
        applied = [
            e
            for e in self.timeline
            if e.outcome == "applied" and e.to_status == OrderStatus.CANCELLED.value
        ]
        return applied[-1] if applied else None


@dataclass(frozen=True, slots=True)
class JobsPage:
    counts: dict[str, int]
    dead: list[JobInfo]
    next_cursor: str | None = None  # more dead letters after these


@dataclass(frozen=True, slots=True)
class StockPage:
    """Levels of the SKUs searched; with exactly one, its ledger and the movement form's data."""

    levels: list[StockLevel]
    ledger: list[LedgerOut]
    warehouses: list[WarehouseOut]
    ledger_next_cursor: str | None = None  # older movements after these
    warehouse_names: dict[str, str] = field(default_factory=dict)  # code → name, for the ledger
    order_numbers: dict[str, str] = field(default_factory=dict)  # order id → order no

    @property
    def single(self) -> StockLevel | None:
        return self.levels[0] if len(self.levels) == 1 else None


@dataclass(frozen=True, slots=True)
class TicketQueue:
    tickets: list[TicketOut]
    is_truncated: bool
    now: datetime


@dataclass(frozen=True, slots=True)
class TicketDetail:
    ticket: TicketOut
    warehouses: list[WarehouseOut]
    now: datetime
    users: list[UserOut] = field(default_factory=list)  # whom the assign form offers


@dataclass(frozen=True, slots=True)
class SubscriptionLog:
    subscription: SubscriptionOut
    display_url: str  # without its query: tokens often ride there
    deliveries: list[DeliveryOut]
    more: bool = False  # older deliveries exist beyond the ones shown (see the API)


@dataclass(frozen=True, slots=True)
class WebhooksPage:
    inbound: list[InboxEntry]
    health: HealthReport
    subscriptions: list[SubscriptionLog]


@dataclass(frozen=True, slots=True)
class VouchersPage:
    """The chain check, the newest vouchers (newest first) and the refund feedback figures."""

    report: VerifyReport
    latest: list[VoucherOut]
    feedback: FeedbackSummary

    @property
    def last_issued_at(self) -> datetime | None:
        return self.latest[0].issued_at if self.latest else None


def order_detail(db: Database, user: SessionUser, order_id: str) -> OrderDetail:
    """An order with its payments, refunds, shipments, stock holds, notes, provenance
    timeline (actors by name), open tickets and the events this user may send.

    Raises: ERR_ORDER_NOT_FOUND (also for another tenant's order).
    """
    tenant_id, now = user.tenant_id, db.clock.now()
    order = order_queries.get_order(db, tenant_id, order_id)
    timeline = order_queries.order_timeline(db, tenant_id, order_id)
    holds = stock_queries.order_reservations(db, tenant_id, order_id)
    open_tickets = []
    if can(user.role, "tickets:read"):
        listed = tickets.list_tickets(db, tenant_id, order_id=order_id)
        open_tickets = [t for t in listed if t.status != TicketStatus.RESOLVED]
    first = PageRequest(limit=SECTION_LIMIT)
    notes = order_notes.note_page(db, tenant_id, order_id, page=first).items
    principals = [e.actor for e in timeline] + [n.author for n in notes]
    return OrderDetail(
        order,
        timeline,
        event_actions(order, user.role),
        holds,
        open_tickets,
        now,
        payments=payment_queries.list_payments(db, tenant_id, order_id=order_id, page=first).items,
        refunds=_refund_rows(db, user, order_id, now),
        shipments=fulfilment.list_shipments(db, tenant_id, order_id, page=first).items,
        notes=notes,
        names=actor_names(db, tenant_id, principals),
        plan=planning.find_plan(db, tenant_id, order_id),
        carriers=_carriers(db, tenant_id),
        refund_lines=_refundable(db, tenant_id, order),
        tracking_path=_tracking_path(db, tenant_id, order_id),
        notifications=notify_queries.message_page(db, tenant_id, order_id, page=first).items,
    )


def _tracking_path(db: Database, tenant_id: str, order_id: str) -> str:
    token, _ = tracking_links.make_link_token(tenant_id, order_id, now=db.clock.now())
    return tracking_links.link_path(token)


def refundable_lines(
    db: Database, user: SessionUser, order_id: str, *, request_id: str | None = None
) -> list[RefundableLine]:
    """The order's SKUs with the units not yet claimed by a line refund, for the refund form
    (the refund ``request_id`` names, if any, not counted: a repeated confirmation).

    Raises: ERR_ORDER_NOT_FOUND (also for another tenant's order).
    """
    order = order_queries.get_order(db, user.tenant_id, order_id)
    return _refundable(db, user.tenant_id, order, request_id)


def _refundable(
    db: Database, tenant_id: str, order: OrderOut, request_id: str | None = None
) -> list[RefundableLine]:
    # One row per SKU: the refunds service sums a SKU's lines and prices it at its first line.
    claimed = refund_queries.claimed_units(db, tenant_id, order.id, except_request_id=request_id)
    rows: dict[str, RefundableLine] = {}
    for line in order.lines:
        had = rows.get(line.sku)
        if had is None:
            rows[line.sku] = RefundableLine(line.sku, line.name, line.unit_price, line.qty, 0)
        else:
            rows[line.sku] = replace(had, ordered=had.ordered + line.qty)
    return [
        replace(row, left=max(row.ordered - claimed.get(row.sku, 0), 0)) for row in rows.values()
    ]


def _carriers(db: Database, tenant_id: str) -> list[CarrierOut]:
    return carriers.carrier_page(db, tenant_id, page=PageRequest(limit=100)).items


def _refund_rows(db: Database, user: SessionUser, order_id: str, now: datetime) -> list[RefundRow]:
    if not can(user.role, "refunds:read"):
        return []
    page = PageRequest(limit=SECTION_LIMIT)
    listed = refund_queries.list_refunds(db, user.tenant_id, order_id=order_id, page=page).items
    return [
        RefundRow(r, colour_of(now - r.requested_at) if r.status in OPEN_REFUNDS else None)
        for r in listed
    ]


@dataclass(frozen=True, slots=True)
class OrdersPage:
    listed: order_queries.ListedOrders
    counts: dict[str, int]  # per status, for the tabs: the filter without its statuses

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def with_tracking(
    db: Database, user: SessionUser, flt: order_queries.OrderFilter
) -> order_queries.OrderFilter:
    """The filter with the orders whose parcels carry ``q`` as tracking number, so the
    search finds them too (shipments are fulfilment's; the orders query stays in SQL)."""
    if not flt.q:
        return flt
    found = shipment_queries.orders_with_tracking(db, user.tenant_id, flt.q)
    return replace(flt, q_order_ids=tuple(found)) if found else flt


def orders_page(
    db: Database, user: SessionUser, flt: order_queries.OrderFilter, *, overlap_s: int
) -> OrdersPage:
    """One page of the orders list and the status tabs' counts.

    Raises: ERR_VALIDATION (a cursor this list did not make).
    """
    flt = with_tracking(db, user, flt)
    listed = order_queries.list_orders(db, user.tenant_id, flt, overlap_s=overlap_s)
    return OrdersPage(listed, order_queries.count_by_status(db, user.tenant_id, flt))


def jobs_page(
    db: Database, user: SessionUser, *, limit: int = 100, cursor: str | None = None
) -> JobsPage:
    """The tenant's outbox backlog by status and one page of its dead letters, newest first.

    Raises: ERR_VALIDATION (a cursor the jobs list did not make).
    """
    counts = jobs.count_jobs(db, tenant_id=user.tenant_id)
    for status in (MessageStatus.PENDING, MessageStatus.RUNNING, MessageStatus.DEAD):
        counts.setdefault(status, 0)
    dead = jobs.job_page(
        db,
        tenant_id=user.tenant_id,
        status=MessageStatus.DEAD,
        page=PageRequest(limit=limit, cursor=cursor),
    )
    return JobsPage(counts, dead.items, dead.next_cursor)


def stock_page(
    db: Database, user: SessionUser, skus: list[str], *, ledger_cursor: str | None = None
) -> StockPage:
    """Current levels (never cached: people act on them); one SKU adds ledger and warehouses.

    The ledger is one page, newest first, from ``ledger_cursor``. Raises: ERR_VALIDATION
    (a cursor the ledger did not make).
    """
    levels = stock_queries.stock_levels(db, user.tenant_id, skus) if skus else []
    if len(levels) != 1:
        return StockPage(levels, [], [])
    entries = stock_queries.ledger_page(
        db, user.tenant_id, levels[0].sku, page=PageRequest(LEDGER_LIMIT, ledger_cursor)
    )
    every = stock_queries.warehouses(db, user.tenant_id)
    places = every if can(user.role, "stock:write") else []
    order_ids = [e.ref_id for e in entries.items if e.ref_type == "order" and e.ref_id]
    numbers = order_queries.order_references(db, user.tenant_id, order_ids)
    return StockPage(
        levels,
        entries.items,
        places,
        entries.next_cursor,
        warehouse_names={w.code: w.name for w in every},
        order_numbers={order_id: ref.order_no for order_id, ref in numbers.items()},
    )


def ticket_queue(db: Database, user: SessionUser, flt: TicketFilter) -> TicketQueue:
    """Tickets oldest first, in any of the filter's statuses.

    One read per status, merged: ``tickets.list_tickets`` filters by one status at a time.
    """
    found: list[TicketOut] = []
    for status in flt.statuses or (None,):
        found += tickets.list_tickets(
            db,
            user.tenant_id,
            status=status,
            kind=flt.kind,
            order_id=flt.order_id,
            limit=QUEUE_LIMIT + 1,
        )
    found.sort(key=lambda t: (t.created_at, t.id))
    return TicketQueue(found[:QUEUE_LIMIT], len(found) > QUEUE_LIMIT, db.clock.now())


def ticket_detail(db: Database, user: SessionUser, ticket_id: str) -> TicketDetail:
    """A ticket with its comments, and the warehouses its correction form may pick from.

    Raises: ERR_TICKET_NOT_FOUND (also for another tenant's ticket).
    """
    ticket = tickets.get_ticket(db, user.tenant_id, ticket_id)
    may_correct = can(user.role, "tickets:write") and can(user.role, "stock:write")
    places = stock_queries.warehouses(db, user.tenant_id) if may_correct else []
    people = directory.tenant_users(db, user.tenant_id) if can(user.role, "tickets:write") else []
    return TicketDetail(ticket, places, db.clock.now(), people)


def webhooks_page(db: Database, user: SessionUser) -> WebhooksPage:
    """Recent inbound deliveries, the channel health check, subscriptions and their logs."""
    received = inbox.recent_messages(db, user.tenant_id, limit=INBOX_LIMIT)
    report = health.check_channels(db, user.tenant_id)
    logs = [
        _subscription_log(db, user, subscription)
        for subscription in webhook_queries.list_subscriptions(db, user.tenant_id)
    ]
    return WebhooksPage(received, report, logs)


def _subscription_log(
    db: Database, user: SessionUser, subscription: SubscriptionOut
) -> SubscriptionLog:
    newest = webhook_queries.list_deliveries(
        db,
        user.tenant_id,
        subscription_id=subscription.id,
        page=PageRequest(limit=DELIVERY_LOG_LIMIT),
    )
    url = _without_query(subscription.url)
    return SubscriptionLog(subscription, url, newest.items, newest.has_more)


def vouchers_page(db: Database, user: SessionUser) -> VouchersPage:
    """Whether the tenant's voucher chain verifies, its newest vouchers, and the feedback."""
    report = voucher_queries.verify_chain(db, user.tenant_id)
    latest = voucher_queries.latest_vouchers(db, user.tenant_id, limit=VOUCHER_LIMIT)
    return VouchersPage(report, latest, feedback_queries.feedback_summary(db, user.tenant_id))


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"
