"""Errors of carrier tracking intake and configuration (answered in the carrier's format)."""

from __future__ import annotations

from oms.core.errors import AppError

__all__ = [
    "ProtocolUnknown",
    "PushMalformed",
    "PushRejected",
    "SignatureInvalid",
    "SignatureMissing",
    "TimestampOutOfTolerance",
    "TrackingNotConfigured",
    "TrackingSecretInvalid",
    "TrackingTenantUnknown",
]


class PushRejected(AppError):
    """A push refused at intake; it is kept in the inbox as ``rejected``."""

    http_status = 400


class ProtocolUnknown(PushRejected):
    code = "ERR_TRACKING_PROTOCOL_UNKNOWN"
    http_status = 404
    title = "No such tracking push protocol"


class TrackingTenantUnknown(PushRejected):
    code = "ERR_TRACKING_TENANT_UNKNOWN"
    http_status = 404
    title = "No such tenant"


class TrackingNotConfigured(PushRejected):
    code = "ERR_TRACKING_NOT_CONFIGURED"
    http_status = 409
    title = "This tracking protocol is not configured for the tenant"


class SignatureMissing(PushRejected):
    code = "ERR_TRACKING_SIGNATURE_MISSING"
    http_status = 401
    title = "The push carries no signature or token"


class SignatureInvalid(PushRejected):
    code = "ERR_TRACKING_SIGNATURE_INVALID"
    http_status = 401
    title = "The push's signature or token does not match"


class TimestampOutOfTolerance(PushRejected):
    code = "ERR_TRACKING_TIMESTAMP_OUT_OF_TOLERANCE"
    http_status = 401
    title = "The signed timestamp is too far from the server's clock"


class PushMalformed(PushRejected):
    code = "ERR_TRACKING_MALFORMED_PUSH"
    http_status = 400
    title = "The push cannot be read"


class TrackingSecretInvalid(AppError):
    code = "ERR_TRACKING_SECRET_INVALID"
    http_status = 400
    title = "The secret does not fit this protocol"
