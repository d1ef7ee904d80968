"""Sixty days of a tea shop, written through the real use cases at past instants.

The story's database shares the engine but has its own ``ManualClock``: it is set to each
instant before the command that happens then, so timelines, SLA ages and statement dates look
like production's. Paid orders are paid the way Alipay pays them: a signed notification into
the payments domain, then its double confirmation by query (see ``alipay_sandbox``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from oms.core.clock import ManualClock
from oms.core.context import Actor
from oms.core.errors import AppError
from oms.core.uow import Database
from oms.demo.alipay_sandbox import AlipaySandbox, Trade
from oms.demo.catalogue import BUYERS, CHANNELS, PRODUCTS, SOURCES
from oms.orders import service as orders
from oms.orders.schemas import Address, Buyer, OrderCreate, OrderEventIn, OrderLineIn, OrderOut
from oms.orders.states import OrderEvent
from oms.payments import service as payments
from oms.payments.queries import order_payments

__all__ = ["DAYS", "Story"]

DAYS = 60
_PAY, _SHIP, _DELIVER, _COMPLETE = (
    OrderEvent.PAY,
    OrderEvent.SHIP,
    OrderEvent.DELIVER,
    OrderEvent.COMPLETE,
)
# People shop in the daytime and evening; weights by local hour 8..23.
_HOURS = list(range(8, 24))
_HOUR_WEIGHTS = [1, 2, 3, 3, 4, 3, 3, 3, 3, 3, 4, 5, 6, 7, 6, 3]


@dataclass
class Story:
    """The demo's clock, actor, gateway and randomness, and what it has written so far."""

    db: Database
    clock: ManualClock
    actor: Actor
    gateway: AlipaySandbox
    zone: ZoneInfo
    now: datetime
    rng: random.Random
    orders: list[OrderOut] = field(default_factory=list)
    _serial: int = 0

    def at(self, when: datetime) -> None:
        self.clock.set(when)

    def local_instant(self, days_ago: int) -> datetime:
        """A shopping hour ``days_ago`` days back, in the tenant's zone, as UTC."""
        day = (self.now.astimezone(self.zone) - timedelta(days=days_ago)).date()
        hour = self.rng.choices(_HOURS, weights=_HOUR_WEIGHTS)[0]
        local = datetime.combine(day, time(hour, self.rng.randrange(60)), self.zone)
        return local.astimezone(self.now.tzinfo)

    def place(
        self,
        when: datetime,
        *,
        lines: list[tuple[str, str, int]] | None = None,
        qty: int | None = None,
        allow_shortage: bool = False,
    ) -> OrderOut:
        self.at(when)
        data = self._order(lines=lines, qty=qty, allow_shortage=allow_shortage)
        placed = orders.place_order(self.db, self.actor, data).order
        self.orders.append(placed)
        return placed

    def event(self, order: OrderOut, event: OrderEvent, when: datetime, **extra: object) -> None:
        self.at(when)
        command = OrderEventIn(event=event, source=SOURCES.get(event, "console"), **extra)
        orders.apply_event(self.db, self.actor, order.id, command)

    def pay(self, order: OrderOut, when: datetime, *, amount: int | None = None) -> str:
        """The buyer pays at Alipay; oms takes the notification and confirms by query.
        Returns the payment's status (``confirmed``, or ``mismatched``/``orphaned``)."""
        self.at(when)
        self._serial += 1
        trade_no = f"2026{when:%m%d}2200{1400000000 + self._serial}"
        paid = amount if amount is not None else order.totals.total
        body = self.gateway.pay(Trade(order.order_no, trade_no, paid, when))
        payments.receive_notification(
            self.db,
            gateway="alipay",
            tenant_id=self.actor.tenant_id,
            headers={"content-type": "application/x-www-form-urlencoded"},
            body=body,
        )
        self.at(when + timedelta(seconds=self.rng.randint(2, 20)))
        with self.db.reader() as session:
            payment = order_payments(session, self.actor.tenant_id, order.id)[-1]
        return payments.confirm_payment(
            self.db, tenant_id=self.actor.tenant_id, payment_id=payment.id, is_last_attempt=True
        )

    def live(
        self, order: OrderOut, placed: datetime, steps: list[tuple[OrderEvent, timedelta]]
    ) -> None:
        """Apply ``steps`` (event, delay after the previous one) while they are in the past."""
        when = placed
        for event, delay in steps:
            when += delay
            if when >= self.now - timedelta(minutes=2):
                return
            try:
                if event is _PAY:
                    self.pay(order, when)
                else:
                    self.event(order, event, when)
            except AppError:
                return  # the story stops where the order could not go on

    def _order(
        self,
        *,
        lines: list[tuple[str, str, int]] | None = None,
        qty: int | None = None,
        allow_shortage: bool = False,
    ) -> OrderCreate:
        name, phone, province, city, district, street = self.rng.choice(BUYERS)
        picks = lines or self.rng.sample(PRODUCTS, k=self.rng.choice([1, 1, 2, 2, 3]))
        chosen = self.rng.choice(CHANNELS)
        return OrderCreate(
            channel=chosen,
            external_id=f"{chosen.upper()}{7_000_000 + len(self.orders)}",
            buyer=Buyer(id=f"buyer-{phone[-4:]}", name=name, phone=phone),
            shipping_address=Address(
                name=name,
                phone=phone,
                province=province,
                city=city,
                district=district,
                line1=street,
            ),
            lines=[
                OrderLineIn(sku=s, name=n, qty=qty or self.rng.randint(1, 2), unit_price=p)
                for s, n, p in picks
            ],
            shipping_fee=self.rng.choice([0, 0, 0, 1000]),
            allow_shortage=allow_shortage,
        )


def steps_for_age(rng: random.Random, age: timedelta) -> list[tuple[OrderEvent, timedelta]]:
    """A realistic path for an order placed ``age`` ago: paid within minutes, shipped within a
    day or so, delivered in one to three days, completed a week later; a few cancelled."""
    pay = (_PAY, timedelta(minutes=rng.randint(1, 12), seconds=rng.randint(0, 59)))
    ship = (_SHIP, timedelta(hours=rng.randint(3, 30), minutes=rng.randint(0, 59)))
    deliver = (_DELIVER, timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 10)))
    complete = (_COMPLETE, timedelta(days=7, hours=rng.randint(0, 12)))
    roll = rng.random()
    if roll < 0.07:
        return [(OrderEvent.CANCEL, timedelta(minutes=rng.randint(3, 14)))]
    if age < timedelta(hours=20) and roll < 0.2:
        return [pay, (OrderEvent.HOLD, timedelta(minutes=rng.randint(1, 5)))]
    if age < timedelta(days=2) and roll < 0.3:
        return [pay, (OrderEvent.PARTIAL_SHIP, ship[1])]
    return [pay, ship, deliver, complete]
