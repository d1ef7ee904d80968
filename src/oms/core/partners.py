"""Partners: SaaS integrators that provision tenants and act for them (docs/partners.md).

A partner is made on the server (``oms partners create``); its key provisions tenants, lists
its own, suspends and resumes them, and with ``OMS-Tenant`` acts on one of them (see
``core.auth.authenticate_api_key``). A tenant belongs to at most one partner, the one that
made it; another partner's tenant, like any tenant not the partner's, is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oms.core.audit import Attempt, Outcome, record_attempt
from oms.core.auth import (
    PARTNER_KEY_PREFIX,
    ApiKeyCreated,
    PartnerCaller,
    Role,
    TenantCreated,
    create_tenant,
    forget_key,
    forget_partner_keys,
    forget_tenant_keys,
    issue_key,
    new_secret,
)
from oms.core.context import Actor
from oms.core.errors import NotFound, TenantAlreadyProvisioned, TenantSuspended, ValidationFailed
from oms.core.ids import new_id
from oms.core.models import ApiKey, Partner, Tenant
from oms.core.paging import Page, PageRequest, fetch_items
from oms.core.tenant_states import TENANT_MACHINE, TenantStatus
from oms.core.uow import Database

__all__ = [
    "PartnerCreated",
    "TenantChange",
    "TenantOut",
    "create_partner",
    "list_tenants",
    "provision_tenant",
    "rotate_admin_key",
    "rotate_partner_key",
    "update_tenant",
]

log = structlog.get_logger("oms.partners")

#: The name of the admin keys a partner is given (at provisioning, then by rotation): the
#: keys a rotation revokes. Keys the tenant's own admins made are theirs and stay.
PARTNER_ADMIN_KEY_NAMES = ("initial admin key", "partner admin key")


@dataclass(frozen=True, slots=True)
class PartnerCreated:
    """A new partner; ``partner_key`` is the only time the key is ever shown."""

    partner_id: str
    partner_key: str


class TenantOut(BaseModel):
    """A partner's tenant as its lists show it (never a key)."""

    tenant_id: str
    name: str
    timezone: str
    payment_timeout_seconds: int
    locale: str
    external_ref: str | None = Field(description="the partner's own reference, if it gave one")
    status: TenantStatus
    role: Role = Field(description="the role the partner acts with on this tenant")
    created_at: datetime
    suspended_at: datetime | None


@dataclass(frozen=True, slots=True)
class TenantChange:
    """What a PATCH asks: a status to move to, a new role for the partner; None keeps it."""

    status: TenantStatus | None = None
    role: Role | None = None


def create_partner(db: Database, *, name: str) -> PartnerCreated:
    """Register a partner and issue its key (shown once, stored as its SHA-256).

    Raises: ERR_VALIDATION (empty name).
    """
    if not name.strip():
        raise ValidationFailed("a partner needs a name")
    secret, digest = new_secret(PARTNER_KEY_PREFIX)
    with db.uow() as uow:
        partner = Partner(
            id=new_id(),
            name=name.strip(),
            prefix=secret[:12],
            hint=secret[-4:],
            key_hash=digest,
            created_at=uow.clock.now(),
        )
        uow.session.add(partner)
        uow.commit()
    return PartnerCreated(partner_id=partner.id, partner_key=secret)


def provision_tenant(
    db: Database,
    caller: PartnerCaller,
    *,
    name: str,
    timezone: str = "Asia/Shanghai",
    payment_timeout_seconds: int = 900,
    locale: str = "zh-CN",
    role: Role = Role.INTEGRATION,
    external_ref: str | None = None,
) -> TenantCreated:
    """A new tenant of the caller's, with its first admin key (in this answer only).

    With ``external_ref`` (the partner's own id for the merchant, or its Idempotency-Key) a
    retry finds the tenant the first call made and makes no second one; its key was in the
    first answer and is never shown again (``rotate_admin_key`` issues a new one).
    Raises: ERR_VALIDATION (empty name, unknown time zone or locale, non-positive timeout),
    ERR_TENANT_ALREADY_PROVISIONED (``details.tenant_id``: the tenant of that reference).
    """
    if external_ref is not None:
        _refuse_known_ref(db, caller, external_ref)
    try:
        return create_tenant(
            db,
            name=name,
            timezone=timezone,
            payment_timeout_seconds=payment_timeout_seconds,
            locale=locale,
            partner_id=caller.partner_id,
            partner_role=role,
            external_ref=external_ref,
        )
    except IntegrityError:
        if external_ref is None:
            raise
        _refuse_known_ref(db, caller, external_ref)  # a concurrent retry made it first
        raise


def _refuse_known_ref(db: Database, caller: PartnerCaller, external_ref: str) -> None:
    with db.reader() as session:
        tenant_id = session.scalar(
            select(Tenant.id).where(
                Tenant.partner_id == caller.partner_id, Tenant.external_ref == external_ref
            )
        )
    if tenant_id is not None:
        raise TenantAlreadyProvisioned(
            "this partner already provisioned a tenant with this reference; its key was in "
            "the first answer (POST /api/v1/tenants/{tenant_id}/admin-key issues a new one)",
            tenant_id=tenant_id,
            external_ref=external_ref,
        )


def rotate_admin_key(db: Database, caller: PartnerCaller, tenant_id: str) -> ApiKeyCreated:
    """A new admin key for one of the caller's tenants (shown once); the admin keys the
    partner was given before are revoked. Keys the tenant's own admins made stay.

    Raises: ERR_NOT_FOUND (not the caller's tenant), ERR_TENANT_SUSPENDED.
    """
    with db.uow() as uow:
        tenant = _own_tenant(uow.session, caller, tenant_id)
        if tenant.status == TenantStatus.SUSPENDED:
            raise TenantSuspended(tenant_id=tenant_id)
        now = uow.clock.now()
        old = uow.session.scalars(
            select(ApiKey).where(
                ApiKey.tenant_id == tenant_id,
                ApiKey.role == str(Role.ADMIN),
                ApiKey.name.in_(PARTNER_ADMIN_KEY_NAMES),
                ApiKey.revoked_at.is_(None),
            )
        ).all()
        for key in old:
            key.revoked_at = now
        created = issue_key(uow.session, tenant_id, Role.ADMIN, PARTNER_ADMIN_KEY_NAMES[1], now)
        attempt = Attempt(
            aggregate_type="api_key",
            aggregate_id=created.key_id,
            event="rotate",
            outcome=Outcome.APPLIED,
            details={"partner_id": caller.partner_id, "revoked": [k.id for k in old]},
        )
        record_attempt(uow.session, Actor.partner(caller.partner_id, tenant_id), attempt, now=now)
        uow.commit()
    for key in old:
        forget_key(key.id)
    return created


def rotate_partner_key(db: Database, partner_id: str) -> PartnerCreated:
    """A new key for the partner (shown once); the old one stops working at once in this
    process and within a second in every other (the key cache's lifetime).

    Raises: ERR_NOT_FOUND (no such partner).
    """
    secret, digest = new_secret(PARTNER_KEY_PREFIX)
    with db.uow() as uow:
        partner = uow.session.get(Partner, partner_id, with_for_update=True)
        if partner is None:
            raise NotFound("no such partner", partner_id=partner_id)
        partner.prefix, partner.hint, partner.key_hash = secret[:12], secret[-4:], digest
        uow.commit()
    forget_partner_keys(partner_id)
    log.info("partners.key_rotated", partner_id=partner_id)
    return PartnerCreated(partner_id=partner_id, partner_key=secret)


def list_tenants(db: Database, caller: PartnerCaller, page: PageRequest) -> Page[TenantOut]:
    """The caller's tenants, oldest first, suspended ones included.

    Raises: ERR_VALIDATION (a cursor not made here).
    """
    stmt = select(Tenant).where(Tenant.partner_id == caller.partner_id)
    with db.reader() as session:
        return fetch_items(
            session, stmt, [Tenant.created_at, Tenant.id], page, _out, scope="partner-tenants"
        )


def update_tenant(
    db: Database, caller: PartnerCaller, tenant_id: str, change: TenantChange
) -> TenantOut:
    """Suspend or resume one of the caller's tenants, or change the role it acts with there.

    Asking for the status the tenant already has changes nothing (audited as a duplicate).
    Raises: ERR_NOT_FOUND (not the caller's tenant).
    """
    with db.uow() as uow:
        tenant = _own_tenant(uow.session, caller, tenant_id)
        now = uow.clock.now()
        before = tenant.status
        moved = change.status is not None and change.status != before
        if moved:
            TENANT_MACHINE.transition(tenant, to=change.status, now=now)
        re_roled = change.role is not None and change.role != tenant.partner_role
        if re_roled:
            tenant.partner_role = str(change.role)
        attempt = Attempt(
            aggregate_type="tenant",
            aggregate_id=tenant.id,
            event="update",
            outcome=Outcome.APPLIED if moved or re_roled else Outcome.DUPLICATE,
            from_status=before,
            to_status=tenant.status,
            details={"partner_id": caller.partner_id, "partner_role": tenant.partner_role},
        )
        record_attempt(uow.session, Actor.partner(caller.partner_id, tenant.id), attempt, now=now)
        uow.commit()
        out = _out(tenant)
    forget_tenant_keys(tenant_id)
    return out


def _own_tenant(session: Session, caller: PartnerCaller, tenant_id: str) -> Tenant:
    tenant = session.scalars(
        select(Tenant)
        .where(Tenant.id == tenant_id, Tenant.partner_id == caller.partner_id)
        .with_for_update()
    ).first()
    if tenant is None:
        raise NotFound("no such tenant", tenant_id=tenant_id)
    return tenant


def _out(tenant: Tenant) -> TenantOut:
    return TenantOut(
        tenant_id=tenant.id,
        name=tenant.name,
        timezone=tenant.timezone,
        payment_timeout_seconds=tenant.payment_timeout_seconds,
        locale=tenant.locale,
        external_ref=tenant.external_ref,
        status=TenantStatus(tenant.status),
        role=Role(tenant.partner_role or Role.INTEGRATION),
        created_at=tenant.created_at,
        suspended_at=tenant.suspended_at,
    )
