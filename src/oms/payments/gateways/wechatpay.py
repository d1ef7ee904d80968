"""WeChat Pay API v3: notifications (SHA256-RSA, AEAD_AES_256_GCM) and the order query.

The signed message is ``timestamp\\nnonce\\nbody\\n`` for notifications and query answers
alike, verified with the platform public key that ``Wechatpay-Serial`` names; requests carry a
``WECHATPAY2-SHA256-RSA2048`` Authorization signed with the merchant's private key.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from oms.core.errors import AppError
from oms.payments.errors import (
    BadSignature,
    GatewayQueryFailed,
    MalformedNotification,
    StaleTimestamp,
    UndecryptableResource,
    UnknownApp,
    UnknownSerial,
)
from oms.payments.gateways.base import (
    Ignored,
    Notified,
    Queried,
    RefundNotified,
    rsa_sign,
    rsa_verify,
)

__all__ = [
    "SOURCE",
    "WechatPayCredentials",
    "authorization",
    "decrypt_resource",
    "query_trade",
    "verify_notification",
    "verify_signed",
]

SOURCE = "gateway:wechatpay"
MAX_SKEW_SECONDS = 300
_SCHEME = "WECHATPAY2-SHA256-RSA2048"
_NOT_FINAL = frozenset({"NOTPAY", "USERPAYING"})
_REFUND_EVENTS = frozenset({"REFUND.SUCCESS", "REFUND.ABNORMAL", "REFUND.CLOSED"})


@dataclass(frozen=True, slots=True)
class WechatPayCredentials:
    mch_id: str
    app_id: str
    api_v3_key: str = field(repr=False)
    platform_public_key: str
    platform_public_key_id: str
    merchant_private_key: str = field(repr=False)
    merchant_serial: str
    base_url: str


def verify_signed(
    headers: Mapping[str, str], body: bytes, creds: WechatPayCredentials, *, now: datetime
) -> None:
    """Check serial, timestamp window and signature of a notification or query answer.

    Raises: ERR_PAYMENT_MALFORMED_NOTIFICATION, ERR_PAYMENT_UNKNOWN_SERIAL,
    ERR_PAYMENT_STALE_TIMESTAMP, ERR_PAYMENT_BAD_SIGNATURE.
    """
    stamp, nonce = headers.get("wechatpay-timestamp", ""), headers.get("wechatpay-nonce", "")
    signature, serial = headers.get("wechatpay-signature", ""), headers.get("wechatpay-serial")
    if not (stamp.isdigit() and nonce and signature and serial):
        raise MalformedNotification("Wechatpay-Timestamp, -Nonce, -Signature and -Serial needed")
    if serial != creds.platform_public_key_id:
        raise UnknownSerial("Wechatpay-Serial names a key that is not configured", serial=serial)
    if abs(now.timestamp() - int(stamp)) > MAX_SKEW_SECONDS:
        raise StaleTimestamp("the timestamp is more than 300 s away", timestamp=int(stamp))
    message = stamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"
    # Probes (WECHATPAY/SIGNTEST/...) are not base64 and fail here, as they must.
    if not rsa_verify(creds.platform_public_key, signature, message):
        raise BadSignature("the signature does not verify with the platform public key")


def verify_notification(
    headers: Mapping[str, str], body: bytes, creds: WechatPayCredentials, *, now: datetime
) -> Notified | RefundNotified | Ignored:
    """Verify, decrypt and normalise a notification. Raises the codes of ``verify_signed``,
    ERR_PAYMENT_UNDECRYPTABLE and ERR_PAYMENT_UNKNOWN_APP."""
    verify_signed(headers, body, creds, now=now)
    envelope = _json_object(body)
    message_id, event_type = str(envelope.get("id", "")), str(envelope.get("event_type", ""))
    resource = envelope.get("resource")
    if not message_id or not isinstance(resource, dict):
        raise MalformedNotification("the notification has no id or resource")
    transaction = decrypt_resource(resource, creds.api_v3_key)
    if event_type in _REFUND_EVENTS:
        if transaction.get("mchid", creds.mch_id) != creds.mch_id:
            raise UnknownApp("the refund is for another merchant")
        return _refund_notified(message_id, event_type, transaction)
    if event_type != "TRANSACTION.SUCCESS":
        return Ignored(message_id, event_type, f"event {event_type or 'missing'}")
    if transaction.get("appid") != creds.app_id or transaction.get("mchid") != creds.mch_id:
        raise UnknownApp("the transaction is for another app id or merchant")
    return _notified(message_id, event_type, transaction)


def decrypt_resource(resource: Mapping[str, Any], api_v3_key: str) -> dict[str, Any]:
    """AEAD_AES_256_GCM-decrypt a notification resource. Raises: ERR_PAYMENT_UNDECRYPTABLE."""
    try:
        if resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise ValueError("unknown algorithm")
        aad = str(resource.get("associated_data") or "").encode()
        data = base64.b64decode(str(resource["ciphertext"]), validate=True)
        nonce = str(resource["nonce"]).encode()
        plain = AESGCM(api_v3_key.encode()).decrypt(nonce, data, aad)
        decoded = json.loads(plain)
    except (InvalidTag, KeyError, ValueError, TypeError):
        raise UndecryptableResource("the resource does not decrypt with the API v3 key") from None
    if not isinstance(decoded, dict):
        raise UndecryptableResource("the resource is not a JSON object")
    return decoded


def _notified(message_id: str, topic: str, transaction: Mapping[str, Any]) -> Notified:
    amount = transaction.get("amount")
    total = amount.get("total") if isinstance(amount, dict) else None
    out_trade_no, trade_no = transaction.get("out_trade_no"), transaction.get("transaction_id")
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise MalformedNotification("amount.total must be an integer number of fen")
    if not (isinstance(out_trade_no, str) and out_trade_no and isinstance(trade_no, str)):
        raise MalformedNotification("out_trade_no and transaction_id are needed")
    return Notified(
        message_id=message_id,
        topic=topic,
        out_trade_no=out_trade_no,
        trade_no=trade_no,
        state=str(transaction.get("trade_state", "")),
        amount=total,
        currency=str(amount.get("currency") or "CNY") if isinstance(amount, dict) else "CNY",
        paid_at=_rfc3339(transaction.get("success_time")),
    )


def _refund_notified(message_id: str, event_type: str, refund: Mapping[str, Any]) -> RefundNotified:
    number, status = refund.get("out_refund_no"), str(refund.get("refund_status", ""))
    if not (isinstance(number, str) and number):
        raise MalformedNotification("out_refund_no is needed")
    amount = refund.get("amount")
    fen = amount.get("refund") if isinstance(amount, dict) else None
    if not isinstance(fen, int) or isinstance(fen, bool) or fen < 0:
        raise MalformedNotification("amount.refund must be an integer number of fen")
    gateway_ref = refund.get("refund_id")
    return RefundNotified(
        message_id=message_id,
        topic=event_type,
        refund_id=number,
        succeeded=event_type == "REFUND.SUCCESS" and status in ("SUCCESS", ""),
        status=status or event_type.removeprefix("REFUND."),
        gateway_ref=gateway_ref if isinstance(gateway_ref, str) else None,
        amount=fen,
        cumulative=False,
    )


def authorization(
    creds: WechatPayCredentials, method: str, path: str, body: str, *, now: datetime
) -> str:
    """The Authorization header of a request, signed with the merchant private key."""
    stamp, nonce = str(int(now.timestamp())), secrets.token_hex(16)
    message = f"{method}\n{path}\n{stamp}\n{nonce}\n{body}\n"
    signature = rsa_sign(creds.merchant_private_key, message.encode())
    return (
        f'{_SCHEME} mchid="{creds.mch_id}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{stamp}",serial_no="{creds.merchant_serial}"'
    )


def query_trade(
    creds: WechatPayCredentials, out_trade_no: str, *, now: datetime, timeout: float
) -> Queried:
    """Query a transaction by out_trade_no and verify the answer.

    Raises: ERR_PAYMENT_QUERY_FAILED.
    """
    path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}?mchid={creds.mch_id}"
    headers = {
        "Authorization": authorization(creds, "GET", path, "", now=now),
        "Accept": "application/json",
    }
    try:
        response = httpx.get(creds.base_url.rstrip("/") + path, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise GatewayQueryFailed(f"wechatpay query failed: {type(exc).__name__}") from None
    try:
        verify_signed(response.headers, response.content, creds, now=now)
        body = _json_object(response.content)
    except AppError as error:
        raise GatewayQueryFailed(f"wechatpay query answer rejected: {error.code}") from None
    if response.status_code == 404 and body.get("code") == "ORDER_NOT_EXIST":
        return Queried(state="ORDER_NOT_EXIST", is_final=False, is_paid=False, raw=body)
    if response.status_code != 200:
        raise GatewayQueryFailed("wechatpay query refused", status=response.status_code)
    return _queried(body)


def _queried(body: dict[str, Any]) -> Queried:
    state = str(body.get("trade_state", ""))
    amount = body.get("amount") if isinstance(body.get("amount"), dict) else {}
    total = amount.get("total") if isinstance(amount, dict) else None
    return Queried(
        state=state,
        is_final=state not in _NOT_FINAL,
        is_paid=state == "SUCCESS",
        trade_no=body.get("transaction_id"),
        amount=total if isinstance(total, int) and not isinstance(total, bool) else None,
        currency=str(amount.get("currency") or "CNY") if isinstance(amount, dict) else None,
        paid_at=_rfc3339(body.get("success_time")),
        raw=body,
    )


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        decoded = json.loads(body)
    except ValueError:
        raise MalformedNotification("the body is not JSON") from None
    if not isinstance(decoded, dict):
        raise MalformedNotification("the body is not a JSON object")
    return decoded


def _rfc3339(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
