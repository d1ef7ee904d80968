"""Alipay Open Platform, RSA2: notifications, ``alipay.trade.query``, refunds and bills.

Notifications are verified over the sorted ``k=v`` string of every parameter but ``sign`` and
``sign_type`` (empty values kept), with the Alipay public key. Query requests are signed the
same way with the merchant's private key (empty values dropped), and the answer is verified
over the exact text of ``alipay_trade_query_response``, never a re-serialisation.

Refunds: ``alipay.trade.refund`` with ``out_request_no`` = the refund id, and (when the answer
says ``fund_change=N``) ``alipay.trade.fastpay.refund.query`` to confirm. Bills:
``alipay.data.dataservice.bill.downloadurl.query`` → ``bill_download_url`` → the zipped CSV.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import httpx

from oms.core.errors import AppError
from oms.core.instants import check_instant
from oms.core.money import MAX_AMOUNT
from oms.payments.errors import (
    BadSignature,
    GatewayQueryFailed,
    MalformedNotification,
    UnknownApp,
    UnknownSeller,
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
    rsa_sign,
    rsa_verify,
    send,
)
from oms.payments.schemas import AlipayConfigIn, GatewayConfigIn, GatewayName

__all__ = [
    "ALIPAY_BILL_METHOD",
    "SOURCE",
    "AlipayCredentials",
    "AlipayGateway",
    "parse_form",
    "query_trade",
    "response_text",
    "signed_request",
    "signing_string",
    "verified_response",
    "verify_notification",
    "yuan_to_fen",
]

SOURCE = "gateway:alipay"
_PAID = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})
_FINAL = _PAID | {"TRADE_CLOSED"}
_BEIJING = ZoneInfo("Asia/Shanghai")
_RESPONSE_KEY = "alipay_trade_query_response"
# Alipay writes yuan as plain ASCII decimals ("730.00"); Decimal() would also take "1e3", "٣"
# or a 400-digit number, none of which Alipay sends or a BIGINT holds.
_YUAN = re.compile(r"[0-9]{1,13}(\.[0-9]{1,2})?", re.ASCII)
_BEIJING_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", re.ASCII)
ALIPAY_BILL_METHOD = "alipay.data.dataservice.bill.downloadurl.query"
# The sub_code for "no bill for that day" (not an error: nothing to do).
_NO_BILL = frozenset({"isp.bill_not_exist"})
_REFUND_TRANSIENT = frozenset(
    {"ACQ.SYSTEM_ERROR", "ACQ.REFUND_CHARGE_ERROR", "aop.ACQ.SYSTEM_ERROR"}
)


@dataclass(frozen=True, slots=True)
class AlipayCredentials:
    app_id: str
    gateway_public_key: str
    merchant_private_key: str = field(repr=False)
    base_url: str
    seller_id: str | None = None  # the merchant's Alipay account (2088…), checked when set


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
    """Check signature, app id and (when configured) seller id, then normalise.

    Raises: ERR_PAYMENT_BAD_SIGNATURE, ERR_PAYMENT_UNKNOWN_APP, ERR_PAYMENT_UNKNOWN_SELLER,
    ERR_PAYMENT_MALFORMED_NOTIFICATION.
    """
    if params.get("sign_type") != "RSA2" or not params.get("sign"):
        raise BadSignature("only RSA2-signed notifications are accepted")
    charset = params.get("charset", "utf-8") or "utf-8"
    message = signing_string(params).encode(charset)
    if not rsa_verify(creds.gateway_public_key, params["sign"], message):
        raise BadSignature("the RSA2 signature does not verify with the Alipay public key")
    if params.get("app_id") != creds.app_id:
        raise UnknownApp("the notification is for another app id", app_id=params.get("app_id"))
    if creds.seller_id is not None and params.get("seller_id") != creds.seller_id:
        # Alipay's guide: a notification for another seller account is not ours to take.
        raise UnknownSeller(
            "the notification is for another seller id", seller_id=params.get("seller_id")
        )
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
    plain = text.strip()
    if not _YUAN.fullmatch(plain):
        raise MalformedNotification("not an amount in yuan and fen", amount=text[:40])
    fen = int(Decimal(plain) * 100)
    if fen > MAX_AMOUNT:
        raise MalformedNotification(f"the amount is over {MAX_AMOUNT} fen", amount=text[:40])
    return fen


def query_trade(
    creds: AlipayCredentials, out_trade_no: str, *, now: datetime, timeout: float
) -> Queried:
    """Call ``alipay.trade.query`` and verify its answer. Raises: ERR_PAYMENT_QUERY_FAILED."""
    params = signed_request(creds, "alipay.trade.query", {"out_trade_no": out_trade_no}, now=now)
    try:
        response = httpx.post(creds.base_url, data=params, timeout=timeout)
    except httpx.HTTPError as exc:
        raise GatewayQueryFailed(f"alipay query failed: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise GatewayQueryFailed("alipay query answered", status=response.status_code)
    return _read_answer(response.content, creds)


def signed_request(
    creds: AlipayCredentials,
    method: str,
    biz: Mapping[str, Any],
    *,
    now: datetime,
    ascii_only: bool = True,
) -> dict[str, str]:
    """The form parameters of an Open Platform call, RSA2-signed with the merchant key.

    ``ascii_only=False`` keeps non-ASCII text (a refund reason) as UTF-8 in ``biz_content``.
    """
    params = {
        "app_id": creds.app_id,
        "method": method,
        "format": "JSON",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": now.astimezone(_BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
        "version": "1.0",
        "biz_content": json.dumps(dict(biz), separators=(",", ":"), ensure_ascii=ascii_only),
    }
    to_sign = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if v != "")
    params["sign"] = rsa_sign(creds.merchant_private_key, to_sign.encode())
    return params


def verified_response(content: bytes, method: str, creds: AlipayCredentials) -> dict[str, Any]:
    """The ``<method>_response`` object of an answer whose signature verifies over its exact text.

    Raises ValueError (not JSON, no such member, or the signature does not verify).
    """
    text = content.decode("utf-8")
    signature = json.loads(text).get("sign")
    signed = response_text(text, method.replace(".", "_") + "_response")
    if not signature or not rsa_verify(creds.gateway_public_key, signature, signed.encode()):
        raise ValueError("the answer does not verify with the Alipay public key")
    body = json.loads(signed)
    if not isinstance(body, dict):
        raise ValueError("the answer is not a JSON object")
    return body


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
    """Alipay's Beijing wall time in UTC, or None when absent or not a time oms accepts."""
    if not text or not _BEIJING_TIME.fullmatch(text):
        return None
    try:
        # Checked before converting: year 1 in Beijing is before year 1 in UTC (OverflowError).
        local = check_instant(datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=_BEIJING))
    except ValueError:
        return None
    return local.astimezone(UTC)


def refund(
    creds: AlipayCredentials, call: RefundCall, *, now: datetime, timeout: float
) -> RefundAnswer:
    """``alipay.trade.refund``; a ``fund_change`` of N is settled by the refund query.

    Raises httpx.HTTPError, or ValueError for an answer that is not signed JSON.
    """
    biz = {
        "out_trade_no": call.out_trade_no,
        "refund_amount": f"{call.amount // 100}.{call.amount % 100:02d}",
        "refund_reason": call.reason,
        "out_request_no": call.refund_id,
    }
    body = _call(creds, "alipay.trade.refund", biz, now=now, timeout=timeout)
    if body.get("code") != "10000":
        sub_code = str(body.get("sub_code", ""))
        kind = PENDING if sub_code in _REFUND_TRANSIENT else FAILED
        return RefundAnswer(
            kind, body, f"alipay {body.get('code')} {sub_code}: {body.get('sub_msg', '')}"
        )
    if body.get("fund_change") == "Y":
        return RefundAnswer(DONE, body)
    # N is no proof either way (a repeat answers N): the refund query decides.
    query = {"out_trade_no": call.out_trade_no, "out_request_no": call.refund_id}
    found = _call(creds, "alipay.trade.fastpay.refund.query", query, now=now, timeout=timeout)
    if found.get("code") == "10000" and found.get("refund_status") == "REFUND_SUCCESS":
        return RefundAnswer(DONE, {**body, "query": found})
    return RefundAnswer(PENDING, {**body, "query": found}, "alipay has no successful refund yet")


def _call(
    creds: AlipayCredentials, method: str, biz: Mapping[str, str], *, now: datetime, timeout: float
) -> dict[str, Any]:
    params = signed_request(creds, method, biz, now=now, ascii_only=False)
    response = httpx.post(creds.base_url, data=params, timeout=timeout)
    if response.status_code != 200:
        raise ValueError(f"alipay answered HTTP {response.status_code}")
    return verified_response(response.content, method, creds)


def download_bill(
    creds: AlipayCredentials,
    bill_type: str,
    bill_date: date,
    *,
    now: datetime,
    timeout: float,
    download: Download,
) -> BillFile | None:
    """One day's bill (``trade`` or ``signcustomer``). Raises: ERR_PAYMENT_QUERY_FAILED."""
    biz = {"bill_type": bill_type, "bill_date": bill_date.isoformat()}
    params = signed_request(creds, ALIPAY_BILL_METHOD, biz, now=now)
    answer = send("POST", creds.base_url, data=params, timeout=timeout)
    if answer.status_code != 200:
        raise GatewayQueryFailed("alipay bill query answered", status=answer.status_code)
    try:
        body = verified_response(answer.content, ALIPAY_BILL_METHOD, creds)
    except (ValueError, UnicodeError) as exc:
        raise GatewayQueryFailed(f"alipay bill query answer rejected: {exc}") from None
    if body.get("code") != "10000":
        if body.get("sub_code") in _NO_BILL:
            return None
        raise GatewayQueryFailed(
            "alipay bill query refused", code=body.get("code"), sub_code=body.get("sub_code")
        )
    url = body.get("bill_download_url")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise GatewayQueryFailed("alipay bill query answer has no bill_download_url")
    data = download(url, {})
    return BillFile(data, "alipay_bill", f"alipay-{bill_type}-{bill_date.isoformat()}.zip")


class AlipayGateway:
    """Alipay behind the :class:`~oms.payments.gateways.registry.Gateway` protocol."""

    name = GatewayName.ALIPAY
    config_model: type[GatewayConfigIn] = AlipayConfigIn
    public_key_field = "gateway_public_key"
    secret_fields: tuple[str, ...] = ("merchant_private_key",)

    def credentials(
        self, settings: Mapping[str, Any], secrets: Mapping[str, str]
    ) -> AlipayCredentials:
        fields = {k: v for k, v in settings.items() if k != "public_key"}
        return AlipayCredentials(gateway_public_key=settings["public_key"], **fields, **secrets)

    def verify_notification(
        self, creds: AlipayCredentials, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> Verified:
        return verify_notification(parse_form(body), creds)

    def accepted(self) -> NotifyAnswer:
        return NotifyAnswer(200, b"success", "text/plain")

    def refused(self, rejection: AppError) -> NotifyAnswer:
        # Alipay reads anything but the text "success" as "deliver again".
        return NotifyAnswer(rejection.http_status, b"fail", "text/plain")

    # The network calls are this module's functions, with the protocol's signatures.
    query_trade = staticmethod(query_trade)
    refund = staticmethod(refund)
    download_bill = staticmethod(download_bill)
