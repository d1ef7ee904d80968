"""Refund calls to the gateways, signed like the payments domain's queries.

Alipay ``alipay.trade.refund`` with ``out_request_no`` = the refund id, and (when the answer
says ``fund_change=N``) ``alipay.trade.fastpay.refund.query`` to confirm; WeChat Pay
``POST /v3/refund/domestic/refunds`` with ``out_refund_no`` = the refund id. Re-sending the same
number never refunds twice, so every retry re-sends it. Only jobs call this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from oms.core.errors import AppError
from oms.payments.config import Credentials
from oms.payments.gateways.alipay import AlipayCredentials, response_text
from oms.payments.gateways.base import rsa_sign, rsa_verify
from oms.payments.gateways.wechatpay import WechatPayCredentials, authorization, verify_signed

__all__ = ["DONE", "FAILED", "PENDING", "Answer", "RefundCall", "send_refund"]

DONE, FAILED, PENDING = "done", "failed", "pending"
_BEIJING = ZoneInfo("Asia/Shanghai")
_ALIPAY_TRANSIENT = frozenset(
    {"ACQ.SYSTEM_ERROR", "ACQ.REFUND_CHARGE_ERROR", "aop.ACQ.SYSTEM_ERROR"}
)
_WECHAT_REFUND_PATH = "/v3/refund/domestic/refunds"


@dataclass(frozen=True, slots=True)
class RefundCall:
    refund_id: str
    out_trade_no: str
    amount: int
    total: int
    reason: str


@dataclass(frozen=True, slots=True)
class Answer:
    """What the gateway made of the refund: done, failed for good, or not known yet."""

    kind: str
    facts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def send_refund(creds: Credentials, call: RefundCall, *, now: datetime, timeout: float) -> Answer:
    """Ask the gateway to refund; never raises for the gateway's own answers."""
    try:
        if isinstance(creds, AlipayCredentials):
            return _alipay_refund(creds, call, now=now, timeout=timeout)
        return _wechat_refund(creds, call, now=now, timeout=timeout)
    except httpx.HTTPError as exc:
        return Answer(PENDING, error=f"network: {type(exc).__name__}")
    except (ValueError, AppError) as exc:
        return Answer(PENDING, error=f"unreadable answer: {exc}")


def _alipay_refund(
    creds: AlipayCredentials, call: RefundCall, *, now: datetime, timeout: float
) -> Answer:
    biz = {
        "out_trade_no": call.out_trade_no,
        "refund_amount": f"{call.amount // 100}.{call.amount % 100:02d}",
        "refund_reason": call.reason,
        "out_request_no": call.refund_id,
    }
    body = _alipay_call(creds, "alipay.trade.refund", biz, now=now, timeout=timeout)
    if body.get("code") != "10000":
        sub_code = str(body.get("sub_code", ""))
        kind = PENDING if sub_code in _ALIPAY_TRANSIENT else FAILED
        return Answer(
            kind, body, f"alipay {body.get('code')} {sub_code}: {body.get('sub_msg', '')}"
        )
    if body.get("fund_change") == "Y":
        return Answer(DONE, body)
    # N is no proof either way (a repeat answers N): the refund query decides.
    query = {"out_trade_no": call.out_trade_no, "out_request_no": call.refund_id}
    found = _alipay_call(
        creds, "alipay.trade.fastpay.refund.query", query, now=now, timeout=timeout
    )
    if found.get("code") == "10000" and found.get("refund_status") == "REFUND_SUCCESS":
        return Answer(DONE, {**body, "query": found})
    return Answer(PENDING, {**body, "query": found}, "alipay has no successful refund yet")


def _alipay_call(
    creds: AlipayCredentials, method: str, biz: dict[str, str], *, now: datetime, timeout: float
) -> dict[str, Any]:
    params = {
        "app_id": creds.app_id,
        "method": method,
        "format": "JSON",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": now.astimezone(_BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
        "version": "1.0",
        "biz_content": json.dumps(biz, separators=(",", ":"), ensure_ascii=False),
    }
    to_sign = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if v != "")
    params["sign"] = rsa_sign(creds.merchant_private_key, to_sign.encode())
    response = httpx.post(creds.base_url, data=params, timeout=timeout)
    if response.status_code != 200:
        raise ValueError(f"alipay answered HTTP {response.status_code}")
    text = response.content.decode("utf-8")
    signed = response_text(text, method.replace(".", "_") + "_response")
    signature = json.loads(text).get("sign")
    if not signature or not rsa_verify(creds.gateway_public_key, signature, signed.encode()):
        raise ValueError("the alipay answer does not verify")
    answer: dict[str, Any] = json.loads(signed)
    return answer


def _wechat_refund(
    creds: WechatPayCredentials, call: RefundCall, *, now: datetime, timeout: float
) -> Answer:
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
        "Authorization": authorization(creds, "POST", _WECHAT_REFUND_PATH, body, now=now),
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
    url = creds.base_url.rstrip("/") + _WECHAT_REFUND_PATH
    response = httpx.post(url, content=body.encode(), headers=headers, timeout=timeout)
    verify_signed(response.headers, response.content, creds, now=now)
    answer = json.loads(response.content)
    if response.status_code >= 500 or not isinstance(answer, dict):
        return Answer(PENDING, error=f"wechatpay answered HTTP {response.status_code}")
    if response.status_code != 200:
        return Answer(FAILED, answer, f"wechatpay {answer.get('code')}: {answer.get('message')}")
    status = str(answer.get("status", ""))
    if status == "SUCCESS":
        return Answer(DONE, answer)
    if status == "PROCESSING":
        return Answer(PENDING, answer, "wechatpay is still processing the refund")
    return Answer(FAILED, answer, f"wechatpay refund {status or 'without status'}")
