"""Signed links a person opens without logging in: ``<claims>.<HMAC-SHA256>``, both base64url.

The key is derived per purpose from ``OMS_SECRET_KEY`` (HKDF, ``SecretBox.derive_key``), so a
token made for one purpose (``feedback links``, ``tracking links``) never opens another. The
MAC is checked in constant time before the claims are read; a token past its ``e`` (expiry,
epoch seconds) reads as nothing. Used by the refund feedback page and the tracking page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from oms.core.secrets import secret_box

__all__ = ["read_link", "sign_link"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(purpose: str, body: str) -> bytes:
    key = secret_box().derive_key(purpose)
    return hmac.new(key, body.encode(), hashlib.sha256).digest()


def sign_link(purpose: str, claims: dict[str, Any], *, expires_at: datetime) -> str:
    """A token carrying ``claims`` (short keys; ``e`` is taken) until ``expires_at``."""
    payload = claims | {"e": int(expires_at.timestamp())}
    body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{body}.{_b64(_mac(purpose, body))}"


def read_link(purpose: str, token: str, *, now: datetime) -> dict[str, Any] | None:
    """The claims of a genuine, unexpired token of ``purpose``; None for anything else."""
    body, _, mac = token.partition(".")
    try:
        if not hmac.compare_digest(_unb64(mac), _mac(purpose, body)):
            return None
        payload = json.loads(_unb64(body))
        expires_at = datetime.fromtimestamp(payload["e"], UTC)
    except (binascii.Error, ValueError, KeyError, TypeError, OverflowError, OSError):
        return None
    if not isinstance(payload, dict) or expires_at <= now:
        return None
    return payload
