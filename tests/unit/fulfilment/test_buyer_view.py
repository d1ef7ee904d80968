"""The buyer's side of an order: history in buyer words only (no refusals, holds, actors or
IPs), the progress step, arrival windows in words, and the tracking page's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from oms.console import i18n
from oms.console.formatting import eta_words
from oms.console.tracking_page import page_locale
from oms.fulfilment.tracking.buyer import BuyerEvent, buyer_history, current_step
from oms.orders.schemas import TimelineEntry

AT = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)  # 14:00 China time


def _entry(event: str, to: str | None, outcome: str = "applied", **extra: Any) -> TimelineEntry:
    values: dict[str, Any] = {
        "id": event, "event": event, "from_status": None, "to_status": to, "outcome": outcome,
        "error_code": None, "version_after": None, "source": "api", "actor": "user:ops-7",
        "client_ip": "10.0.0.8", "user_agent": "curl", "body_sha256": None, "trace_id": None,
        "reason": None, "details": {}, "occurred_at": AT, "recorded_at": AT,
    }  # fmt: skip
    return TimelineEntry(**(values | extra))


def test_the_buyer_history_keeps_only_applied_changes_a_buyer_knows() -> None:
    timeline = [
        _entry("create", "pending_payment", source="channel:tmall"),
        _entry("pay", "paid", source="channel:tmall"),
        _entry("hold", "on_hold", reason="address check"),
        _entry("release", "paid", from_status="on_hold"),
        _entry("ship", "shipped", outcome="rejected", error_code="ERR_ORDER_FULFILMENT_BLOCKED"),
        _entry("ship", "shipped", outcome="stale", source="wms:main"),
        _entry("ship", "shipped", source="wms:main"),
        _entry("deliver", "delivered", source="carrier:shunfeng"),
    ]
    history = buyer_history(timeline)
    assert [(e.kind, e.source) for e in history] == [
        ("placed", "shop"),
        ("paid", "payment"),
        ("paid", "merchant"),  # released from a hold: the buyer sees "paid", not the hold
        ("shipped", "warehouse"),
        ("delivered", "carrier"),
    ]
    assert BuyerEvent.__slots__ == ("kind", "at", "source")  # nothing else leaves oms


def test_the_step_is_the_least_advanced_parcels_and_delivered_wins() -> None:
    paid = [BuyerEvent("placed", AT, "shop"), BuyerEvent("paid", AT, "payment")]
    assert current_step(paid, []) == "paid"
    assert current_step([*paid, BuyerEvent("delivered", AT, "carrier")], []) == "delivered"


def test_arrival_windows_read_as_people_say_them() -> None:
    zh = i18n.translations("zh-CN").gettext
    en = i18n.translations("en").gettext
    start, end = AT + timedelta(days=1), AT + timedelta(days=1, hours=2)
    assert eta_words(start, end, AT, "Asia/Shanghai", "zh-CN", zh) == "明天 14:00\u201316:00"
    assert eta_words(start, end, AT, "Asia/Shanghai", "en", en) == "Tomorrow 14:00\u201316:00"
    later = eta_words(
        AT + timedelta(hours=6), AT + timedelta(hours=20), AT, "Asia/Shanghai", "en", en
    )
    assert later == "Today 20:00 \u2013 Tomorrow 10:00"
    far = eta_words(
        AT + timedelta(days=4), AT + timedelta(days=4, hours=1), AT, "Asia/Shanghai", "zh-CN", zh
    )
    assert far == "3月14日 周六 14:00\u201315:00"


def test_the_page_speaks_the_asked_language_then_the_browsers_then_chinese() -> None:
    assert page_locale("en", "zh-CN") == "en"
    assert page_locale(None, "fr;q=1, en-GB;q=0.8, zh;q=0.5") == "en"
    assert page_locale(None, "en;q=0, zh-TW") == "zh-CN"
    assert page_locale(None, None) == "zh-CN"
    assert page_locale("xx", "de") == "zh-CN"
