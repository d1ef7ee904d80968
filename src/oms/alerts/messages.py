"""What an alert says, in Chinese or English: plain text, Markdown and an e-mail subject."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["AlertView", "Rendered", "render"]

_LABELS = {
    "zh-CN": {
        "prefix": "【OMS 告警】",
        "type": "类型",
        "severity": "级别",
        "order_id": "订单",
        "ticket_id": "工单",
        "subscription_id": "Webhook 订阅",
        "url": "地址",
        "time": "时间",
        "suppressed": "此前 {window} 分钟内另有 {n} 条同类告警被限流未单独发送。",
    },
    "en": {
        "prefix": "[OMS alert] ",
        "type": "Type",
        "severity": "Severity",
        "order_id": "Order",
        "ticket_id": "Ticket",
        "subscription_id": "Webhook subscription",
        "url": "URL",
        "time": "Time",
        "suppressed": "{n} more alerts of this type were suppressed in the previous "
        "{window} minutes.",
    },
}
_SEVERITY = {"zh-CN": {"high": "高", "medium": "中", "low": "低", "critical": "紧急"}, "en": {}}
_DETAIL_KEYS = ("order_id", "ticket_id", "subscription_id", "url")


@dataclass(frozen=True, slots=True)
class AlertView:
    """The facts of one alert that every channel shows."""

    alert_type: str
    severity: str
    title: str
    payload: dict[str, Any]
    raised_at: datetime
    timezone: str
    suppressed_before: int
    window_minutes: int


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    markdown: str


def render(alert: AlertView, *, locale: str) -> Rendered:
    """The alert in ``locale`` (``zh-CN`` or ``en``)."""
    labels = _LABELS.get(locale, _LABELS["zh-CN"])
    severity = _SEVERITY.get(locale, {}).get(alert.severity, alert.severity)
    when = alert.raised_at.astimezone(ZoneInfo(alert.timezone))
    rows = [
        (labels["type"], alert.alert_type),
        (labels["severity"], severity),
        *[(labels[key], str(alert.payload[key])) for key in _DETAIL_KEYS if alert.payload.get(key)],
        (labels["time"], f"{when:%Y-%m-%d %H:%M:%S} ({alert.timezone})"),
    ]
    subject = f"{labels['prefix']}{alert.title}"
    note = ""
    if alert.suppressed_before:
        note = labels["suppressed"].format(n=alert.suppressed_before, window=alert.window_minutes)
    text = "\n".join([subject, *[f"{k}: {v}" for k, v in rows], *([note] if note else [])])
    markdown = "\n".join(
        [f"### {subject}", *[f"- **{k}**: {v}" for k, v in rows], *([f"> {note}"] if note else [])]
    )
    return Rendered(subject=subject, text=text, markdown=markdown)
