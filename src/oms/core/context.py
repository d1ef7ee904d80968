"""Who is acting, and from where: carried into every audit entry."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Actor"]


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
