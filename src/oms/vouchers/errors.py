"""Errors of the vouchers domain, each with a stable code."""

from __future__ import annotations

from oms.core.errors import AppError

__all__ = ["UnknownExportFormat", "VoucherChainBroken"]


class UnknownExportFormat(AppError):
    code = "ERR_VOUCHER_UNKNOWN_FORMAT"
    http_status = 422
    title = "Vouchers export as jsonl or csv"


class VoucherChainBroken(AppError):
    code = "ERR_VOUCHER_CHAIN_BROKEN"
    http_status = 409
    title = "The voucher chain was changed: a voucher is altered, missing or out of order"
