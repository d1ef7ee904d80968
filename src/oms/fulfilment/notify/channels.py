"""Channel adapters: one network call per message, run only from the send job.

Each answers an ``Outcome``; none raises for the provider's own refusal. Transient trouble
(network, timeouts, a 5xx) is ``is_transient``: the job retries it.

SMS gateway shape (generic, documented in docs/notifications.md): ``POST OMS_NOTIFY_SMS_URL``
with JSON ``{"message_id", "to", "text"}`` and headers ``X-Api-Key``, ``X-Timestamp`` (Unix
seconds) and ``X-Signature`` = hex HMAC-SHA256(key, ``"<timestamp>.<body>"``); any 2xx is sent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import httpx

from oms.config import Settings
from oms.core.destinations import post_pinned
from oms.core.errors import AppError
from oms.core.standard_webhooks import signed_headers

__all__ = [
    "WECHAT_REFUSED",
    "Outcome",
    "Outgoing",
    "send_email",
    "send_sms",
    "send_webhook",
    "send_wechat",
]

# errcode 43101: "user refuse to accept the msg" (no subscription for this template left).
WECHAT_REFUSED = 43101
# Token expired or invalid, system busy: worth another try.
_WECHAT_TRANSIENT = frozenset({-1, 40001, 42001})


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message as a channel sends it."""

    message_id: str
    tenant_id: str
    order_id: str
    node: str
    channel: str
    recipient: str | None
    subject: str | None
    text: str
    wechat_template_id: str | None = None
    wechat_page: str | None = None
    wechat_key: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    is_sent: bool
    error: str | None = None
    is_transient: bool = False
    is_refused: bool = False  # WeChat 43101: the buyer's subscription is not there


def send_sms(message: Outgoing, settings: Settings, *, now: datetime) -> Outcome:
    """POST the text to the SMS gateway, signed with the gateway key."""
    if not settings.notify_sms_url:
        return Outcome(False, "no SMS gateway is configured (OMS_NOTIFY_SMS_URL)")
    if not message.recipient:
        return Outcome(False, "the order has no buyer phone")
    body = json.dumps(
        {"message_id": message.message_id, "to": message.recipient, "text": message.text},
        ensure_ascii=False,
    )
    stamp = str(int(now.timestamp()))
    key = settings.notify_sms_key.encode()
    signature = hmac.new(key, f"{stamp}.{body}".encode(), hashlib.sha256).hexdigest()
    headers = {
        "content-type": "application/json",
        "x-api-key": settings.notify_sms_key,
        "x-timestamp": stamp,
        "x-signature": signature,
    }
    return _http(settings.notify_sms_url, body, headers, settings)


def send_wechat(message: Outgoing, settings: Settings, *, openid: str, now: datetime) -> Outcome:
    """A subscribe message (``/cgi-bin/message/subscribe/send``); errcode 0 is sent."""
    url = f"{settings.notify_wechat_base_url.rstrip('/')}/cgi-bin/message/subscribe/send"
    payload: dict[str, Any] = {
        "touser": openid,
        "template_id": message.wechat_template_id,
        "data": {message.wechat_key or "thing1": {"value": message.text}},
    }
    if message.wechat_page:
        payload["page"] = message.wechat_page
    try:
        with httpx.Client(timeout=settings.notify_timeout_seconds, trust_env=False) as client:
            response = client.post(
                url,
                params={"access_token": settings.notify_wechat_access_token},
                content=json.dumps(payload, ensure_ascii=False).encode(),
                headers={"content-type": "application/json"},
            )
        answer = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        return Outcome(False, f"wechat: {type(exc).__name__}: {exc}"[:500], is_transient=True)
    code = int(answer.get("errcode", 0)) if isinstance(answer, dict) else -1
    if code == 0:
        return Outcome(True)
    error = f"wechat errcode {code}: {answer.get('errmsg', '')}"[:500]
    return Outcome(
        False, error, is_transient=code in _WECHAT_TRANSIENT, is_refused=code == WECHAT_REFUSED
    )


def send_email(message: Outgoing, settings: Settings, *, now: datetime) -> Outcome:
    """Plain-text e-mail through the configured SMTP server (the alert e-mail's settings)."""
    if not message.recipient:
        return Outcome(False, "the order has no buyer e-mail (shipping_address.email)")
    mail = EmailMessage()
    mail["From"], mail["To"] = settings.smtp_from, message.recipient
    mail["Subject"] = message.subject or message.text.splitlines()[0][:80]
    mail["Message-ID"] = f"<{message.message_id}@oms>"
    mail.set_content(message.text)
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.notify_timeout_seconds
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        return Outcome(False, f"smtp: recipient refused: {exc}"[:500])
    except (OSError, smtplib.SMTPException) as exc:
        return Outcome(False, f"smtp: {type(exc).__name__}: {exc}"[:500], is_transient=True)
    return Outcome(True)


def send_webhook(message: Outgoing, settings: Settings, *, now: datetime) -> Outcome:
    """POST the message as JSON, signed with Standard Webhooks (as outbound webhooks are)."""
    if not settings.notify_webhook_url or not settings.notify_webhook_secret:
        return Outcome(False, "no notification webhook is configured (OMS_NOTIFY_WEBHOOK_URL)")
    body = json.dumps(
        {
            "type": "notification.message",
            "message_id": message.message_id,
            "order_id": message.order_id,
            "node": message.node,
            "subject": message.subject,
            "text": message.text,
        },
        ensure_ascii=False,
    )
    headers = {"content-type": "application/json"} | signed_headers(
        settings.notify_webhook_secret, message_id=message.message_id, timestamp=now, body=body
    )
    try:
        response = post_pinned(
            settings.notify_webhook_url,
            content=body.encode(),
            headers=headers,
            allow_private=settings.webhook_allow_private_networks,
            timeout=settings.notify_timeout_seconds,
        )
    except AppError as exc:
        return Outcome(False, f"webhook: {exc.message}")
    except httpx.HTTPError as exc:
        return Outcome(False, f"webhook: {type(exc).__name__}: {exc}"[:500], is_transient=True)
    return _answer(response)


def _http(url: str, body: str, headers: dict[str, str], settings: Settings) -> Outcome:
    try:
        with httpx.Client(timeout=settings.notify_timeout_seconds, trust_env=False) as client:
            response = client.post(url, content=body.encode(), headers=headers)
    except httpx.HTTPError as exc:
        return Outcome(False, f"{type(exc).__name__}: {exc}"[:500], is_transient=True)
    return _answer(response)


def _answer(response: httpx.Response) -> Outcome:
    if response.is_success:
        return Outcome(True)
    error = f"HTTP {response.status_code}: {response.text[:300]}"
    return Outcome(False, error, is_transient=response.status_code >= 500)
