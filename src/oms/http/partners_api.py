"""A partner's own routes: provision, list, suspend and resume its tenants, rotate keys
(docs/partners.md).

These take the partner key alone (no ``OMS-Tenant``); a tenant's key is refused 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field, StringConstraints

from oms.core import partners
from oms.core.auth import Role
from oms.core.paging import Page, Paging
from oms.core.tenant_states import TenantStatus
from oms.http.deps import CurrentPartner, Db
from oms.http.problems import problems

__all__ = ["partner_router", "router"]

router = APIRouter(prefix="/api/v1/tenants", tags=["partners"])
partner_router = APIRouter(prefix="/api/v1/partner", tags=["partners"])


class TenantIn(BaseModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    timezone: Annotated[str, StringConstraints(max_length=64)] = "Asia/Shanghai"
    payment_timeout_seconds: int = Field(default=900, ge=1, le=30 * 86400)
    locale: Annotated[str, StringConstraints(max_length=16)] = "zh-CN"
    role: Role = Field(
        default=Role.INTEGRATION, description="the role the partner acts with on this tenant"
    )
    external_ref: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
        | None
    ) = Field(
        default=None,
        description="the partner's own id for this merchant: a retry with the same one "
        "makes no second tenant (409 ERR_TENANT_ALREADY_PROVISIONED)",
    )


class TenantCreatedOut(BaseModel):
    """The new tenant and its first admin key: in this answer and nowhere else, ever."""

    tenant_id: str
    api_key: str


class TenantPatch(BaseModel):
    status: TenantStatus | None = Field(default=None, description="suspend or resume")
    role: Role | None = Field(default=None, description="the role the partner acts with")


class PartnerKeyOut(BaseModel):
    """The partner's new key: in this answer and nowhere else, ever."""

    partner_id: str
    partner_key: str


@router.post("", status_code=201, responses=problems(409, 422))
def create_tenant(
    body: TenantIn,
    partner: CurrentPartner,
    db: Db,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=255,
            description="stands for `external_ref` when the body has none",
        ),
    ] = None,
) -> TenantCreatedOut:
    """Provision a tenant of this partner; its first admin API key is shown once. A retry
    with the same ``external_ref`` (or Idempotency-Key) answers 409
    ERR_TENANT_ALREADY_PROVISIONED with the tenant's id, never its key again."""
    created = partners.provision_tenant(
        db,
        partner,
        name=body.name,
        timezone=body.timezone,
        payment_timeout_seconds=body.payment_timeout_seconds,
        locale=body.locale,
        role=body.role,
        external_ref=body.external_ref or idempotency_key,
    )
    return TenantCreatedOut(tenant_id=created.tenant_id, api_key=created.admin_key.api_key)


@router.post("/{tenant_id}/admin-key", status_code=201, responses=problems(403, 404))
def rotate_admin_key(tenant_id: str, partner: CurrentPartner, db: Db) -> TenantCreatedOut:
    """A new admin key for one of this partner's tenants, shown once; the admin keys the
    partner was given before (at provisioning, by an earlier rotation) are revoked."""
    created = partners.rotate_admin_key(db, partner, tenant_id)
    return TenantCreatedOut(tenant_id=tenant_id, api_key=created.api_key)


@router.get("")
def list_tenants(partner: CurrentPartner, db: Db, page: Paging) -> Page[partners.TenantOut]:
    """This partner's tenants, oldest first, suspended ones included; follow ``next_cursor``."""
    return partners.list_tenants(db, partner, page)


@router.patch("/{tenant_id}")
def update_tenant(
    tenant_id: str, body: TenantPatch, partner: CurrentPartner, db: Db
) -> partners.TenantOut:
    """Suspend or resume a tenant (its keys answer 403 ERR_TENANT_SUSPENDED meanwhile; its
    inbound deliveries are still stored), or change the role the partner acts with."""
    change = partners.TenantChange(status=body.status, role=body.role)
    return partners.update_tenant(db, partner, tenant_id, change)


@partner_router.post("/key", status_code=201)
def rotate_partner_key(partner: CurrentPartner, db: Db) -> PartnerKeyOut:
    """A new partner key, shown once; the key that made this call stops working (within a
    second in every process)."""
    rotated = partners.rotate_partner_key(db, partner.partner_id)
    return PartnerKeyOut(partner_id=rotated.partner_id, partner_key=rotated.partner_key)
