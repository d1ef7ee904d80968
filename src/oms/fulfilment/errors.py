"""Errors of the fulfilment domain."""

from __future__ import annotations

from oms.core.errors import AppError

__all__ = [
    "CarrierExists",
    "CarrierNotFound",
    "FontMissing",
    "IllegalShipmentTransition",
    "PlanInvalid",
    "PlanNotFound",
    "ReportMonthInvalid",
    "TrackingNumberReused",
    "UnknownRegion",
]


class TrackingNumberReused(AppError):
    code = "ERR_SHIPMENT_TRACKING_REUSED"
    http_status = 409
    title = "This carrier's tracking number is already recorded for another order"


class IllegalShipmentTransition(AppError):
    code = "ERR_SHIPMENT_ILLEGAL_TRANSITION"
    http_status = 409
    title = "A recorded shipment's status does not change"


class CarrierNotFound(AppError):
    code = "ERR_CARRIER_NOT_FOUND"
    http_status = 404
    title = "No such carrier"


class CarrierExists(AppError):
    code = "ERR_CARRIER_EXISTS"
    http_status = 409
    title = "A carrier with this code exists"


class UnknownRegion(AppError):
    code = "ERR_CARRIER_UNKNOWN_REGION"
    http_status = 422
    title = "A region is not a province of China"


class PlanNotFound(AppError):
    code = "ERR_PLAN_NOT_FOUND"
    http_status = 404
    title = "The order has no fulfilment plan yet"


class PlanInvalid(AppError):
    code = "ERR_PLAN_INVALID"
    http_status = 422
    title = "The plan does not ship the order's lines"


class FontMissing(AppError):
    code = "ERR_DOCUMENT_FONT_MISSING"
    http_status = 503
    title = "The Chinese font for documents is not installed (fonts-noto-cjk)"


class ReportMonthInvalid(AppError):
    code = "ERR_REPORT_MONTH_INVALID"
    http_status = 422
    title = "The report month is not a month that has begun (YYYY-MM)"
