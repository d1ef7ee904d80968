"""Who is acting, and from where: carried into every audit entry."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Actor", "partner_principal"]


def partner_principal(partner_id: str) -> str:
    """How a partner is named in audit entries and idempotency records of its tenants."""
    return f"partner:{partner_id}"


@dataclass(frozen=True, slots=True)
class Actor:
    """The principal behind a command, with the request facts an auditor asks for."""

    tenant_id: str
    principal: str
    role: str
    client_ip: str | None = None
    user_agent: str | None = None
    body_sha256: str | None = None

    @classmethod
    def system(cls, tenant_id: str, job: str) -> Actor:
        """The actor for work the system does on its own (timeouts, sweeps)."""
        return cls(tenant_id=tenant_id, principal=f"system:{job}", role="system")

    @classmethod
    def partner(cls, partner_id: str, tenant_id: str) -> Actor:
        """A partner's own change to one of its tenants (provision, suspend, resume)."""
        return cls(tenant_id=tenant_id, principal=partner_principal(partner_id), role="partner")
