"""Errors of notification rules."""

from __future__ import annotations

from oms.core.errors import AppError

__all__ = [
    "ConditionInvalid",
    "RuleNameTaken",
    "RuleNotFound",
    "RuleSettingsInvalid",
    "TemplateInvalid",
]


class TemplateInvalid(AppError):
    code = "ERR_NOTIFICATION_TEMPLATE_INVALID"
    http_status = 422
    title = "The notification template is not valid Liquid, or breaks a limit"


class ConditionInvalid(AppError):
    code = "ERR_NOTIFICATION_CONDITION_INVALID"
    http_status = 422
    title = "The notification condition is not valid"


class RuleSettingsInvalid(AppError):
    code = "ERR_NOTIFICATION_RULE_INVALID"
    http_status = 422
    title = "The notification rule's settings do not fit together"


class RuleNotFound(AppError):
    code = "ERR_NOTIFICATION_RULE_NOT_FOUND"
    http_status = 404
    title = "Notification rule not found"


class RuleNameTaken(AppError):
    code = "ERR_NOTIFICATION_RULE_NAME_TAKEN"
    http_status = 409
    title = "Another notification rule has this name"
