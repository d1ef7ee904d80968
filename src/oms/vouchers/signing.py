"""Canonical JSON, SHA-256 and the tenant's Ed25519 key (created on first use)."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from oms.core.secrets import secret_box
from oms.vouchers.models import VoucherKey

__all__ = [
    "GENESIS_HASH",
    "canonical",
    "digest",
    "is_signature_valid",
    "load_public_key",
    "rfc3339",
    "signing_key",
]

# The prev_hash of a tenant's first voucher.
GENESIS_HASH = "0" * 64
_RAW = serialization.Encoding.Raw
_RAW_PUBLIC = serialization.PublicFormat.Raw
_RAW_PRIVATE = serialization.PrivateFormat.Raw


def canonical(document: dict[str, Any]) -> str:
    """Sorted keys, no spaces, UTF-8 as is: the bytes that are hashed."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(text: str) -> str:
    """Hex SHA-256 of ``text`` in UTF-8."""
    return hashlib.sha256(text.encode()).hexdigest()


def rfc3339(moment: datetime | None) -> str | None:
    """An aware datetime as RFC 3339 in UTC (``…Z``)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _context(tenant_id: str) -> str:
    return f"tenant:{tenant_id}:voucher-key"


def signing_key(session: Session, tenant_id: str, *, now: datetime) -> Ed25519PrivateKey:
    """The tenant's private key; generated and stored (sealed) on first use.

    Call it under the chain-head lock, so two first vouchers cannot both create a key.
    """
    row = session.get(VoucherKey, tenant_id)
    box = secret_box()
    if row is not None:
        raw = base64.b64decode(box.open(row.sealed_private_key, context=_context(tenant_id)))
        return Ed25519PrivateKey.from_private_bytes(raw)
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(_RAW, _RAW_PRIVATE, serialization.NoEncryption())
    public = key.public_key().public_bytes(_RAW, _RAW_PUBLIC)
    session.add(
        VoucherKey(
            tenant_id=tenant_id,
            public_key=base64.b64encode(public).decode(),
            sealed_private_key=box.seal(
                base64.b64encode(private).decode(), context=_context(tenant_id)
            ),
            created_at=now,
        )
    )
    return key


def load_public_key(session: Session, tenant_id: str) -> Ed25519PublicKey | None:
    """The tenant's public voucher key, or None before its first voucher."""
    row = session.get(VoucherKey, tenant_id)
    if row is None:
        return None
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(row.public_key))


def is_signature_valid(public_key: Ed25519PublicKey, hash_hex: str, signature: str) -> bool:
    """True when ``signature`` (base64) signs the 32-byte digest ``hash_hex``."""
    try:
        public_key.verify(base64.b64decode(signature), bytes.fromhex(hash_hex))
    except (InvalidSignature, ValueError):
        return False
    return True
