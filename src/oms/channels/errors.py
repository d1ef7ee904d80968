"""Errors of the channels domain, each with a stable code."""

from __future__ import annotations

from oms.core.errors import AppError

__all__ = [
    "ChannelError",
    "ChannelNotConfigured",
    "ChannelUnknown",
    "DeliveryIdMissing",
    "MalformedPayload",
    "MappingInvalid",
    "PayloadInvalid",
    "SecretInvalid",
    "SignatureInvalid",
    "SignatureMissing",
    "TenantUnknown",
    "TimestampOutOfTolerance",
]


class ChannelError(AppError):
    """A delivery the channel refuses; recorded as rejected before it is raised."""


class ChannelUnknown(ChannelError):
    code = "ERR_CHANNEL_UNKNOWN"
    http_status = 404
    title = "No such channel (known: shopify, youzan, generic)"


class TenantUnknown(ChannelError):
    code = "ERR_CHANNEL_TENANT_UNKNOWN"
    http_status = 404
    title = "The webhook URL names a tenant that does not exist"


class ChannelNotConfigured(ChannelError):
    code = "ERR_CHANNEL_NOT_CONFIGURED"
    http_status = 404
    title = "This tenant has no secret configured for the channel"


class DeliveryIdMissing(ChannelError):
    code = "ERR_CHANNEL_DELIVERY_ID_MISSING"
    http_status = 400
    title = "The delivery carries no delivery id header"


class SignatureMissing(ChannelError):
    code = "ERR_CHANNEL_SIGNATURE_MISSING"
    http_status = 401
    title = "The delivery carries no signature"


class SignatureInvalid(ChannelError):
    code = "ERR_CHANNEL_SIGNATURE_INVALID"
    http_status = 401
    title = "The delivery's signature does not match the channel secret"


class TimestampOutOfTolerance(ChannelError):
    code = "ERR_CHANNEL_TIMESTAMP_OUT_OF_TOLERANCE"
    http_status = 401
    title = "The signed timestamp is more than 5 minutes from the server clock"


class MalformedPayload(ChannelError):
    code = "ERR_CHANNEL_MALFORMED_PAYLOAD"
    http_status = 400
    title = "The delivery body is not the JSON the channel sends"


class PayloadInvalid(ChannelError):
    code = "ERR_CHANNEL_PAYLOAD_INVALID"
    http_status = 422
    title = "The mapped platform order is not a valid oms order"


class MappingInvalid(AppError):
    code = "ERR_CHANNEL_MAPPING_INVALID"
    http_status = 422
    title = "The field mapping is not valid"


class SecretInvalid(AppError):
    code = "ERR_CHANNEL_SECRET_INVALID"
    http_status = 422
    title = "The channel secret is not usable"
