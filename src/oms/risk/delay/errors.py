"""Coded errors of delay risk (bad CSV input, unreadable model directory)."""

from __future__ import annotations

from oms.core.errors import AppError

__all__ = ["DelayInputInvalid", "DelayModelInvalid"]


class DelayInputInvalid(AppError):
    code = "ERR_RISK_DELAY_INPUT_INVALID"
    http_status = 422
    title = "The delay-risk input is not valid"


class DelayModelInvalid(AppError):
    code = "ERR_RISK_DELAY_MODEL_INVALID"
    http_status = 422
    title = "The delay-risk model directory cannot be used"
