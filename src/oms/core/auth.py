"""Tenants, API keys, roles and what each role may do.

API keys are 256-bit random tokens. Only their SHA-256 is stored: a fast hash is right for a
high-entropy secret (argon2 is for passwords people choose), and the lookup by hash does not
reveal through timing how much of a guess was right.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from oms.core.errors import AuthenticationRequired, Forbidden, NotFound, ValidationFailed
from oms.core.ids import new_id
from oms.core.models import ApiKey, Tenant
from oms.core.uow import Database

__all__ = [
    "ROLE_PERMISSIONS",
    "ApiKeyCreated",
    "Principal",
    "Role",
    "TenantCreated",
    "authenticate_api_key",
    "create_api_key",
    "create_tenant",
    "get_tenant",
    "require",
]


# Known keys are remembered for a few seconds per process, so a request does not pay a
# database round trip to authenticate (twice, with Idempotency-Key). Only successful lookups
# are cached; a revoked key stops working within this many seconds.
KEY_CACHE_SECONDS = 10.0
_KEY_CACHE: dict[bytes, tuple[float, Principal]] = {}


class Role(StrEnum):
    ADMIN = "admin"
    OPS = "ops"
    SERVICE = "service"
    FINANCE = "finance"
    WAREHOUSE = "warehouse"
    INTEGRATION = "integration"


_ALL = frozenset(Role)
ROLE_PERMISSIONS: dict[str, frozenset[Role]] = {
    "orders:read": _ALL,
    "orders:create": frozenset({Role.ADMIN, Role.OPS, Role.SERVICE, Role.INTEGRATION}),
    "orders:pay": frozenset({Role.ADMIN, Role.OPS, Role.FINANCE, Role.INTEGRATION}),
    "orders:service": frozenset({Role.ADMIN, Role.OPS, Role.SERVICE, Role.INTEGRATION}),
    "orders:fulfil": frozenset({Role.ADMIN, Role.OPS, Role.WAREHOUSE, Role.INTEGRATION}),
    "orders:close": frozenset({Role.ADMIN, Role.OPS, Role.FINANCE, Role.INTEGRATION}),
    "stock:read": _ALL,
    "stock:write": frozenset({Role.ADMIN, Role.OPS, Role.WAREHOUSE}),
    "tickets:read": frozenset({Role.ADMIN, Role.OPS, Role.SERVICE, Role.WAREHOUSE, Role.FINANCE}),
    "tickets:write": frozenset({Role.ADMIN, Role.OPS, Role.SERVICE, Role.WAREHOUSE}),
    "payments:configure": frozenset({Role.ADMIN}),
    "channels:configure": frozenset({Role.ADMIN}),
    "channels:health": frozenset({Role.ADMIN, Role.OPS}),
    "webhooks:manage": frozenset({Role.ADMIN, Role.OPS}),
    "alerts:manage": frozenset({Role.ADMIN}),
    "jobs:read": frozenset({Role.ADMIN, Role.OPS}),
    "jobs:retry": frozenset({Role.ADMIN, Role.OPS}),
    "keys:manage": frozenset({Role.ADMIN}),
    "finance:read": frozenset({Role.ADMIN, Role.FINANCE}),
    "finance:write": frozenset({Role.ADMIN, Role.FINANCE}),
    "refunds:read": frozenset({Role.ADMIN, Role.OPS, Role.SERVICE, Role.FINANCE, Role.INTEGRATION}),
    "refunds:request": frozenset({Role.ADMIN, Role.OPS, Role.SERVICE, Role.INTEGRATION}),
    "refunds:review": frozenset({Role.ADMIN, Role.OPS, Role.SERVICE, Role.FINANCE}),
    "refunds:receive": frozenset({Role.ADMIN, Role.OPS, Role.WAREHOUSE}),
    "refunds:configure": frozenset({Role.ADMIN}),
    "vouchers:read": frozenset({Role.ADMIN, Role.FINANCE}),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller."""

    tenant_id: str
    principal: str
    role: Role

    def can(self, permission: str) -> bool:
        return self.role in ROLE_PERMISSIONS[permission]


@dataclass(frozen=True, slots=True)
class ApiKeyCreated:
    """A new key; ``api_key`` is the only time the secret is ever shown."""

    tenant_id: str
    key_id: str
    role: str
    api_key: str


@dataclass(frozen=True, slots=True)
class TenantCreated:
    tenant_id: str
    name: str
    timezone: str
    admin_key: ApiKeyCreated


def require(principal: Principal, permission: str) -> None:
    """Raise ERR_AUTH_FORBIDDEN unless the principal's role grants ``permission``."""
    if not principal.can(permission):
        raise Forbidden(
            f"role {principal.role} may not {permission}",
            permission=permission,
            role=str(principal.role),
        )


def hash_key(api_key: str) -> bytes:
    return hashlib.sha256(api_key.encode()).digest()


def create_tenant(
    db: Database,
    *,
    name: str,
    timezone: str = "Asia/Shanghai",
    payment_timeout_seconds: int = 900,
) -> TenantCreated:
    """Create a tenant and its first admin API key, in one transaction.

    Raises: ERR_VALIDATION (empty name, unknown time zone, non-positive timeout).
    """
    _validate_tenant(name, timezone, payment_timeout_seconds)
    with db.uow() as uow:
        now = uow.clock.now()
        tenant = Tenant(
            id=new_id(),
            name=name.strip(),
            timezone=timezone,
            payment_timeout_seconds=payment_timeout_seconds,
            created_at=now,
        )
        uow.session.add(tenant)
        uow.session.flush()
        key = _add_key(uow.session, tenant.id, Role.ADMIN, "initial admin key", now)
        uow.commit()
    return TenantCreated(tenant.id, tenant.name, tenant.timezone, key)


def create_api_key(db: Database, *, tenant_id: str, role: str, name: str = "") -> ApiKeyCreated:
    """Issue an API key with ``role`` for a tenant.

    Raises: ERR_NOT_FOUND (tenant), ERR_VALIDATION (unknown role).
    """
    try:
        parsed_role = Role(role)
    except ValueError:
        raise ValidationFailed(f"unknown role {role!r}", allowed=[r.value for r in Role]) from None
    with db.uow() as uow:
        if uow.session.get(Tenant, tenant_id) is None:
            raise NotFound("no such tenant", tenant_id=tenant_id)
        key = _add_key(uow.session, tenant_id, parsed_role, name, uow.clock.now())
        uow.commit()
    return key


def authenticate_api_key(db: Database, api_key: str | None) -> Principal:
    """Resolve a bearer key to its principal.

    Raises: ERR_AUTH_REQUIRED (missing, unknown or revoked key).
    """
    if not api_key:
        raise AuthenticationRequired("send Authorization: Bearer <api key>")
    digest = hash_key(api_key)
    cached = _KEY_CACHE.get(digest)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    with db.reader() as session:
        row = session.execute(
            select(ApiKey.tenant_id, ApiKey.id, ApiKey.role).where(
                ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None)
            )
        ).first()
    if row is None:
        raise AuthenticationRequired("unknown or revoked API key")
    principal = Principal(
        tenant_id=row.tenant_id, principal=f"apikey:{row.id}", role=Role(row.role)
    )
    if len(_KEY_CACHE) > 10_000:
        _KEY_CACHE.clear()
    _KEY_CACHE[digest] = (time.monotonic() + KEY_CACHE_SECONDS, principal)
    return principal


def get_tenant(db: Database, tenant_id: str) -> Tenant:
    """Load a tenant's settings. Raises: ERR_NOT_FOUND."""
    with db.reader() as session:
        tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("no such tenant", tenant_id=tenant_id)
    return tenant


def _add_key(
    session: Session, tenant_id: str, role: Role, name: str, now: datetime
) -> ApiKeyCreated:
    secret = "oms_" + secrets.token_urlsafe(32)
    key = ApiKey(
        tenant_id=tenant_id,
        id=new_id(),
        name=name or f"{role} key",
        role=str(role),
        prefix=secret[:12],
        key_hash=hash_key(secret),
        created_at=now,
    )
    session.add(key)
    return ApiKeyCreated(tenant_id=tenant_id, key_id=key.id, role=str(role), api_key=secret)


def _validate_tenant(name: str, timezone: str, payment_timeout_seconds: int) -> None:
    if not name.strip():
        raise ValidationFailed("a tenant needs a name")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(f"unknown time zone {timezone!r}") from None
    if payment_timeout_seconds <= 0:
        raise ValidationFailed("payment timeout must be positive")
