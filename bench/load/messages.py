"""The requests of the sales-peak mix, signed as the platforms sign them.

Shopify deliveries come from ``bench.ingest_bench``; Alipay and WeChat Pay notifications from
``tests.fixtures.gateways``, whose keys the fake gateway also signs its query answers with.
Each notified trade is told to the fake gateway first, so the confirmation query agrees.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass, field
from typing import Any

from bench.ingest_bench import shopify_delivery
from bench.load.gateway import FaultyGateway, Trade
from bench.payloads import order_payload
from tests.fixtures.gateways import alipay_notification, wechatpay_notification

__all__ = ["KINDS", "WEIGHTS", "Mix", "PlacedOrder", "Request"]

ORDER, ALIPAY, WECHAT, SHOPIFY, REDELIVERY, REFUND = (
    "order",
    "alipay notify",
    "wechatpay notify",
    "shopify new",
    "shopify redelivery",
    "refund",
)
KINDS = (ORDER, ALIPAY, WECHAT, SHOPIFY, REDELIVERY, REFUND)
# 70 % orders, 15 % payment callbacks (half each gateway), 10 % webhooks (~20 % of them
# redeliveries), 5 % refunds.
WEIGHTS = (70.0, 7.5, 7.5, 8.0, 2.0, 5.0)
# A refund is asked for an order notified at least this long ago (its confirmation has run).
REFUND_AFTER_SECONDS = 15.0


@dataclass(frozen=True, slots=True)
class Request:
    kind: str
    path: str
    headers: dict[str, str]
    body: bytes | None = None
    json: dict[str, Any] | None = None
    # What the verdicts check afterwards: an order id, a Shopify platform id, ...
    ref: str = ""


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    order_id: str
    order_no: str
    total: int
    lines: int


@dataclass
class Mix:
    """Draws the next request; keeps the orders placed and notified to pick callbacks from."""

    tenant_id: str
    auth: dict[str, str]
    gateway: FaultyGateway
    rng: random.Random = field(default_factory=lambda: random.Random(16))
    seq: int = 0
    created: list[PlacedOrder] = field(default_factory=list)
    unpaid: list[PlacedOrder] = field(default_factory=list)
    notified: list[tuple[float, PlacedOrder]] = field(default_factory=list)
    shopify_sent: list[tuple[str, int]] = field(default_factory=list)

    def next(self) -> Request:
        self.seq += 1
        kind = self.rng.choices(KINDS, WEIGHTS)[0]
        if kind in (ALIPAY, WECHAT) and self.unpaid:
            return self._payment(kind, self.unpaid.pop(self.rng.randrange(len(self.unpaid))))
        if kind == REDELIVERY and self.shopify_sent:
            return self._shopify(*self.rng.choice(self.shopify_sent), REDELIVERY)
        if kind in (SHOPIFY, REDELIVERY):
            return self._shopify(f"load-{self.seq:08d}", self.seq, SHOPIFY)
        if kind == REFUND and self._refundable():
            return self._refund(self.notified.pop(0)[1])
        return self._order()

    def placed(self, answer: dict[str, Any]) -> None:
        """An order the server answered 201 for: a candidate for a payment callback."""
        order = PlacedOrder(
            answer["id"], answer["order_no"], answer["totals"]["total"], len(answer["lines"])
        )
        self.created.append(order)
        self.unpaid.append(order)

    def _refundable(self) -> bool:
        return bool(self.notified) and self.notified[0][0] < time.monotonic() - REFUND_AFTER_SECONDS

    def _order(self) -> Request:
        payload = order_payload(f"load-{self.seq:08d}", self.seq)
        return Request(ORDER, "/api/v1/orders", self.auth, json=payload, ref=payload["external_id"])

    def _payment(self, kind: str, order: PlacedOrder) -> Request:
        trade_no = "4200" + hashlib.sha256(order.order_no.encode()).hexdigest()[:24]
        self.notified.append((time.monotonic(), order))
        if kind == ALIPAY:
            self._tell_gateway(order, trade_no, "TRADE_SUCCESS", "2026-01-24 13:00:01")
            yuan = f"{order.total // 100}.{order.total % 100:02d}"
            body = alipay_notification(
                order.order_no, notify_id=f"ntf-{order.order_no}", trade_no=trade_no, total=yuan
            )
            headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
            path = f"/api/v1/payments/alipay/notify/{self.tenant_id}"
            return Request(kind, path, headers, body=body, ref=order.order_id)
        self._tell_gateway(order, trade_no, "SUCCESS", "2026-01-24T13:00:01+08:00")
        headers, body = wechatpay_notification(
            order.order_no,
            timestamp=int(time.time()),
            notify_id=f"EV-{order.order_no}",
            transaction_id=trade_no,
            total=order.total,
        )
        path = f"/api/v1/payments/wechatpay/notify/{self.tenant_id}"
        return Request(kind, path, headers, body=body, ref=order.order_id)

    def _tell_gateway(self, order: PlacedOrder, trade_no: str, state: str, paid_at: str) -> None:
        self.gateway.trades[order.order_no] = Trade(trade_no, order.total, state, paid_at)

    def _shopify(self, external_id: str, seq: int, kind: str) -> Request:
        """A new delivery, or the very same bytes again (a redelivery keeps its seq)."""
        if kind == SHOPIFY:
            self.shopify_sent.append((external_id, seq))
        headers, body = shopify_delivery(external_id, seq)
        path = f"/api/v1/channels/shopify/webhooks/{self.tenant_id}"
        return Request(kind, path, headers, body=body, ref=external_id)

    def _refund(self, order: PlacedOrder) -> Request:
        payload = {
            "order_id": order.order_id,
            "amount": 100,
            "reason": "quality",
            "request_id": f"load-refund-{order.order_id}",
        }
        return Request(REFUND, "/api/v1/refunds", self.auth, json=payload, ref=order.order_id)
