"""Errors of the fulfilment domain."""

from __future__ import annotations

from oms.core.errors import AppError

__all__ = ["TrackingNumberReused"]


class TrackingNumberReused(AppError):
    code = "ERR_SHIPMENT_TRACKING_REUSED"
    http_status = 409
    title = "This carrier's tracking number is already recorded for another order"
