"""Coded application errors; the API renders them as RFC 9457 problem details.

Every concrete error class declares a stable ``code`` and registers itself in ``CATALOGUE``
when it is defined, so a code can be listed, documented and never reused for another meaning.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "CATALOGUE",
    "AppError",
    "AuthenticationRequired",
    "Conflict",
    "DatabaseUnavailable",
    "Forbidden",
    "IdempotencyInProgress",
    "IdempotencyKeyReused",
    "InternalError",
    "MalformedBody",
    "MethodNotAllowed",
    "NotFound",
    "NotReady",
    "PartnerKeyRequired",
    "PartnerTenantRequired",
    "PayloadTooLarge",
    "RateLimited",
    "TenantAlreadyProvisioned",
    "TenantSuspended",
    "UnsupportedMediaType",
    "ValidationFailed",
]

CATALOGUE: dict[str, type[AppError]] = {}


class AppError(Exception):
    """Base of every error a client may see. Subclasses set ``code``, ``http_status``, ``title``."""

    code: ClassVar[str] = ""
    http_status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.code:
            return
        existing = CATALOGUE.get(cls.code)
        if existing is not None and existing is not cls:
            raise TypeError(f"error code {cls.code} already belongs to {existing.__name__}")
        CATALOGUE[cls.code] = cls

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.title
        self.details: dict[str, Any] = details
        super().__init__(self.message)


class ValidationFailed(AppError):
    code = "ERR_VALIDATION"
    http_status = 422
    title = "The request is not valid"


class NotFound(AppError):
    code = "ERR_NOT_FOUND"
    http_status = 404
    title = "Not found"


class Conflict(AppError):
    code = "ERR_CONFLICT"
    http_status = 409
    title = "Conflict with the current state"


class InternalError(AppError):
    code = "ERR_INTERNAL"
    http_status = 500
    title = "Internal error"


class DatabaseUnavailable(AppError):
    """The database refused a connection or dropped it (too many clients, restart, failover).

    Nothing was written: the unit of work rolls back as a whole, so a retry is safe.
    """

    code = "ERR_DATABASE_UNAVAILABLE"
    http_status = 503
    title = "The database is busy or unavailable; retry shortly"


class AuthenticationRequired(AppError):
    code = "ERR_AUTH_REQUIRED"
    http_status = 401
    title = "A valid API key or session is required"


class Forbidden(AppError):
    code = "ERR_AUTH_FORBIDDEN"
    http_status = 403
    title = "Your role may not do this"


class TenantSuspended(AppError):
    """The tenant was suspended by its partner: its keys act again once it is resumed."""

    code = "ERR_TENANT_SUSPENDED"
    http_status = 403
    title = "This tenant is suspended"


class PartnerKeyRequired(AppError):
    code = "ERR_PARTNER_KEY_REQUIRED"
    http_status = 403
    title = "Only a partner key may do this"


class PartnerTenantRequired(AppError):
    """A partner key acts on a tenant's data only when it names the tenant."""

    code = "ERR_PARTNER_TENANT_REQUIRED"
    http_status = 403
    title = "Send OMS-Tenant: <tenant id> to act on one of your tenants"


class TenantAlreadyProvisioned(AppError):
    """A retried provisioning (same ``external_ref`` or ``Idempotency-Key``): the tenant was
    made by the first call, whose answer held its key; a key is never shown twice."""

    code = "ERR_TENANT_ALREADY_PROVISIONED"
    http_status = 409
    title = "This partner already provisioned a tenant with this reference"


class RateLimited(AppError):
    """Past a per-tenant or per-key request limit; ``retry_after`` seconds until it admits."""

    code = "ERR_RATE_LIMITED"
    http_status = 429
    title = "Too many requests; retry after the Retry-After delay"


class PayloadTooLarge(AppError):
    code = "ERR_PAYLOAD_TOO_LARGE"
    http_status = 413
    title = "The request body is too large"


class UnsupportedMediaType(AppError):
    code = "ERR_UNSUPPORTED_MEDIA_TYPE"
    http_status = 415
    title = "Unsupported content type"


class MalformedBody(AppError):
    code = "ERR_MALFORMED_BODY"
    http_status = 400
    title = "The request body is not well-formed JSON"


class IdempotencyKeyReused(AppError):
    code = "ERR_IDEMPOTENCY_KEY_REUSED"
    http_status = 422
    title = "This Idempotency-Key was used with a different request"


class IdempotencyInProgress(AppError):
    code = "ERR_IDEMPOTENCY_IN_PROGRESS"
    http_status = 409
    title = "A request with this Idempotency-Key is still being processed"


class NotReady(AppError):
    code = "ERR_NOT_READY"
    http_status = 503
    title = "The service is not ready"


class MethodNotAllowed(AppError):
    code = "ERR_METHOD_NOT_ALLOWED"
    http_status = 405
    title = "This method is not allowed here"
