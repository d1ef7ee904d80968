"""Where a refund's money comes from, and how much of it is left (operations, no commits).

A refund goes back through the order's confirmed gateway payment. An order that is paid but
has no gateway payment in oms (paid on the channel, e.g. a marketplace) is refunded through
the channel: its order total is the paid amount. Orphaned payments are refunded against
themselves. Per order and payment, refunds requested, approved, refunding, refunded or failed
never add up to more than the paid amount.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from oms.orders.service import RefundView
from oms.orders.states import OrderStatus
from oms.payments.queries import order_payments
from oms.payments.schemas import PaymentOut
from oms.refunds.errors import (
    ExceedsPaid,
    ExceedsRefundableUnits,
    InvalidRefundLines,
    NotRefundable,
)
from oms.refunds.queries import claimed_amount, claimed_units_in
from oms.refunds.schemas import RefundIn

__all__ = ["Funding", "check_cap", "funding_of", "payment_funding", "requested_amount"]

_PAID = frozenset(
    {
        OrderStatus.PAID,
        OrderStatus.ON_HOLD,
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.COMPLETED,
    }
)


@dataclass(frozen=True, slots=True)
class Funding:
    gateway: str | None
    payment_id: str | None
    trade_no: str | None
    paid: int


def payment_funding(payment: PaymentOut) -> Funding:
    return Funding(payment.gateway, payment.id, payment.trade_no, payment.amount)


def funding_of(session: Session, tenant_id: str, order_id: str, view: RefundView) -> Funding:
    """The order's confirmed payment, else its channel. Raises: ERR_REFUND_NOT_REFUNDABLE."""
    for payment in order_payments(session, tenant_id, order_id):
        if payment.status == "confirmed":
            return payment_funding(payment)
    if view.status in _PAID:
        return Funding(None, None, None, view.total)
    raise NotRefundable(f"the order is {view.status} and nothing was paid", status=view.status)


def requested_amount(
    session: Session, tenant_id: str, data: RefundIn, view: RefundView, funding: Funding
) -> tuple[int, list[dict[str, object]]]:
    """The amount (fen) and lines a request asks for. ``whole_order`` asks for all that is left.

    Raises: ERR_REFUND_INVALID_LINES, ERR_REFUND_UNITS_EXCEED_REFUNDABLE.
    """
    if data.amount is not None:
        return data.amount, []
    if data.whole_order:
        left = funding.paid - claimed_amount(
            session, tenant_id, data.order_id, payment_id=funding.payment_id
        )
        return max(left, 0), []
    assert data.lines is not None
    prices: dict[str, tuple[int, int]] = {}
    for sku, qty, price in view.lines:
        had = prices.get(sku, (0, price))
        prices[sku] = (had[0] + qty, had[1])
    asked: dict[str, int] = {}
    for line in data.lines:
        asked[line.sku] = asked.get(line.sku, 0) + line.qty
    bad = sorted(sku for sku, qty in asked.items() if qty > prices.get(sku, (0, 0))[0])
    if bad:
        raise InvalidRefundLines("not lines of the order, or more than was ordered", skus=bad)
    _check_units_left(session, tenant_id, data.order_id, asked, prices)
    lines: list[dict[str, object]] = [
        {"sku": sku, "qty": qty, "unit_price": prices[sku][1]} for sku, qty in asked.items()
    ]
    return sum(qty * prices[sku][1] for sku, qty in asked.items()), lines


def _check_units_left(
    session: Session,
    tenant_id: str,
    order_id: str,
    asked: dict[str, int],
    prices: dict[str, tuple[int, int]],
) -> None:
    """Refuse units that earlier line refunds already claim: a unit goes back once, even
    when the paid amount would still cover it. Raises: ERR_REFUND_UNITS_EXCEED_REFUNDABLE."""
    claimed = claimed_units_in(session, tenant_id, order_id)
    left = {sku: prices[sku][0] - claimed.get(sku, 0) for sku in asked}
    over = sorted(sku for sku, qty in asked.items() if qty > left[sku])
    if over:
        raise ExceedsRefundableUnits(
            "more units than are left to refund",
            skus=over,
            left={sku: max(left[sku], 0) for sku in over},
        )


def check_cap(
    session: Session, tenant_id: str, order_id: str, funding: Funding, amount: int
) -> None:
    """Refuse an amount beyond what is left to refund. Raises: ERR_REFUND_EXCEEDS_PAID."""
    claimed = claimed_amount(session, tenant_id, order_id, payment_id=funding.payment_id)
    if amount <= 0 or claimed + amount > funding.paid:
        raise ExceedsPaid(
            "refunds would exceed the paid amount",
            paid=funding.paid,
            already_claimed=claimed,
            requested=amount,
            refundable=max(funding.paid - claimed, 0),
        )
