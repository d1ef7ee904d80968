"""Errors of the webhooks domain."""

from __future__ import annotations

from oms.core.destinations import DestinationRefused
from oms.core.errors import AppError

__all__ = [
    "DeliveryInProgress",
    "DeliveryNotFound",
    "DestinationRefused",
    "InvalidWebhookTransition",
    "SubscriptionInactive",
    "SubscriptionNotFound",
    "UnknownEventType",
]


class SubscriptionNotFound(AppError):
    code = "ERR_WEBHOOK_SUBSCRIPTION_NOT_FOUND"
    http_status = 404
    title = "Webhook subscription not found"


class SubscriptionInactive(AppError):
    code = "ERR_WEBHOOK_SUBSCRIPTION_INACTIVE"
    http_status = 409
    title = "The webhook subscription is disabled or deleted"


class DeliveryNotFound(AppError):
    code = "ERR_WEBHOOK_DELIVERY_NOT_FOUND"
    http_status = 404
    title = "Webhook delivery not found"


class DeliveryInProgress(AppError):
    code = "ERR_WEBHOOK_DELIVERY_IN_PROGRESS"
    http_status = 409
    title = "The delivery is still being attempted"


class UnknownEventType(AppError):
    code = "ERR_WEBHOOK_UNKNOWN_EVENT_TYPE"
    http_status = 422
    title = "Unknown webhook event type"


class InvalidWebhookTransition(AppError):
    code = "ERR_WEBHOOK_INVALID_TRANSITION"
    http_status = 409
    title = "The subscription or delivery cannot make this move"
