"""The buyer's tracking link: ``/track/<token>``, a signed link (``core.signed_links``, purpose
``tracking links``) naming the tenant and the order, valid ``LINK_TTL`` from the day it was
issued. Forged, tampered or expired tokens read as nothing, and the page answers 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from oms.core.signed_links import read_link, sign_link

__all__ = ["LINK_TTL", "LinkClaims", "link_path", "make_link_token", "read_link_token"]

_PURPOSE = "tracking links"
# Long enough for the slowest parcel and a return; the day is the unit, so links issued on
# one day are the same link.
LINK_TTL = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class LinkClaims:
    tenant_id: str
    order_id: str


def make_link_token(tenant_id: str, order_id: str, *, now: datetime) -> tuple[str, datetime]:
    """The token for the order's tracking page and when it expires."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    expires_at = day + LINK_TTL
    return sign_link(_PURPOSE, {"t": tenant_id, "o": order_id}, expires_at=expires_at), expires_at


def read_link_token(token: str, *, now: datetime) -> LinkClaims | None:
    """The tenant and order of a genuine, unexpired token; None for anything else."""
    payload = read_link(_PURPOSE, token[:2000], now=now)
    if (
        payload is None
        or not isinstance(payload.get("t"), str)
        or not isinstance(payload.get("o"), str)
    ):
        return None
    return LinkClaims(payload["t"], payload["o"])


def link_path(token: str) -> str:
    return f"/track/{token}"
