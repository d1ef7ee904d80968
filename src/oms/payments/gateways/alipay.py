"""Alipay Open Platform, RSA2: asynchronous notifications and ``alipay.trade.query``.

Notifications are verified over the sorted ``k=v`` string of every parameter but ``sign`` and
``sign_type`` (empty values kept), with the Alipay public key. Query requests are signed the
same way with the merchant's private key (empty values dropped), and the answer is verified
over the exact text of ``alipay_trade_query_response``, never a re-serialisation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import httpx

from oms.payments.errors import (
    BadSignature,
    GatewayQueryFailed,
    MalformedNotification,
    UnknownApp,
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
    "AlipayCredentials",
    "parse_form",
    "query_trade",
    "response_text",
    "signing_string",
    "verify_notification",
    "yuan_to_fen",
]

SOURCE = "gateway:alipay"
_PAID = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})
_FINAL = _PAID | {"TRADE_CLOSED"}
_BEIJING = ZoneInfo("Asia/Shanghai")
_RESPONSE_KEY = "alipay_trade_query_response"


@dataclass(frozen=True, slots=True)
class AlipayCredentials:
    app_id: str
    gateway_public_key: str
    merchant_private_key: str = field(repr=False)
    base_url: str


def parse_form(body: bytes) -> dict[str, str]:
    """Decode a form body in the charset it names. Raises: ERR_PAYMENT_MALFORMED_NOTIFICATION."""
    try:
        text = body.decode("ascii")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
        charset = dict(pairs).get("charset", "utf-8") or "utf-8"
        if charset.lower() not in ("utf-8", "utf8"):
            pairs = parse_qsl(
                text, keep_blank_values=True, strict_parsing=True, encoding=charset, errors="strict"
            )
        else:
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (UnicodeError, ValueError, LookupError):
        raise MalformedNotification("the body is not a form in its charset") from None
    params = dict(pairs)
    if len(params) != len(pairs):
        raise MalformedNotification("a parameter appears twice")
    return params


def signing_string(params: Mapping[str, str], *, drop_empty: bool = False) -> str:
    """The sorted ``k=v&k=v`` string Alipay signs (without ``sign`` and, for notifications,
    ``sign_type``)."""
    items = sorted((k, v) for k, v in params.items() if k not in ("sign", "sign_type"))
    return "&".join(f"{k}={v}" for k, v in items if not (drop_empty and v == ""))


def verify_notification(
    params: Mapping[str, str], creds: AlipayCredentials
) -> Notified | RefundNotified | Ignored:
    """Check signature and app id, then normalise. Raises: ERR_PAYMENT_BAD_SIGNATURE,
    ERR_PAYMENT_UNKNOWN_APP, ERR_PAYMENT_MALFORMED_NOTIFICATION."""
    if params.get("sign_type") != "RSA2" or not params.get("sign"):
        raise BadSignature("only RSA2-signed notifications are accepted")
    charset = params.get("charset", "utf-8") or "utf-8"
    message = signing_string(params).encode(charset)
    if not rsa_verify(creds.gateway_public_key, params["sign"], message):
        raise BadSignature("the RSA2 signature does not verify with the Alipay public key")
    if params.get("app_id") != creds.app_id:
        raise UnknownApp("the notification is for another app id", app_id=params.get("app_id"))
    return _normalise(params)


def _normalise(params: Mapping[str, str]) -> Notified | RefundNotified | Ignored:
    notify_id, state = _required(params, "notify_id"), params.get("trade_status", "")
    topic = f"{params.get('notify_type', 'trade_status_sync')}:{state}"
    if params.get("out_biz_no"):
        # A refund (partial ones still say TRADE_SUCCESS): never a second payment.
        return _refund_notified(params, notify_id, f"refund:{state}")
    if params.get("gmt_refund") or params.get("refund_fee"):
        return Ignored(notify_id, topic, "refund notification without out_biz_no")
    if state not in _PAID:
        return Ignored(notify_id, topic, f"trade status {state or 'missing'}")
    return Notified(
        message_id=notify_id,
        topic=topic,
        out_trade_no=_required(params, "out_trade_no"),
        trade_no=_required(params, "trade_no"),
        state=state,
        amount=yuan_to_fen(_required(params, "total_amount")),
        currency="CNY",
        paid_at=_beijing_time(params.get("gmt_payment")),
    )


def _refund_notified(params: Mapping[str, str], notify_id: str, topic: str) -> RefundNotified:
    fee = params.get("refund_fee", "")
    return RefundNotified(
        message_id=notify_id,
        topic=topic,
        refund_id=params["out_biz_no"],
        succeeded=True,  # Alipay notifies refunds that moved money only
        status=params.get("trade_status", ""),
        gateway_ref=params.get("trade_no") or None,
        amount=yuan_to_fen(fee) if fee else None,
        cumulative=True,
    )


def yuan_to_fen(text: str) -> int:
    """``"123.45"`` → ``12345``, exactly. Raises: ERR_PAYMENT_MALFORMED_NOTIFICATION."""
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise MalformedNotification("not a decimal amount", amount=text) from None
    fen = amount * 100
    if not amount.is_finite() or amount < 0 or fen != fen.to_integral_value():
        raise MalformedNotification("not an amount in yuan and fen", amount=text)
    return int(fen)


def query_trade(
    creds: AlipayCredentials, out_trade_no: str, *, now: datetime, timeout: float
) -> Queried:
    """Call ``alipay.trade.query`` and verify its answer. Raises: ERR_PAYMENT_QUERY_FAILED."""
    params = {
        "app_id": creds.app_id,
        "method": "alipay.trade.query",
        "format": "JSON",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": now.astimezone(_BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
        "version": "1.0",
        "biz_content": json.dumps({"out_trade_no": out_trade_no}, separators=(",", ":")),
    }
    to_sign = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if v != "")
    params["sign"] = rsa_sign(creds.merchant_private_key, to_sign.encode())
    try:
        response = httpx.post(creds.base_url, data=params, timeout=timeout)
    except httpx.HTTPError as exc:
        raise GatewayQueryFailed(f"alipay query failed: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise GatewayQueryFailed("alipay query answered", status=response.status_code)
    return _read_answer(response.content, creds)


def _read_answer(content: bytes, creds: AlipayCredentials) -> Queried:
    try:
        text = content.decode("utf-8")
        signature = json.loads(text).get("sign")
        signed = response_text(text, _RESPONSE_KEY)
    except (UnicodeError, ValueError, AttributeError):
        raise GatewayQueryFailed("alipay query answer is not the expected JSON") from None
    if not signature or not rsa_verify(creds.gateway_public_key, signature, signed.encode()):
        raise GatewayQueryFailed("alipay query answer does not verify with the Alipay public key")
    return _queried(json.loads(signed))


def _queried(body: dict[str, Any]) -> Queried:
    if body.get("code") == "40004" and body.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
        return Queried(state="TRADE_NOT_EXIST", is_final=False, is_paid=False, raw=body)
    if body.get("code") != "10000":
        raise GatewayQueryFailed(
            "alipay query refused", code=body.get("code"), sub_code=body.get("sub_code")
        )
    state = str(body.get("trade_status", ""))
    try:
        amount = yuan_to_fen(str(body.get("total_amount", "")))
    except MalformedNotification:
        raise GatewayQueryFailed("alipay query answer has no valid total_amount") from None
    return Queried(
        state=state,
        is_final=state in _FINAL,
        is_paid=state in _PAID,
        trade_no=body.get("trade_no"),
        amount=amount,
        currency="CNY",
        paid_at=_beijing_time(body.get("send_pay_date")),
        raw=body,
    )


def response_text(text: str, key: str) -> str:
    """The exact text of top-level member ``key`` of a JSON object. Raises ValueError."""
    decoder = json.JSONDecoder()
    at = _skip_ws(text, 0)
    if text[at : at + 1] != "{":
        raise ValueError("not a JSON object")
    at = _skip_ws(text, at + 1)
    while text[at : at + 1] != "}":
        name, at = decoder.raw_decode(text, at)
        at = _skip_ws(text, at)
        if text[at : at + 1] != ":":
            raise ValueError("expected ':'")
        start = _skip_ws(text, at + 1)
        _, end = decoder.raw_decode(text, start)
        if name == key:
            return text[start:end]
        at = _skip_ws(text, end)
        if text[at : at + 1] == ",":
            at = _skip_ws(text, at + 1)
    raise ValueError(f"no member {key}")


def _skip_ws(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t\r\n":
        at += 1
    return at


def _required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name, "")
    if not value:
        raise MalformedNotification(f"the notification has no {name}")
    return value


def _beijing_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        local = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=_BEIJING)
    except ValueError:
        return None
    return local.astimezone(UTC)
