"""What every gateway adapter produces: verified notifications, query, refund and bill
answers, normalised; and the RSA helpers the adapters sign and verify with.

Adapters verify and parse; they never touch the database. Their network calls (trade query,
refund, bill download) are made by jobs only.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from oms.core.errors import AppError
from oms.payments.errors import GatewayQueryFailed, InvalidGatewayConfig

__all__ = [
    "DONE",
    "FAILED",
    "PENDING",
    "BillFile",
    "Download",
    "Ignored",
    "Notified",
    "NotifyAnswer",
    "Queried",
    "RefundAnswer",
    "RefundCall",
    "RefundNotified",
    "Verified",
    "json_refusal",
    "private_key",
    "public_key",
    "rsa_sign",
    "rsa_verify",
    "send",
]


@dataclass(frozen=True, slots=True)
class Notified:
    """A verified notification that says the buyer paid."""

    message_id: str
    topic: str
    out_trade_no: str
    trade_no: str
    state: str
    amount: int  # minor units (fen)
    currency: str
    paid_at: datetime | None


@dataclass(frozen=True, slots=True)
class RefundNotified:
    """A verified notification about a refund oms asked for (its number is the refund id).

    ``succeeded`` is False for a refund the gateway gave up on (WeChat REFUND.ABNORMAL /
    REFUND.CLOSED). ``amount`` is in fen; Alipay's ``refund_fee`` is the trade's refunded total
    so far (``cumulative``), WeChat's ``amount.refund`` is this refund's own amount.
    """

    message_id: str
    topic: str
    refund_id: str
    succeeded: bool
    status: str
    gateway_ref: str | None
    amount: int | None
    cumulative: bool


@dataclass(frozen=True, slots=True)
class Ignored:
    """A verified notification that is not a payment (a refund, a closed trade)."""

    message_id: str
    topic: str
    reason: str


@dataclass(frozen=True, slots=True)
class Queried:
    """The gateway's own answer about a trade, from its query API, signature checked."""

    state: str
    is_final: bool
    is_paid: bool
    trade_no: str | None = None
    amount: int | None = None
    currency: str | None = None
    paid_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)


Verified = Notified | RefundNotified | Ignored


@dataclass(frozen=True, slots=True)
class NotifyAnswer:
    """What to answer a gateway's notification, independent of the web framework."""

    status: int
    body: bytes
    media_type: str | None


def json_refusal(rejection: AppError) -> NotifyAnswer:
    """The refusal most gateways read: ``{"code": "FAIL", "message": ...}`` with a 4xx."""
    message = f"{rejection.code}: {rejection.message}"
    body = json.dumps({"code": "FAIL", "message": message}, ensure_ascii=False).encode()
    return NotifyAnswer(rejection.http_status, body, "application/json")


DONE, FAILED, PENDING = "done", "failed", "pending"


@dataclass(frozen=True, slots=True)
class RefundCall:
    """A refund to ask a gateway for; its number at the gateway is ``refund_id``."""

    refund_id: str
    out_trade_no: str
    amount: int
    total: int
    reason: str


@dataclass(frozen=True, slots=True)
class RefundAnswer:
    """What the gateway made of a refund: done, failed for good, or not known yet (pending)."""

    kind: str
    facts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True, slots=True)
class BillFile:
    """One day's bill as the gateway served it, with the statement format it parses as."""

    data: bytes
    fmt: str
    filename: str


# GET a file (url, headers) with the caller's size limit; the caller's errors pass through.
Download = Callable[[str, Mapping[str, str]], bytes]


def send(method: str, url: str, **kwargs: object) -> httpx.Response:
    """One request to a gateway. Raises: ERR_PAYMENT_QUERY_FAILED when it gets no answer."""
    try:
        return httpx.request(method, url, **kwargs)  # type: ignore[arg-type]
    except httpx.HTTPError as exc:
        failure = f"{method} {urlsplit(url).netloc} failed: {type(exc).__name__}"
        raise GatewayQueryFailed(failure) from None


@lru_cache(maxsize=64)
def public_key(pem: str) -> rsa.RSAPublicKey:
    """Load an RSA public key (PEM, or bare base64 as gateways show it).

    Raises: ERR_PAYMENT_INVALID_CONFIG.
    """
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError:
        try:
            key = serialization.load_pem_public_key(_wrap_bare_key(pem))
        except ValueError:
            raise InvalidGatewayConfig("not a PEM public key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidGatewayConfig("the public key is not an RSA key")
    return key


@lru_cache(maxsize=64)
def private_key(pem: str) -> rsa.RSAPrivateKey:
    """Load an unencrypted RSA private key PEM. Raises ERR_PAYMENT_INVALID_CONFIG."""
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise InvalidGatewayConfig("not an unencrypted PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidGatewayConfig("the private key is not an RSA key")
    return key


def rsa_verify(pem: str, signature_b64: str, message: bytes) -> bool:
    """RSASSA-PKCS1-v1_5 / SHA-256 over ``message`` with the PEM public key."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        public_key(pem).verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def rsa_sign(pem: str, message: bytes) -> str:
    """Base64 RSASSA-PKCS1-v1_5 / SHA-256 signature with the PEM private key."""
    signature = private_key(pem).sign(message, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def _wrap_bare_key(pem: str) -> bytes:
    # Gateways hand out bare base64 keys too; accept them wrapped as a public key PEM.
    body = "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))
    return f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n".encode()
