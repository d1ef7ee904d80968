"""Console formatting, role-based buttons and navigation, and translation completeness."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from oms.console import i18n
from oms.console.formatting import day_bounds, local_time, mask_phone, money
from oms.console.pages import event_actions, navigation
from oms.orders.schemas import OrderOut
from oms.orders.states import OrderStatus, allowed_events

CONSOLE = Path(i18n.__file__).parent


def test_values_are_shown_as_merchants_expect() -> None:
    assert money(1234, "CNY") == "¥12.34"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("+86 138-0013-8000") == "861****8000"
    when = datetime(2026, 1, 24, 5, 22, 7, tzinfo=UTC)
    assert local_time(when, "Asia/Shanghai") == "2026-01-24 13:22:07"
    start, end = day_bounds(date(2026, 1, 24), date(2026, 1, 24), "Asia/Shanghai")
    assert start == datetime(2026, 1, 23, 16, tzinfo=UTC)
    assert end == datetime(2026, 1, 24, 16, tzinfo=UTC)


def _order(status: OrderStatus) -> OrderOut:
    return OrderOut.model_construct(status=status, allowed_events=allowed_events(status))


@pytest.mark.parametrize("status", list(OrderStatus))
@pytest.mark.parametrize("role", ["admin", "ops", "service", "finance", "warehouse"])
def test_buttons_are_the_events_the_table_and_the_role_both_allow(
    status: OrderStatus, role: str
) -> None:
    offered = event_actions(_order(status), role)
    assert set(offered) <= set(allowed_events(status))
    assert "payment_timeout" not in offered
    if role == "warehouse":
        assert not {"pay", "cancel", "hold", "close"} & set(offered)


def test_pending_orders_offer_pay_and_cancel_to_ops_but_nothing_to_warehouse() -> None:
    pending = _order(OrderStatus.PENDING_PAYMENT)
    assert event_actions(pending, "ops") == ["pay", "cancel"]
    assert event_actions(pending, "warehouse") == []
    assert event_actions(_order(OrderStatus.PAID), "warehouse") == ["partial_ship", "ship"]


def test_navigation_shows_jobs_to_admin_and_ops_only() -> None:
    assert [n.key for n in navigation("ops")] == ["orders", "jobs"]
    assert [n.key for n in navigation("warehouse")] == ["orders"]
    assert navigation("nobody") == []


def test_every_message_in_the_code_and_templates_has_a_chinese_translation() -> None:
    method_map = [("src/oms/console/**.py", "python"), ("**/templates/**.html", "jinja2")]
    found = {
        message[2]
        for message in extract_from_dir(str(CONSOLE.parent.parent.parent), method_map)
        if isinstance(message[2], str)
    }
    assert "State provenance panel" in found
    po_path = CONSOLE / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file)
    missing = sorted(m for m in found if not (catalog.get(m) and catalog.get(m).string))
    assert missing == []


def test_labels_use_the_glossary_terms() -> None:
    zh = i18n.translations("zh-CN")
    assert zh.gettext(i18n.OUTCOME_LABELS["stale"]) == "过期消息已忽略"
    assert zh.gettext(i18n.STATUS_LABELS["paid"]) == "待发货"
    assert zh.gettext("State provenance panel") == "状态溯源面板"
    assert i18n.translations("en").gettext("State provenance panel") == "State provenance panel"
