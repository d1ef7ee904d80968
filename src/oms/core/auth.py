"""Tenants, API keys, partner keys, roles and what each role may do.

API keys are 256-bit random tokens. Only their SHA-256 is stored: a fast hash is right for a
high-entropy secret (argon2 is for passwords people choose), and the lookup by hash does not
reveal through timing how much of a guess was right. Partner keys (``omsp_…``) are made and
stored the same way; a partner key acts on one of its tenants only when the request names it
(``OMS-Tenant``), as the principal ``partner:<id>`` within that tenant, with the role the
partner chose for it.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog
from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from oms.core.audit import Attempt, Outcome, record_attempt
from oms.core.context import Actor, partner_principal
from oms.core.errors import (
    AuthenticationRequired,
    Forbidden,
    NotFound,
    PartnerKeyRequired,
    PartnerTenantRequired,
    TenantSuspended,
    ValidationFailed,
)
from oms.core.ids import new_id
from oms.core.models import ApiKey, Partner, Tenant
from oms.core.paging import DEFAULT_LIMIT, MAX_LIMIT, Page, PageRequest, fetch_page
from oms.core.shapes import project
from oms.core.tenant_states import TenantStatus
from oms.core.uow import Database

__all__ = [
    "KEY_CACHE_SECONDS",
    "LAST_USED_EVERY",
    "LOCALES",
    "MAX_KEYS_PAGE",
    "PARTNER_KEY_PREFIX",
    "ROLE_PERMISSIONS",
    "ApiKeyCreated",
    "ApiKeyInfo",
    "PartnerCaller",
    "Principal",
    "Role",
    "TenantCreated",
    "api_key_names",
    "authenticate_api_key",
    "authenticate_partner",
    "checking_permissions",
    "clear_key_cache",
    "create_api_key",
    "create_tenant",
    "forget_key",
    "forget_partner_keys",
    "forget_tenant_keys",
    "get_tenant",
    "issue_key",
    "list_api_keys",
    "new_secret",
    "require",
    "revoke_api_key",
]


log = structlog.get_logger("oms.auth")

# Known keys are remembered for a moment per process, so a burst of requests (and the
# second authentication of an Idempotency-Key request) does not pay a database round trip
# each. Only successful lookups are cached. A revoked key is refused by the revoking process
# at once and by every other process within this many seconds: one indexed lookup per key,
# per process, per second is the price of revocation that holds everywhere within 1 s.
KEY_CACHE_SECONDS = 1.0
# Keyed by the key's hash and the tenant the request names (OMS-Tenant), so a partner's
# principal for tenant X is never served to its request for tenant Y.
_KEY_CACHE: dict[tuple[bytes, str | None], tuple[float, Principal]] = {}
PARTNER_KEY_PREFIX = "omsp_"
# The console's languages; a tenant's locale is one of them.
LOCALES: tuple[str, ...] = ("zh-CN", "en")
# ``last_used_at`` is a hint for people deciding which keys to revoke, not a request log:
# it is written at most once per this period per key, never once per request.
LAST_USED_EVERY = timedelta(minutes=1)
MAX_KEYS_PAGE = MAX_LIMIT
# The permissions checked while a request runs (see ``checking_permissions``).
_CHECKED: ContextVar[set[str] | None] = ContextVar("oms_checked_permissions", default=None)


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
    # The console fulfilment desk: parcels by tracking status, stalls, interventions.
    "fulfilment:read": frozenset({Role.ADMIN, Role.OPS, Role.WAREHOUSE}),
    "tickets:write": frozenset({Role.ADMIN, Role.OPS, Role.SERVICE, Role.WAREHOUSE}),
    "payments:configure": frozenset({Role.ADMIN}),
    "channels:configure": frozenset({Role.ADMIN}),
    "channels:health": frozenset({Role.ADMIN, Role.OPS}),
    "webhooks:manage": frozenset({Role.ADMIN, Role.OPS}),
    # Buyer notification rules (fulfilment/notify): channel, template, condition, quiet hours.
    "notifications:manage": frozenset({Role.ADMIN, Role.OPS}),
    "alerts:manage": frozenset({Role.ADMIN}),
    "jobs:read": frozenset({Role.ADMIN, Role.OPS}),
    "jobs:retry": frozenset({Role.ADMIN, Role.OPS}),
    "keys:manage": frozenset({Role.ADMIN}),
    "users:manage": frozenset({Role.ADMIN}),
    "finance:read": frozenset({Role.ADMIN, Role.FINANCE}),
    # BI feeds: every order, payment, refund and parcel of the tenant, without contact data.
    "exports:read": frozenset({Role.ADMIN, Role.OPS, Role.FINANCE, Role.INTEGRATION}),
    "finance:write": frozenset({Role.ADMIN, Role.FINANCE}),
    "refunds:read": frozenset({Role.ADMIN, Role.OPS, Role.SERVICE, Role.FINANCE, Role.INTEGRATION}),
    "refunds:request": frozenset({Role.ADMIN, Role.OPS, Role.SERVICE, Role.INTEGRATION}),
    "refunds:review": frozenset({Role.ADMIN, Role.OPS, Role.SERVICE, Role.FINANCE}),
    "refunds:receive": frozenset({Role.ADMIN, Role.OPS, Role.WAREHOUSE}),
    "refunds:configure": frozenset({Role.ADMIN}),
    "vouchers:read": frozenset({Role.ADMIN, Role.FINANCE}),
    # The console accounting page: documents sent to QuickBooks/Kingdee/U8, resends.
    "accounting:read": frozenset({Role.ADMIN, Role.FINANCE}),
    "accounting:resend": frozenset({Role.ADMIN, Role.FINANCE}),
    "risk:read": frozenset({Role.ADMIN, Role.OPS, Role.SERVICE}),
    "risk:review": frozenset({Role.ADMIN, Role.OPS, Role.SERVICE}),
    "risk:configure": frozenset({Role.ADMIN, Role.OPS}),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller."""

    tenant_id: str
    principal: str
    role: Role
    # The partner acting on this tenant through OMS-Tenant; None for the tenant's own keys.
    partner_id: str | None = None

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
class ApiKeyInfo:
    """What may be shown of a key: never the key, at most its last 4 characters."""

    id: str
    name: str
    role: str
    hint: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class PartnerCaller:
    """A partner key used without OMS-Tenant: it may manage its tenants, nothing else."""

    partner_id: str


@dataclass(frozen=True, slots=True)
class TenantCreated:
    tenant_id: str
    name: str
    timezone: str
    admin_key: ApiKeyCreated


def require(principal: Principal, permission: str) -> None:
    """Raise ERR_AUTH_FORBIDDEN unless the principal's role grants ``permission``."""
    checked = _CHECKED.get()
    if checked is not None:
        checked.add(permission)
    if not principal.can(permission):
        raise Forbidden(
            f"role {principal.role} may not {permission}",
            permission=permission,
            role=str(principal.role),
        )


@contextmanager
def checking_permissions() -> Iterator[set[str]]:
    """Collect every permission ``require`` checks inside the block (and the threads it
    starts with a copy of its context): the Idempotency-Key middleware keeps them with a
    stored answer and checks them again before replaying it."""
    checked: set[str] = set()
    token = _CHECKED.set(checked)
    try:
        yield checked
    finally:
        _CHECKED.reset(token)


def hash_key(api_key: str) -> bytes:
    return hashlib.sha256(api_key.encode()).digest()


def create_tenant(
    db: Database,
    *,
    name: str,
    timezone: str = "Asia/Shanghai",
    payment_timeout_seconds: int = 900,
    locale: str = "zh-CN",
    partner_id: str | None = None,
    partner_role: Role = Role.INTEGRATION,
    external_ref: str | None = None,
) -> TenantCreated:
    """Create a tenant and its first admin API key, in one transaction; with ``partner_id``
    the tenant belongs to that partner, which acts on it with ``partner_role``.

    Raises: ERR_VALIDATION (empty name, unknown time zone or locale, non-positive timeout).
    """
    _validate_tenant(name, timezone, payment_timeout_seconds, locale)
    with db.uow() as uow:
        now = uow.clock.now()
        tenant = Tenant(
            id=new_id(),
            name=name.strip(),
            timezone=timezone,
            payment_timeout_seconds=payment_timeout_seconds,
            created_at=now,
            status=str(TenantStatus.ACTIVE),
            locale=locale,
            partner_id=partner_id,
            partner_role=str(partner_role) if partner_id else None,
            external_ref=external_ref,
        )
        uow.session.add(tenant)
        uow.session.flush()
        key = issue_key(uow.session, tenant.id, Role.ADMIN, "initial admin key", now)
        if partner_id is not None:
            actor = Actor.partner(partner_id, tenant.id)
            attempt = Attempt(
                aggregate_type="tenant",
                aggregate_id=tenant.id,
                event="provision",
                outcome=Outcome.APPLIED,
                to_status=tenant.status,
                details={"partner_id": partner_id, "partner_role": tenant.partner_role},
            )
            record_attempt(uow.session, actor, attempt, now=now)
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
        key = issue_key(uow.session, tenant_id, parsed_role, name, uow.clock.now())
        uow.commit()
    return key


def authenticate_api_key(
    db: Database, api_key: str | None, *, acting_tenant: str | None = None
) -> Principal:
    """Resolve a bearer key, and the tenant the request names (``OMS-Tenant``), to its
    principal: a tenant's own key, or a partner key acting on one of its tenants.

    Raises: ERR_AUTH_REQUIRED (missing, unknown or revoked key), ERR_NOT_FOUND (a tenant that
    is not the key's, or not the partner's), ERR_PARTNER_TENANT_REQUIRED (a partner key
    without OMS-Tenant), ERR_TENANT_SUSPENDED.
    """
    if not api_key:
        raise AuthenticationRequired("send Authorization: Bearer <api key>")
    digest = hash_key(api_key)
    cache_key = (digest, acting_tenant)
    cached = _KEY_CACHE.get(cache_key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    if api_key.startswith(PARTNER_KEY_PREFIX):
        principal = _partner_principal(db, digest, acting_tenant)
    else:
        principal = _tenant_key_principal(db, digest, acting_tenant)
    if len(_KEY_CACHE) > 10_000:
        _KEY_CACHE.clear()
    _KEY_CACHE[cache_key] = (time.monotonic() + KEY_CACHE_SECONDS, principal)
    return principal


def authenticate_partner(db: Database, api_key: str | None) -> PartnerCaller:
    """Resolve a partner key for the partner's own routes (``/api/v1/tenants``).

    Raises: ERR_AUTH_REQUIRED (missing or unknown key), ERR_PARTNER_KEY_REQUIRED (a tenant's
    key).
    """
    if not api_key:
        raise AuthenticationRequired("send Authorization: Bearer <partner key>")
    if not api_key.startswith(PARTNER_KEY_PREFIX):
        authenticate_api_key(db, api_key)  # an unknown key is a 401, a tenant's key a 403
        raise PartnerKeyRequired("this route takes a partner key, not a tenant's API key")
    partner_id = _partner_id(db, hash_key(api_key))
    return PartnerCaller(partner_id=partner_id)


def _tenant_key_principal(db: Database, digest: bytes, acting_tenant: str | None) -> Principal:
    with db.reader() as session:
        row = session.execute(
            select(ApiKey.tenant_id, ApiKey.id, ApiKey.role, ApiKey.last_used_at, Tenant.status)
            .join(Tenant, Tenant.id == ApiKey.tenant_id)
            .where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))
        ).first()
    if row is None:
        raise AuthenticationRequired("unknown or revoked API key")
    if acting_tenant is not None and acting_tenant != row.tenant_id:
        # A tenant's key names only its own tenant; any other is somebody else's: 404.
        raise NotFound("no such tenant", tenant_id=acting_tenant)
    if row.status == TenantStatus.SUSPENDED:
        raise TenantSuspended(tenant_id=row.tenant_id)
    _note_use(db, row.tenant_id, row.id, row.last_used_at)
    return Principal(tenant_id=row.tenant_id, principal=f"apikey:{row.id}", role=Role(row.role))


def _partner_id(db: Database, digest: bytes) -> str:
    with db.reader() as session:
        partner_id = session.scalar(select(Partner.id).where(Partner.key_hash == digest))
    if partner_id is None:
        raise AuthenticationRequired("unknown partner key")
    return partner_id


def _partner_principal(db: Database, digest: bytes, acting_tenant: str | None) -> Principal:
    partner_id = _partner_id(db, digest)
    if acting_tenant is None:
        raise PartnerTenantRequired()
    with db.reader() as session:
        row = session.execute(
            select(Tenant.status, Tenant.partner_role).where(
                Tenant.id == acting_tenant, Tenant.partner_id == partner_id
            )
        ).first()
    if row is None:
        raise NotFound("no such tenant", tenant_id=acting_tenant)
    if row.status == TenantStatus.SUSPENDED:
        raise TenantSuspended(tenant_id=acting_tenant)
    return Principal(
        tenant_id=acting_tenant,
        # Distinct from every key of the tenant, and (with the tenant id that scopes every
        # idempotency record) from the same partner acting on another tenant.
        principal=partner_principal(partner_id),
        role=Role(row.partner_role or Role.INTEGRATION),
        partner_id=partner_id,
    )


def clear_key_cache() -> None:
    """Forget every cached key in this process (tests, and after a revocation)."""
    _KEY_CACHE.clear()


def forget_tenant_keys(tenant_id: str) -> None:
    """Forget this process's cached principals of a tenant (suspended, or its partner's role
    changed): refused or re-roled here at once, elsewhere within KEY_CACHE_SECONDS."""
    for cache_key, (_, cached) in list(_KEY_CACHE.items()):
        if cached.tenant_id == tenant_id:
            _KEY_CACHE.pop(cache_key, None)


def forget_partner_keys(partner_id: str) -> None:
    """Forget this process's cached principals of a partner (its key was rotated)."""
    for cache_key, (_, cached) in list(_KEY_CACHE.items()):
        if cached.partner_id == partner_id:
            _KEY_CACHE.pop(cache_key, None)


def _note_use(db: Database, tenant_id: str, key_id: str, last_used: datetime | None) -> None:
    """Move ``last_used_at`` forward when it is older than LAST_USED_EVERY.

    Only reached on a cache miss, and the UPDATE is conditional, so processes that race write
    once between them and a busy key costs one write a minute.
    """
    now = db.clock.now()
    stale = now - LAST_USED_EVERY
    if last_used is not None and last_used > stale:
        return
    try:
        with db.uow() as uow:
            uow.session.execute(
                update(ApiKey)
                .where(
                    ApiKey.tenant_id == tenant_id,
                    ApiKey.id == key_id,
                    or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= stale),
                )
                .values(last_used_at=now)
            )
            uow.commit()
    except SQLAlchemyError:
        # Bookkeeping only: a busy or read-only database must not turn a valid key away.
        log.warning("auth.last_used_not_written", key_id=key_id, exc_info=True)


def list_api_keys(
    db: Database, *, tenant_id: str, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[ApiKeyInfo]:
    """The tenant's keys, oldest first, revoked ones included, ``limit`` at a time.

    Raises: ERR_VALIDATION (a cursor not made here, a limit outside 1..MAX_LIMIT).
    """
    if not 1 <= limit <= MAX_KEYS_PAGE:
        raise ValidationFailed(f"limit must be 1..{MAX_KEYS_PAGE}", field="limit")
    stmt = select(ApiKey).where(ApiKey.tenant_id == tenant_id)
    keys: list[ColumnElement[Any]] = [ApiKey.created_at.expression, ApiKey.id.expression]
    with db.reader() as session:
        rows = fetch_page(
            session, stmt, keys, PageRequest(limit=limit, cursor=cursor), scope="api-keys"
        )
        return rows.page([_info(r[0]) for r in rows.rows])


def api_key_names(db: Database, tenant_id: str, key_ids: Iterable[str]) -> dict[str, str]:
    """Key id → the name it was given (or ``prefix…hint`` when unnamed), for this tenant."""
    wanted = sorted(set(key_ids))
    if not wanted:
        return {}
    stmt = select(ApiKey.id, ApiKey.name, ApiKey.prefix, ApiKey.hint).where(
        ApiKey.tenant_id == tenant_id, ApiKey.id.in_(wanted)
    )
    with db.reader() as session:
        return {r.id: r.name or f"{r.prefix}…{r.hint or ''}" for r in session.execute(stmt)}


def revoke_api_key(db: Database, actor: Actor, key_id: str) -> ApiKeyInfo:
    """Revoke a key of the actor's tenant; revoking it again changes nothing.

    This process refuses the key at once; every other process within KEY_CACHE_SECONDS.
    Raises: ERR_NOT_FOUND (no such key in this tenant).
    """
    with db.uow() as uow:
        key = uow.session.scalars(
            select(ApiKey)
            .where(ApiKey.tenant_id == actor.tenant_id, ApiKey.id == key_id)
            .with_for_update()
        ).first()
        if key is None:
            raise NotFound("no such API key", key_id=key_id)
        now = uow.clock.now()
        outcome = Outcome.DUPLICATE if key.revoked_at is not None else Outcome.APPLIED
        if key.revoked_at is None:
            key.revoked_at = now
        record_attempt(
            uow.session,
            actor,
            Attempt(aggregate_type="api_key", aggregate_id=key.id, event="revoke", outcome=outcome),
            now=now,
        )
        uow.commit()
        info = _info(key)
    forget_key(key_id)
    return info


def forget_key(key_id: str) -> None:
    """Forget this process's cached principals of a key (revoked)."""
    principal = f"apikey:{key_id}"
    for digest, (_, cached) in list(_KEY_CACHE.items()):
        if cached.principal == principal:
            _KEY_CACHE.pop(digest, None)


def _info(key: ApiKey) -> ApiKeyInfo:
    return project(ApiKeyInfo, key)


def get_tenant(db: Database, tenant_id: str) -> Tenant:
    """Load a tenant's settings. Raises: ERR_NOT_FOUND."""
    with db.reader() as session:
        tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("no such tenant", tenant_id=tenant_id)
    return tenant


def new_secret(prefix: str = "oms_") -> tuple[str, bytes]:
    """A new 256-bit key with ``prefix``, and the SHA-256 that is all we keep of it."""
    secret = prefix + secrets.token_urlsafe(32)
    return secret, hash_key(secret)


def issue_key(
    session: Session, tenant_id: str, role: Role, name: str, now: datetime
) -> ApiKeyCreated:
    """Add a new key to the caller's transaction (the secret is in the answer only)."""
    secret, digest = new_secret()
    key = ApiKey(
        tenant_id=tenant_id,
        id=new_id(),
        name=name or f"{role} key",
        role=str(role),
        prefix=secret[:12],
        hint=secret[-4:],
        key_hash=digest,
        created_at=now,
    )
    session.add(key)
    return ApiKeyCreated(tenant_id=tenant_id, key_id=key.id, role=str(role), api_key=secret)


def _validate_tenant(name: str, timezone: str, payment_timeout_seconds: int, locale: str) -> None:
    if locale not in LOCALES:
        raise ValidationFailed(f"unsupported locale {locale!r}", allowed=list(LOCALES))
    if not name.strip():
        raise ValidationFailed("a tenant needs a name")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(f"unknown time zone {timezone!r}") from None
    if payment_timeout_seconds <= 0:
        raise ValidationFailed("payment timeout must be positive")
