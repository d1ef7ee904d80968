"""Signed feedback links: ``<claims>.<HMAC-SHA256>``, both base64url, no login needed.

The key is derived from ``OMS_SECRET_KEY`` (HKDF, purpose ``feedback links``); the MAC is
checked in constant time before the claims are read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from oms.core.secrets import secret_box

__all__ = ["Claims", "make_token", "read_token"]


@dataclass(frozen=True, slots=True)
class Claims:
    tenant_id: str
    refund_id: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(body: str) -> bytes:
    key = secret_box().derive_key("feedback links")
    return hmac.new(key, body.encode(), hashlib.sha256).digest()


def make_token(claims: Claims) -> str:
    """A link token carrying tenant, refund and expiry."""
    payload = {
        "t": claims.tenant_id,
        "r": claims.refund_id,
        "e": int(claims.expires_at.timestamp()),
    }
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body}.{_b64(_mac(body))}"


def read_token(token: str, *, now: datetime) -> Claims | None:
    """The claims of a genuine, unexpired token; None for anything else."""
    body, _, mac = token.partition(".")
    try:
        is_genuine = hmac.compare_digest(_unb64(mac), _mac(body))
        payload = json.loads(_unb64(body)) if is_genuine else None
        claims = (
            Claims(str(payload["t"]), str(payload["r"]), datetime.fromtimestamp(payload["e"], UTC))
            if payload
            else None
        )
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None
    if claims is None or claims.expires_at <= now:
        return None
    return claims
