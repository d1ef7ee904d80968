"""Life of a tenant: active ⇄ suspended, the one place its status changes.

A partner suspends a tenant it provisioned (unpaid invoice, merchant gone) and resumes it
later; nothing is deleted. While suspended the tenant's keys, and its partner acting on it,
answer 403 ERR_TENANT_SUSPENDED; platform and gateway deliveries are still stored (intake
authenticates by signature, not by key).
"""

from __future__ import annotations

from enum import StrEnum

from oms.core.errors import Conflict
from oms.core.states import Machine, refusal

__all__ = ["TENANT_MACHINE", "TenantStatus"]


class TenantStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


S = TenantStatus

TENANT_MACHINE: Machine[TenantStatus] = Machine(
    name="tenant",
    status=TenantStatus,
    table={S.ACTIVE: frozenset({S.SUSPENDED}), S.SUSPENDED: frozenset({S.ACTIVE})},
    error=refusal(Conflict),
    stamps={S.SUSPENDED: ("suspended_at",)},
    touch=None,
)
