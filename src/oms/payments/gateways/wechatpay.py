"""WeChat Pay API v3: notifications (SHA256-RSA, AEAD_AES_256_GCM), the order query, refunds
and bills.

The signed message is ``timestamp\\nnonce\\nbody\\n`` for notifications and query answers
alike, verified with the platform public key that ``Wechatpay-Serial`` names; requests carry a
``WECHATPAY2-SHA256-RSA2048`` Authorization signed with the merchant's private key.

Refunds: ``POST /v3/refund/domestic/refunds`` with ``out_refund_no`` = the refund id. Bills:
``GET /v3/bill/tradebill`` or ``/v3/bill/fundflowbill`` → ``download_url``, fetched with a
signed request too; the file's SHA1 must equal the answer's ``hash_value``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeGuard
from urllib.parse import quote, urlsplit

import httpx
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from oms.core.errors import AppError
from oms.core.instants import check_instant
from oms.core.money import MAX_AMOUNT
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
    DONE,
    FAILED,
    PENDING,
    BillFile,
    Download,
    Ignored,
    Notified,
    NotifyAnswer,
    Queried,
    RefundAnswer,
    RefundCall,
    RefundNotified,
    Verified,
    json_refusal,
    rsa_sign,
    rsa_verify,
    send,
)
from oms.payments.schemas import GatewayConfigIn, GatewayName, WechatPayConfigIn

__all__ = [
    "SOURCE",
    "WechatPayCredentials",
    "WechatPayGateway",
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
# Unix seconds in ASCII digits only: str.isdigit() also takes "²" or "٣", which int() refuses
# or reads, and 400 digits overflow the float the skew check needs. 12 digits reach year 33658.
_TIMESTAMP = re.compile(r"[0-9]{1,12}", re.ASCII)
_REFUND_PATH = "/v3/refund/domestic/refunds"
# The codes for "no bill for that day" (not an error: nothing to do).
_NO_BILL = frozenset({"NO_STATEMENT_EXIST", "STATEMENT_CREATING"})


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
    if not (_TIMESTAMP.fullmatch(stamp) and nonce and signature and serial):
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
    if not _is_fen(total):
        raise MalformedNotification(f"amount.total must be an integer from 0 to {MAX_AMOUNT} fen")
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
    if not _is_fen(fen):
        raise MalformedNotification(f"amount.refund must be an integer from 0 to {MAX_AMOUNT} fen")
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
        amount=total if _is_fen(total) else None,
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


def _is_fen(value: object) -> TypeGuard[int]:
    """An amount oms can store: an int (not a bool) within the bounds of every amount."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_AMOUNT


def _rfc3339(value: object) -> datetime | None:
    """An aware time within oms's date-time range, or None (the time is informative only)."""
    if not isinstance(value, str):
        return None
    try:
        return check_instant(datetime.fromisoformat(value))
    except ValueError:
        return None


def refund(
    creds: WechatPayCredentials, call: RefundCall, *, now: datetime, timeout: float
) -> RefundAnswer:
    """``POST /v3/refund/domestic/refunds``; the answer's signature is checked first.

    Raises httpx.HTTPError, ValueError (not JSON) or the codes of ``verify_signed``.
    """
    body = json.dumps(
        {
            "out_trade_no": call.out_trade_no,
            "out_refund_no": call.refund_id,
            "reason": call.reason,
            "amount": {"refund": call.amount, "total": call.total, "currency": "CNY"},
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )
    headers = {
        "Authorization": authorization(creds, "POST", _REFUND_PATH, body, now=now),
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
    url = creds.base_url.rstrip("/") + _REFUND_PATH
    response = httpx.post(url, content=body.encode(), headers=headers, timeout=timeout)
    verify_signed(response.headers, response.content, creds, now=now)
    answer = json.loads(response.content)
    if response.status_code >= 500 or not isinstance(answer, dict):
        return RefundAnswer(PENDING, error=f"wechatpay answered HTTP {response.status_code}")
    if response.status_code != 200:
        error = f"wechatpay {answer.get('code')}: {answer.get('message')}"
        return RefundAnswer(FAILED, answer, error)
    status = str(answer.get("status", ""))
    if status == "SUCCESS":
        return RefundAnswer(DONE, answer)
    if status == "PROCESSING":
        return RefundAnswer(PENDING, answer, "wechatpay is still processing the refund")
    return RefundAnswer(FAILED, answer, f"wechatpay refund {status or 'without status'}")


def download_bill(
    creds: WechatPayCredentials,
    bill: str,
    bill_date: date,
    *,
    now: datetime,
    timeout: float,
    download: Download,
) -> BillFile | None:
    """One day's ``tradebill`` or ``fundflowbill``. Raises: ERR_PAYMENT_QUERY_FAILED."""
    extra = "bill_type=ALL" if bill == "tradebill" else "account_type=BASIC"
    path = f"/v3/bill/{bill}?bill_date={bill_date.isoformat()}&{extra}"
    headers = {
        "Authorization": authorization(creds, "GET", path, "", now=now),
        "Accept": "application/json",
    }
    answer = send("GET", creds.base_url.rstrip("/") + path, headers=headers, timeout=timeout)
    try:
        verify_signed(answer.headers, answer.content, creds, now=now)
        body = answer.json()
    except (AppError, ValueError) as exc:
        reason = exc.code if isinstance(exc, AppError) else "not JSON"
        raise GatewayQueryFailed(f"wechatpay bill answer rejected: {reason}") from None
    if not isinstance(body, dict):
        raise GatewayQueryFailed("wechatpay bill answer is not a JSON object")
    if answer.status_code != 200:
        if body.get("code") in _NO_BILL:
            return None
        status, code = answer.status_code, body.get("code")
        raise GatewayQueryFailed("wechatpay bill refused", status=status, code=code)
    return _download_bill(creds, body, bill, bill_date, now=now, download=download)


def _download_bill(
    creds: WechatPayCredentials,
    body: Mapping[str, Any],
    bill: str,
    bill_date: date,
    *,
    now: datetime,
    download: Download,
) -> BillFile:
    url, hash_type, hash_value = (
        body.get("download_url"),
        body.get("hash_type"),
        body.get("hash_value"),
    )
    if not isinstance(url, str) or hash_type != "SHA1" or not isinstance(hash_value, str):
        raise GatewayQueryFailed("wechatpay bill answer lacks download_url or its SHA1 hash_value")
    parts = urlsplit(url)
    signed_path = parts.path + (f"?{parts.query}" if parts.query else "")
    data = download(url, {"Authorization": authorization(creds, "GET", signed_path, "", now=now)})
    if not hmac.compare_digest(hashlib.sha1(data).hexdigest(), hash_value.lower()):  # noqa: S324 - the protocol's own check
        raise GatewayQueryFailed("the downloaded wechatpay bill does not match its hash_value")
    return BillFile(data, "wechatpay_bill", f"wechatpay-{bill}-{bill_date.isoformat()}.csv")


class WechatPayGateway:
    """WeChat Pay behind the :class:`~oms.payments.gateways.registry.Gateway` protocol."""

    name = GatewayName.WECHATPAY
    config_model: type[GatewayConfigIn] = WechatPayConfigIn
    public_key_field = "platform_public_key"
    secret_fields: tuple[str, ...] = ("merchant_private_key", "api_v3_key")

    def credentials(
        self, settings: Mapping[str, Any], secrets: Mapping[str, str]
    ) -> WechatPayCredentials:
        fields = {k: v for k, v in settings.items() if k != "public_key"}
        return WechatPayCredentials(platform_public_key=settings["public_key"], **fields, **secrets)

    def verify_notification(
        self, creds: WechatPayCredentials, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> Verified:
        return verify_notification(headers, body, creds, now=now)

    def accepted(self) -> NotifyAnswer:
        return NotifyAnswer(204, b"", None)

    def refused(self, rejection: AppError) -> NotifyAnswer:
        return json_refusal(rejection)

    # The network calls are this module's functions, with the protocol's signatures.
    query_trade = staticmethod(query_trade)
    refund = staticmethod(refund)
    download_bill = staticmethod(download_bill)
