"""Secrets at rest: AES-256-GCM under a key derived from ``OMS_SECRET_KEY``.

Gateway keys and channel secrets are sealed before they are stored and opened only where a
signature is made or checked; the API never returns them. Each sealed value is bound to its
context (tenant and purpose) as associated data, so a value copied to another row fails to
open. In development a key is generated once into ``var/secret.key``; in production the
variable is required.
"""

from __future__ import annotations

import base64
import os
import secrets
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from oms.config import Settings, get_settings
from oms.core.errors import AppError

__all__ = ["SecretBox", "SecretUnreadable", "secret_box"]

_PREFIX = "v1:"
_DEV_KEY_FILE = Path("var/secret.key")


class SecretUnreadable(AppError):
    code = "ERR_SECRET_UNREADABLE"
    http_status = 500
    title = "A stored secret cannot be opened with the configured OMS_SECRET_KEY"


class SecretBox:
    """Seal and open small secrets with one key."""

    def __init__(self, master_key: str) -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"oms secrets at rest v1"
        ).derive(master_key.encode())
        self._aead = AESGCM(derived)
        self._master = master_key.encode()

    def derive_key(self, purpose: str) -> bytes:
        """A 32-byte key for ``purpose`` (e.g. signing links), independent of the sealing key."""
        return HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=f"oms {purpose} v1".encode()
        ).derive(self._master)

    def seal(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return _PREFIX + base64.b64encode(nonce + sealed).decode()

    def seal_bytes(self, plaintext: bytes, *, context: str) -> bytes:
        """Like ``seal``, for bytes (stored answers): nonce + ciphertext, no text encoding."""
        nonce = os.urandom(12)
        return _PREFIX.encode() + nonce + self._aead.encrypt(nonce, plaintext, context.encode())

    def open_bytes(self, sealed: bytes, *, context: str) -> bytes:
        """Raises: ERR_SECRET_UNREADABLE (wrong key, wrong context, or tampered)."""
        prefix = _PREFIX.encode()
        if not sealed.startswith(prefix):
            raise SecretUnreadable("unknown sealing format")
        raw = sealed[len(prefix) :]
        try:
            return self._aead.decrypt(raw[:12], raw[12:], context.encode())
        except InvalidTag:
            raise SecretUnreadable("the secret does not open with this key and context") from None

    def open(self, token: str, *, context: str) -> str:
        """Raises: ERR_SECRET_UNREADABLE (wrong key, wrong context, or tampered)."""
        if not token.startswith(_PREFIX):
            raise SecretUnreadable("unknown sealing format")
        raw = base64.b64decode(token[len(_PREFIX) :])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()
        except InvalidTag:
            raise SecretUnreadable("the secret does not open with this key and context") from None


def _master_key(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    if settings.env == "production":
        raise RuntimeError("OMS_SECRET_KEY must be set in production")
    if not _DEV_KEY_FILE.exists():
        _DEV_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        _DEV_KEY_FILE.write_text(secrets.token_urlsafe(32))
        _DEV_KEY_FILE.chmod(0o600)
    return _DEV_KEY_FILE.read_text().strip()


@lru_cache(maxsize=4)
def _box(master_key: str) -> SecretBox:
    return SecretBox(master_key)


def secret_box(settings: Settings | None = None) -> SecretBox:
    """The process's secret box, keyed from ``OMS_SECRET_KEY``."""
    return _box(_master_key(settings or get_settings()))
