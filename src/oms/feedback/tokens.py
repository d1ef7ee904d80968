"""Signed feedback links (``core.signed_links``, purpose ``feedback links``), no login needed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from oms.core.signed_links import read_link, sign_link

__all__ = ["Claims", "make_token", "read_token"]

_PURPOSE = "feedback links"


@dataclass(frozen=True, slots=True)
class Claims:
    tenant_id: str
    refund_id: str
    expires_at: datetime


def make_token(claims: Claims) -> str:
    """A link token carrying tenant, refund and expiry."""
    return sign_link(
        _PURPOSE, {"t": claims.tenant_id, "r": claims.refund_id}, expires_at=claims.expires_at
    )


def read_token(token: str, *, now: datetime) -> Claims | None:
    """The claims of a genuine, unexpired token; None for anything else."""
    payload = read_link(_PURPOSE, token, now=now)
    if payload is None:
        return None
    try:
        return Claims(
            str(payload["t"]), str(payload["r"]), datetime.fromtimestamp(payload["e"], UTC)
        )
    except (KeyError, TypeError, ValueError):
        return None
