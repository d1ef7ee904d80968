"""Errors of the feedback domain, each with a stable code (shown on the feedback page)."""

from __future__ import annotations

from oms.core.errors import AppError

__all__ = ["FeedbackAlreadyRecorded", "FeedbackLinkInvalid"]


class FeedbackLinkInvalid(AppError):
    code = "ERR_FEEDBACK_LINK_INVALID"
    http_status = 404
    title = "The feedback link is not valid or has expired"


class FeedbackAlreadyRecorded(AppError):
    code = "ERR_FEEDBACK_ALREADY_RECORDED"
    http_status = 409
    title = "Feedback for this refund was already recorded"
