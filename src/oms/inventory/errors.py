"""Errors of the inventory domain."""

from __future__ import annotations

from oms.core.errors import AppError

__all__ = ["InsufficientStock", "StockNotFound", "StockVersionMismatch", "UnknownWarehouse"]


class InsufficientStock(AppError):
    code = "ERR_STOCK_INSUFFICIENT"
    http_status = 409
    title = "Not enough stock"


class StockVersionMismatch(AppError):
    code = "ERR_STOCK_VERSION_MISMATCH"
    http_status = 409
    title = "The stock changed since the version you sent"


class UnknownWarehouse(AppError):
    code = "ERR_STOCK_UNKNOWN_WAREHOUSE"
    http_status = 404
    title = "No such warehouse"


class StockNotFound(AppError):
    code = "ERR_STOCK_NOT_FOUND"
    http_status = 404
    title = "No stock is recorded for this SKU"
