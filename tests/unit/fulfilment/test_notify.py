"""Buyer notifications without a database: quiet-hour windows, template limits, conditions,
and the message status table."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from oms.fulfilment.notify.conditions import check_condition, condition_matches
from oms.fulfilment.notify.errors import ConditionInvalid, TemplateInvalid
from oms.fulfilment.notify.quiet import quiet_until, zone_of
from oms.fulfilment.notify.states import MACHINE, MessageStatus
from oms.fulfilment.notify.templates import LOOP_ITERATION_LIMIT, OUTPUT_LIMIT, render

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (datetime(2026, 1, 24, 15, 30, tzinfo=UTC), datetime(2026, 1, 25, 0, 0, tzinfo=UTC)),
        (datetime(2026, 1, 24, 18, 0, tzinfo=UTC), datetime(2026, 1, 25, 0, 0, tzinfo=UTC)),
        (datetime(2026, 1, 24, 23, 59, tzinfo=UTC), datetime(2026, 1, 25, 0, 0, tzinfo=UTC)),
        (datetime(2026, 1, 25, 0, 0, tzinfo=UTC), None),
        (datetime(2026, 1, 24, 5, 0, tzinfo=UTC), None),
        (datetime(2026, 1, 24, 13, 59, tzinfo=UTC), None),
    ],
)
def test_a_window_past_midnight_ends_the_next_morning_in_the_buyers_zone(
    utc: datetime, expected: datetime | None
) -> None:
    assert quiet_until(utc, start="22:00", end="08:00", zone=SHANGHAI) == expected


def test_a_daytime_window_and_an_empty_one() -> None:
    noon = datetime(2026, 1, 24, 4, 30, tzinfo=UTC)  # 12:30 in Shanghai
    end = quiet_until(noon, start="12:00", end="14:00", zone=SHANGHAI)
    assert end == datetime(2026, 1, 24, 6, 0, tzinfo=UTC)
    assert quiet_until(noon, start="12:00", end="12:00", zone=SHANGHAI) is None
    assert quiet_until(noon, start="bad", end="14:00", zone=SHANGHAI) is None


def test_an_unknown_zone_falls_back_to_the_tenants() -> None:
    assert zone_of("Mars/Olympus", "Asia/Shanghai") == SHANGHAI
    assert zone_of(None, "Europe/Berlin") == ZoneInfo("Europe/Berlin")


def test_a_render_past_a_limit_is_refused_never_truncated() -> None:
    many = {"items": [{"name": "x"}] * (LOOP_ITERATION_LIMIT + 1)}
    with pytest.raises(TemplateInvalid, match="loop iteration limit"):
        render("{% for i in items %}{{ i.name }}{% endfor %}", many)
    with pytest.raises(TemplateInvalid, match="output stream limit"):
        render("{{ text }}", {"text": "好" * OUTPUT_LIMIT})
    assert render("{{ text }}", {"text": "好" * 100}) == "好" * 100


def test_templates_cannot_reach_python_attributes() -> None:
    class Secret:
        password = "hunter2"

    assert render("{{ o.password }}{{ o.__class__ }}", {"o": Secret()}) == ""


def test_conditions_match_on_the_facts_and_a_missing_value_is_a_miss() -> None:
    cold_south = {"cold_chain": True, "scan_province": "广东省"}
    assert condition_matches("cold_chain and scan_province in hot_regions", cold_south)
    assert not condition_matches(
        "cold_chain and scan_province in hot_regions", cold_south | {"scan_province": "浙江省"}
    )
    assert not condition_matches("order_total > 100", {"order_total": None})
    assert condition_matches(None, {})
    with pytest.raises(ConditionInvalid):
        check_condition("scan_province ==")


@pytest.mark.parametrize(("current", "to", "allowed"), list(MACHINE.pairs()))
def test_the_message_table(current: MessageStatus, to: MessageStatus, allowed: bool) -> None:
    final = {MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.FALLBACK}
    waiting = current in {MessageStatus.QUEUED, MessageStatus.DEFERRED}
    assert allowed == (waiting and to in final)
