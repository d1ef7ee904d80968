"""Console formatting, form parsing, role-based buttons and navigation, translation completeness."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from oms.console import i18n
from oms.console.formatting import age, day_bounds, local_time, mask_phone, money, title_in
from oms.console.forms import movement_command, resolve_command, sku_list, ticket_filter
from oms.console.pages import event_actions, navigation
from oms.core.errors import ValidationFailed
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


def test_navigation_shows_each_role_only_the_pages_it_may_open() -> None:
    refunds = ["refunds", "refunds_sla"]
    assert [n.key for n in navigation("ops")] == [
        "orders",
        "stock",
        "fulfilment",
        "tickets",
        *refunds,
        "risk",
        "notifications",
        "jobs",
        "webhooks",
    ]
    assert [n.key for n in navigation("warehouse")] == ["orders", "stock", "fulfilment", "tickets"]
    assert [n.key for n in navigation("finance")] == [
        "orders",
        "stock",
        "tickets",
        *refunds,
        "finance",
        "vouchers",
        "accounting",
    ]
    assert [n.key for n in navigation("integration")] == ["orders", "stock", "refunds"]
    assert navigation("nobody") == []


def test_every_message_in_the_code_and_templates_has_a_chinese_translation() -> None:
    method_map = [
        ("src/oms/console/**.py", "python"),
        ("**/templates/**.html", "jinja2"),
        ("**/translations/labels.toml", i18n.extract_labels),
    ]
    found = {
        (message[2], message[4])
        for message in extract_from_dir(str(CONSOLE.parent.parent.parent), method_map)
    }
    assert ("State provenance panel", None) in found
    assert ("Awaiting shipment", None) in found  # a label of labels.toml
    assert ("Warehouse", "stock") in found and (("%(num)d hour", "%(num)d hours"), None) in found
    po_path = CONSOLE / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file)

    def translated(msgid: str | tuple[str, ...], context: str | None) -> bool:
        entry = catalog.get(msgid if isinstance(msgid, str) else msgid[0], context=context)
        strings = [entry.string] if entry and isinstance(entry.string, str) else []
        return entry is not None and all(strings or entry.string)

    missing = sorted(str(m) for m, context in found if not translated(m, context))
    assert missing == []


def test_labels_use_the_glossary_terms() -> None:
    zh = i18n.translations("zh-CN")
    assert zh.gettext(i18n.OUTCOME_LABELS["stale"]) == "过期消息已忽略"
    assert zh.gettext(i18n.STATUS_LABELS["paid"]) == "待发货"
    assert zh.gettext("State provenance panel") == "状态溯源面板"
    assert [
        zh.gettext(i18n.MOVEMENT_KIND_LABELS[k]) for k in ("inbound", "adjustment", "return")
    ] == [
        "入库",
        "盘点调整",
        "退货入库",
    ]
    assert zh.gettext("Stock ledger") == "库存流水" and zh.gettext("Safety stock") == "安全库存"
    assert zh.gettext(i18n.TICKET_STATUS_LABELS["resolved"]) == "处理完成"
    assert zh.gettext(i18n.EXCEPTION_LABELS["stock_shortage"]) == "库存不足"
    assert zh.pgettext("stock", "Warehouse") == "仓库" and zh.gettext("Warehouse") == "仓储"
    assert zh.ngettext("%(num)d hour", "%(num)d hours", 3) % {"num": 3} == "3 小时"
    assert [zh.gettext(i18n.REFUND_STATUS_LABELS[k]) for k in ("refunding", "refunded")] == [
        "退款中",
        "已退款",
    ]
    assert zh.gettext(i18n.REFUND_STATUS_LABELS["failed"]) == "退款失败"
    assert [zh.gettext(i18n.SLA_COLOUR_LABELS[c]) for c in ("yellow", "orange", "red")] == [
        "标黄",
        "标橙",
        "标红",
    ]
    assert zh.gettext("Approve refund") == "同意退款" and zh.gettext("Reject refund") == "拒绝退款"
    assert zh.gettext("Refund requests") == "退款申请" and zh.gettext("SLA board") == "时效看板"
    assert zh.gettext("Bank statements") == "银行流水" and zh.gettext("Match") == "匹配"
    assert zh.gettext("Awaiting manual review") == "待人工核对"
    assert zh.gettext("Compensation at risk") == "预计赔付金额"
    assert zh.gettext("Vouchers") == "退款凭证" and zh.gettext("Verified") == "验证通过"
    assert zh.gettext("Voucher chain broken") == "凭证链异常"
    assert zh.gettext("Handled promptly") == "处理及时"
    assert zh.gettext("Money arrived fast") == "到账快"
    en = i18n.translations("en")
    assert en.ngettext("%(num)d hour", "%(num)d hours", 1) % {"num": 1} == "1 hour"
    assert i18n.translations("en").gettext("State provenance panel") == "State provenance panel"


def test_ages_are_counted_in_their_largest_whole_unit() -> None:
    start = datetime(2026, 1, 24, 5, 0, tzinfo=UTC)
    assert age(start, start.replace(minute=59)) == (59, "minutes")
    assert age(start, start.replace(hour=8, minute=5)) == (3, "hours")
    assert age(start, datetime(2026, 1, 26, 6, 0, tzinfo=UTC)) == (2, "days")
    assert age(start, start.replace(hour=4)) == (0, "minutes")  # clocks never make it negative


def test_sku_searches_split_on_commas_and_spaces_and_keep_order() -> None:
    assert sku_list(" A-1, B-2  A-1\uff0cC-3\u3001D-4;E ") == ["A-1", "B-2", "C-3", "D-4", "E"]
    assert sku_list(None) == [] and sku_list("   ") == []
    assert len(sku_list(" ".join(f"S{i}" for i in range(80)))) == 50


def test_a_movement_form_sends_the_version_of_the_chosen_warehouse_only() -> None:
    command = movement_command(
        sku="A",
        warehouse="east",
        kind="inbound",
        qty=" 5 ",
        reason="",
        versions=["main:3", "east:7"],
    )
    assert (command.warehouse, command.qty, command.expected_version) == ("east", 5, 7)
    assert command.reason is None
    fresh = movement_command(
        sku="A", warehouse="", kind="correction", qty="-2", reason="x", versions=["main:3"]
    )
    assert (fresh.warehouse, fresh.expected_version) == (None, None)


@pytest.mark.parametrize(
    ("kind", "qty"), [("reserve", "1"), ("inbound", "many"), ("inbound", "1.5"), ("x", "1")]
)
def test_movements_a_person_may_not_post_are_validation_errors(kind: str, qty: str) -> None:
    with pytest.raises(ValidationFailed):
        movement_command(sku="A", warehouse="", kind=kind, qty=qty, reason="", versions=[])


def test_a_resolution_carries_a_correction_only_when_a_quantity_is_given() -> None:
    plain = resolve_command(resolution=" done ", sku="A", warehouse="", kind="inbound", qty="")
    assert (plain.resolution, plain.corrections) == ("done", [])
    fixed = resolve_command(resolution="done", sku="A", warehouse="main", kind="inbound", qty="2")
    (correction,) = fixed.corrections
    assert (correction.sku, correction.qty, correction.reason) == ("A", 2, "done")
    with pytest.raises(ValidationFailed):
        resolve_command(resolution="  ", sku="", warehouse="", kind="inbound", qty="")


def test_the_ticket_queue_shows_unresolved_tickets_unless_told_otherwise() -> None:
    default = ticket_filter(status=None, kind="nonsense", order_id=" ")
    assert (default.statuses, default.kind, default.order_id) == (("open", "assigned"), None, None)
    assert ticket_filter(status="resolved", kind="stock_shortage", order_id="o").statuses == (
        "resolved",
    )
    assert ticket_filter(status="all", kind=None, order_id=None).statuses == ()


def test_a_bilingual_title_shows_the_readers_half_and_a_plain_one_stays_whole() -> None:
    title = "订单 A1 库存不足 等待补货 / order A1 is short of stock, waiting for it"
    assert title_in(title, "zh-CN") == "订单 A1 库存不足 等待补货"
    assert title_in(title, "en") == "order A1 is short of stock, waiting for it"
    assert title_in("Webhook subscription disabled: 410", "zh-CN") == (
        "Webhook subscription disabled: 410"
    )
    assert title_in("A / ", "en") == "A / "
