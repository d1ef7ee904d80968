"""The three ways out: DingTalk signed robot, WeCom group robot, e-mail over SMTP.

Each call is one network request made from a job, never inside a transaction. Robots answer
``{"errcode": 0}`` on success; anything else raises ``ERR_ALERT_SEND_FAILED`` so the job
runner retries with backoff.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote_plus

import httpx

from oms.alerts.errors import AlertSendFailed
from oms.alerts.messages import Rendered
from oms.config import Settings
from oms.core.destinations import post_pinned

__all__ = ["dingtalk_sign", "send_dingtalk", "send_email", "send_wecom"]

_WECOM_MARKDOWN_BYTES = 4096


def dingtalk_sign(timestamp_ms: int, secret: str) -> str:
    """``urlencode(b64(HMAC_SHA256(secret, f"{timestamp}\\n{secret}")))``, DingTalk's 加签."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def send_dingtalk(
    url: str, secret: str, message: Rendered, *, now: datetime, settings: Settings
) -> None:
    """Post a Markdown message to a signed DingTalk custom robot."""
    timestamp = int(now.timestamp() * 1000)
    separator = "&" if "?" in url else "?"
    signed_url = f"{url}{separator}timestamp={timestamp}&sign={dingtalk_sign(timestamp, secret)}"
    body = {"msgtype": "markdown", "markdown": {"title": message.subject, "text": message.markdown}}
    _post_robot(signed_url, body, settings=settings)


def send_wecom(url: str, message: Rendered, *, settings: Settings) -> None:
    """Post a Markdown message to a WeCom group robot (its key is in the URL)."""
    content = message.markdown.encode()[:_WECOM_MARKDOWN_BYTES].decode(errors="ignore")
    _post_robot(url, {"msgtype": "markdown", "markdown": {"content": content}}, settings=settings)


def send_email(address: str, message: Rendered, *, settings: Settings) -> None:
    """Send a plain-text e-mail through ``OMS_SMTP_HOST``."""
    mail = EmailMessage()
    mail["Subject"], mail["From"], mail["To"] = message.subject, settings.smtp_from, address
    mail.set_content(message.text)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            smtp.send_message(mail)
    except (OSError, smtplib.SMTPException) as exc:
        raise AlertSendFailed(f"SMTP: {exc}", channel="email") from exc


def _post_robot(url: str, body: dict[str, Any], *, settings: Settings) -> None:
    try:
        response = post_pinned(
            url,
            content=json.dumps(body, ensure_ascii=False).encode(),
            headers={"content-type": "application/json; charset=utf-8"},
            allow_private=settings.webhook_allow_private_networks,
            timeout=settings.webhook_timeout_seconds,
        )
    except httpx.HTTPError as exc:
        raise AlertSendFailed(f"{type(exc).__name__}: {exc}") from exc
    try:
        reply = response.json()
    except ValueError:
        reply = {}
    if response.status_code != 200 or not isinstance(reply, dict) or reply.get("errcode") != 0:
        raise AlertSendFailed(
            f"robot answered HTTP {response.status_code}: {response.text[:300]}",
            status_code=response.status_code,
        )
