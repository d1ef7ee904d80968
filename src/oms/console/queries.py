"""Console reads that combine several domain queries into one page's data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from oms.channels import health
from oms.channels.schemas import HealthReport
from oms.console.forms import TicketFilter
from oms.console.pages import can, event_actions
from oms.core import inbox, jobs
from oms.core.inbox import InboxEntry
from oms.core.jobs import JobInfo
from oms.core.outbox import MessageStatus
from oms.core.uow import Database
from oms.feedback import queries as feedback_queries
from oms.feedback.schemas import FeedbackSummary
from oms.inventory import queries as stock_queries
from oms.inventory.schemas import LedgerOut, ReservationOut, StockLevel, WarehouseOut
from oms.orders import queries as order_queries
from oms.orders.schemas import OrderOut, TimelineEntry
from oms.orders.states import OrderEvent
from oms.tickets import service as tickets
from oms.tickets.schemas import TicketOut
from oms.tickets.states import TicketStatus
from oms.users.schemas import SessionUser
from oms.vouchers import queries as voucher_queries
from oms.vouchers.schemas import VerifyReport, VoucherOut
from oms.webhooks import queries as webhook_queries
from oms.webhooks.schemas import DeliveryOut, SubscriptionOut

__all__ = [
    "JobsPage",
    "OrderDetail",
    "StockPage",
    "TicketDetail",
    "TicketQueue",
    "VouchersPage",
    "WebhooksPage",
    "jobs_page",
    "order_detail",
    "stock_page",
    "ticket_detail",
    "ticket_queue",
    "vouchers_page",
    "webhooks_page",
]

QUEUE_LIMIT = 100
LEDGER_LIMIT = 100
INBOX_LIMIT = 100
DELIVERY_LOG_LIMIT = 20
VOUCHER_LIMIT = 20


@dataclass(frozen=True, slots=True)
class OrderDetail:
    order: OrderOut
    timeline: list[TimelineEntry]
    actions: list[OrderEvent]
    reservations: list[ReservationOut]
    open_tickets: list[TicketOut]
    now: datetime


@dataclass(frozen=True, slots=True)
class JobsPage:
    counts: dict[str, int]
    dead: list[JobInfo]


@dataclass(frozen=True, slots=True)
class StockPage:
    """Levels of the SKUs searched; with exactly one, its ledger and the movement form's data."""

    levels: list[StockLevel]
    ledger: list[LedgerOut]
    warehouses: list[WarehouseOut]

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


@dataclass(frozen=True, slots=True)
class SubscriptionLog:
    subscription: SubscriptionOut
    display_url: str  # without its query: tokens often ride there
    deliveries: list[DeliveryOut]


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
    """An order, its provenance timeline, its stock holds, its open tickets and allowed events.

    Raises: ERR_ORDER_NOT_FOUND (also for another tenant's order).
    """
    order = order_queries.get_order(db, user.tenant_id, order_id)
    timeline = order_queries.order_timeline(db, user.tenant_id, order_id)
    holds = stock_queries.order_reservations(db, user.tenant_id, order_id)
    open_tickets = []
    if can(user.role, "tickets:read"):
        listed = tickets.list_tickets(db, user.tenant_id, order_id=order_id)
        open_tickets = [t for t in listed if t.status != TicketStatus.RESOLVED]
    actions = event_actions(order, user.role)
    return OrderDetail(order, timeline, actions, holds, open_tickets, db.clock.now())


def jobs_page(db: Database, user: SessionUser, *, limit: int = 100) -> JobsPage:
    """The tenant's outbox backlog by status and its newest dead letters."""
    counts = jobs.count_jobs(db, tenant_id=user.tenant_id)
    for status in (MessageStatus.PENDING, MessageStatus.RUNNING, MessageStatus.DEAD):
        counts.setdefault(status, 0)
    dead = jobs.list_jobs(db, tenant_id=user.tenant_id, status=MessageStatus.DEAD, limit=limit)
    return JobsPage(counts, dead)


def stock_page(db: Database, user: SessionUser, skus: list[str]) -> StockPage:
    """Current levels (never cached: people act on them); one SKU adds ledger and warehouses."""
    levels = stock_queries.stock_levels(db, user.tenant_id, skus) if skus else []
    if len(levels) != 1:
        return StockPage(levels, [], [])
    entries = stock_queries.ledger(db, user.tenant_id, levels[0].sku, limit=LEDGER_LIMIT)
    places = stock_queries.warehouses(db, user.tenant_id) if can(user.role, "stock:write") else []
    return StockPage(levels, entries, places)


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
    return TicketDetail(ticket, places, db.clock.now())


def webhooks_page(db: Database, user: SessionUser) -> WebhooksPage:
    """Recent inbound deliveries, the channel health check, subscriptions and their logs."""
    received = inbox.recent_messages(db, user.tenant_id, limit=INBOX_LIMIT)
    report = health.check_channels(db, user.tenant_id)
    logs = [
        SubscriptionLog(
            subscription,
            _without_query(subscription.url),
            webhook_queries.list_deliveries(
                db, user.tenant_id, subscription_id=subscription.id, limit=DELIVERY_LOG_LIMIT
            ),
        )
        for subscription in webhook_queries.list_subscriptions(db, user.tenant_id)
    ]
    return WebhooksPage(received, report, logs)


def vouchers_page(db: Database, user: SessionUser) -> VouchersPage:
    """Whether the tenant's voucher chain verifies, its newest vouchers, and the feedback."""
    report = voucher_queries.verify_chain(db, user.tenant_id)
    latest = voucher_queries.latest_vouchers(db, user.tenant_id, limit=VOUCHER_LIMIT)
    return VouchersPage(report, latest, feedback_queries.feedback_summary(db, user.tenant_id))


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"
