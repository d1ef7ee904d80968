"""Events the inventory domain publishes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from oms.core.outbox import Event

__all__ = ["StockAvailable"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StockAvailable(Event):
    """Units of some SKUs may have become free (inbound, correction, a released or expired
    hold, lower safety stock, a SKU no longer tracked); the orders domain serves short order
    lines from them."""

    topic: ClassVar[str] = "stock.available"
    skus: tuple[str, ...]
