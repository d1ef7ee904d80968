"""The bounds on an order's amounts, checked before anything is written.

Every input amount (unit price, shipping fee, discount), every line total and the order's
totals are at most ``core.money.MAX_AMOUNT`` fen, and quantities at most ``MAX_QTY``, so
nothing overflows a BIGINT on PostgreSQL or SQLite and the client gets one stable code,
ERR_ORDER_INVALID_AMOUNTS, naming the figure, whichever backend runs.
"""

from __future__ import annotations

from oms.core.money import MAX_AMOUNT, MAX_QTY
from oms.orders.errors import InvalidAmounts
from oms.orders.schemas import OrderCreate

__all__ = ["checked_subtotal"]


def checked_subtotal(data: OrderCreate) -> int:
    """The subtotal, once every figure is within bounds. Raises: ERR_ORDER_INVALID_AMOUNTS."""
    subtotal = 0
    for index, line in enumerate(data.lines):
        _at_most(f"lines[{index}].qty", line.qty, MAX_QTY)
        _at_most(f"lines[{index}].unit_price", line.unit_price, MAX_AMOUNT)
        _at_most(f"lines[{index}].line_total", line.qty * line.unit_price, MAX_AMOUNT)
        subtotal += line.qty * line.unit_price
    _at_most("shipping_fee", data.shipping_fee, MAX_AMOUNT)
    _at_most("discount", data.discount, MAX_AMOUNT)
    _at_most("subtotal", subtotal, MAX_AMOUNT)
    _at_most("subtotal + shipping_fee", subtotal + data.shipping_fee, MAX_AMOUNT)
    if data.discount > subtotal + data.shipping_fee:
        raise InvalidAmounts(
            "the discount is larger than the goods and shipping",
            subtotal=subtotal,
            shipping_fee=data.shipping_fee,
            discount=data.discount,
        )
    return subtotal


def _at_most(field: str, value: int, limit: int) -> None:
    if value > limit:
        # The value itself is not echoed: it may be hundreds of digits long.
        raise InvalidAmounts(f"{field} is over the limit of {limit}", field=field, limit=limit)
