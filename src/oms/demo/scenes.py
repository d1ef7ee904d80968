"""The demo's desk work: refunds of every SLA colour, exception tickets of every kind, a bank
statement with auto-confirmed and review lines, webhook deliveries. Each through the owning
domain's use case, at the instant it happens."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from oms.core.errors import AppError
from oms.demo.catalogue import SCARCE
from oms.demo.history import Story
from oms.finance import service as finance
from oms.inventory import service as inventory
from oms.inventory.schemas import MovementIn
from oms.inventory.states import MovementKind
from oms.orders.queries import get_order
from oms.orders.schemas import OrderOut
from oms.orders.states import OrderEvent
from oms.refunds import service as refunds
from oms.refunds.schemas import RefundIn, RefundReason
from oms.webhooks import service as webhooks
from oms.webhooks.schemas import SubscriptionIn

__all__ = ["bank_statement", "open_refunds", "subscribe_webhooks", "ticket_stories"]

# Hours since the request: green, green, yellow, yellow, orange, orange, red, red.
_REFUND_AGES = [1, 6, 13, 20, 25, 31, 38, 47]
_REASONS = [
    RefundReason.QUALITY,
    RefundReason.DAMAGED_IN_TRANSIT,
    RefundReason.NO_REASON_7_DAYS,
    RefundReason.WRONG_ITEM,
]


def _current(story: Story, order: OrderOut) -> OrderOut:
    return get_order(story.db, story.actor.tenant_id, order.id)


def _settled(story: Story, statuses: set[str], older_than: timedelta) -> list[OrderOut]:
    """Orders now in ``statuses`` placed before ``older_than`` ago, oldest first."""
    found = [_current(story, o) for o in story.orders if o.created_at < story.now - older_than]
    return [o for o in found if o.status in statuses]


def open_refunds(story: Story) -> int:
    """Open refund requests aged across the SLA board's colours; returns how many."""
    candidates = _settled(story, {"delivered", "completed"}, timedelta(days=4))
    made = 0
    for hours, order in zip(_REFUND_AGES, candidates[-len(_REFUND_AGES) :], strict=False):
        story.at(story.now - timedelta(hours=hours, minutes=story.rng.randint(0, 40)))
        request = RefundIn(
            order_id=order.id,
            whole_order=True,
            reason=_REASONS[made % len(_REASONS)],
            customer_note="茶叶受潮结块, 申请退款" if made % 2 else "包装破损, 礼盒压坏了",
            request_id=f"demo-refund-{made}",
        )
        refunds.request_refund(story.db, story.actor, request)
        made += 1
    return made


def ticket_stories(story: Story) -> None:
    """One order for each kind of exception, told as it happens in production."""
    _shortage(story)
    _payment_mismatch(story)
    _payment_orphaned(story)
    _status_conflict(story)


def _shortage(story: Story) -> None:
    """A limited tea sells out: the second buyer's order is taken short of stock."""
    sku, name, price = SCARCE
    story.at(story.now - timedelta(hours=7))
    movement = MovementIn(
        sku=sku, warehouse="hz", kind=MovementKind.INBOUND, qty=1, reason="限量到货"
    )
    inventory.record_movement(story.db, story.actor, movement)
    first = story.place(story.now - timedelta(hours=6, minutes=40), lines=[SCARCE], qty=1)
    story.pay(first, story.now - timedelta(hours=6, minutes=36))
    short = story.place(
        story.now - timedelta(hours=5, minutes=12),
        lines=[(sku, name, price)],
        qty=2,
        allow_shortage=True,
    )
    story.pay(short, story.now - timedelta(hours=5, minutes=9))


def _payment_mismatch(story: Story) -> None:
    """Alipay reports less than the order's total: the payment waits for a person."""
    order = story.place(story.now - timedelta(hours=20, minutes=5))
    story.pay(order, story.now - timedelta(hours=20), amount=order.totals.total - 1000)


def _payment_orphaned(story: Story) -> None:
    """The buyer pays after customer service cancelled: the money has to go back."""
    order = story.place(story.now - timedelta(days=2, hours=3))
    story.event(order, OrderEvent.CANCEL, story.now - timedelta(days=2, hours=2, minutes=55))
    story.pay(order, story.now - timedelta(days=2, hours=2, minutes=50))


def _status_conflict(story: Story) -> None:
    """Risk control held the order; then service's cancel, stamped before the hold, arrives."""
    order = story.place(story.now - timedelta(days=1, hours=4))
    story.pay(order, story.now - timedelta(days=1, hours=3, minutes=58))
    story.event(order, OrderEvent.HOLD, story.now - timedelta(days=1, hours=1))
    # Refused as a conflict (a person decides on the ticket): the ticket is the point.
    with suppress(AppError):
        story.event(
            order,
            OrderEvent.CANCEL,
            story.now - timedelta(hours=23),
            occurred_at=story.now - timedelta(days=1, hours=2),
        )


def bank_statement(story: Story, zone: ZoneInfo) -> tuple[int, int]:
    """Yesterday's bank CSV: settlements naming their orders (confirmed by themselves), transfers
    that only a person can place, and a fee. Returns (auto-confirmed, for review)."""
    paid = _settled(story, {"delivered", "completed", "shipped"}, timedelta(days=3))[-12:]
    rows = ["date,amount,currency,memo,reference"]
    for order in paid[:9]:
        day = order.created_at.astimezone(zone).date() + timedelta(days=1)
        rows.append(
            f"{day},{_yuan(order.totals.total)},CNY,"
            f"支付宝结算 订单{order.order_no} {order.buyer['name']},{order.order_no}"
        )
    for order in paid[9:]:
        day = order.created_at.astimezone(zone).date() + timedelta(days=2)
        rows.append(f"{day},{_yuan(order.totals.total)},CNY,网银转账 {order.buyer['name']},")
    today = story.now.astimezone(zone).date()
    rows.append(f"{today - timedelta(days=1)},-35.00,CNY,账户管理费,")
    story.at(story.now - timedelta(hours=2))
    finance.sync_expected(story.db, story.actor.tenant_id)
    result = finance.import_statement(
        story.db,
        story.actor,
        data=("\n".join(rows) + "\n").encode(),
        fmt="csv",
        filename=f"icbc-{today:%Y%m%d}.csv",
    )
    return result.auto_confirmed, result.for_review


def subscribe_webhooks(story: Story, receiver: str, when: datetime) -> None:
    """The shop's ERP takes every event; a flaky BI endpoint fails, so retries show."""
    story.at(when)
    for path, types, note in (
        ("/hooks/erp", ["*"], "ERP 订单同步"),
        ("/hooks/bi", ["order.status_changed"], "BI 看板 (不稳定)"),
    ):
        data = SubscriptionIn(url=f"{receiver}{path}", event_types=types, description=note)
        webhooks.create_subscription(story.db, story.actor, data, allow_private=True)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"
