"""Errors of root-cause analysis."""

from __future__ import annotations

from oms.core.errors import AppError

__all__ = ["RcaInputInvalid"]


class RcaInputInvalid(AppError):
    code = "ERR_RCA_INPUT_INVALID"
    http_status = 422
    title = "The facts or baseline for root-cause analysis are not valid"
