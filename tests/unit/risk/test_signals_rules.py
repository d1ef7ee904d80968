"""Risk's pure parts: signals from an order's fields, rule checking, the verdict, the hold
table."""

from __future__ import annotations

import pytest

from oms.risk import signals
from oms.risk.assessment import judge
from oms.risk.errors import RuleInvalid
from oms.risk.rules import Action, CompiledRule, RuleSpec, compile_rule, hits
from oms.risk.states import HOLD_MACHINE, HoldStatus


@pytest.mark.parametrize(
    ("phone", "virtual"),
    [
        ("16212345678", True),
        ("+86 165-1234-5678", True),
        ("16712345678", True),
        ("17001234567", True),
        ("17112345678", True),
        ("13800138000", False),
        ("17212345678", False),
        ("1621234", False),
        (None, False),
    ],
)
def test_virtual_operator_segments_are_recognised(phone: str | None, virtual: bool) -> None:
    assert signals.is_virtual_phone(phone) is virtual


def test_gcj02_and_bd09_convert_to_wgs84() -> None:
    # Tiananmen: WGS-84 (39.9075, 116.3912) is GCJ-02 (39.9089, 116.3975) on Chinese maps.
    lat, lng = signals.to_wgs84(39.9089, 116.3975, "gcj02")
    assert abs(lat - 39.9075) < 0.0005 and abs(lng - 116.3912) < 0.0005
    bd_lat, bd_lng = signals.to_wgs84(39.9151, 116.4039, "bd09")
    assert abs(bd_lat - 39.9075) < 0.001 and abs(bd_lng - 116.3912) < 0.001
    assert signals.to_wgs84(1.0, 2.0, "wgs84") == (1.0, 2.0)


def test_a_geohash_neighbourhood_is_the_cell_and_its_eight_neighbours() -> None:
    cells = signals.geohash_cells("wx4g0ec")
    assert len(set(cells)) == 9 and cells[0] == "wx4g0ec"


def test_addresses_and_phones_normalise_to_one_key() -> None:
    assert signals.normalise("phone", "+86 138-0013-8000") == "13800138000"
    assert signals.normalise("address", "文三路 90 号\uff0cA 座") == signals.normalise(
        "address", "文三路90号A座"
    )


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("ip_orders >= 5", "unknown_symbol"),
        ("ip_orders_10m >=", "syntax"),
        ("amount", "not_boolean"),
        ('phone_prefix =~ "(\\\\d+)*x"', "regex"),
        ('phone_prefix =~ "' + "a" * 101 + '"', "regex"),
        ("a" * 2001, "too_long"),
        ("   ", "empty"),
    ],
)
def test_bad_rules_name_their_problem(expression: str, problem: str) -> None:
    with pytest.raises(RuleInvalid) as raised:
        compile_rule(expression)
    assert raised.value.details["problem"] == problem


def test_a_missing_feature_is_a_miss_not_an_error() -> None:
    rule = RuleSpec("ip", "ip_orders_10m >= 5", Action.REVIEW)
    compiled = [CompiledRule(rule, compile_rule(rule.expression))]
    assert hits(compiled, {"ip_orders_10m": None}) == []
    assert hits(compiled, {"ip_orders_10m": 5.0}) == [rule]


def test_allow_overrides_block_and_block_beats_review() -> None:
    review = RuleSpec("r", "x", Action.REVIEW)
    block = RuleSpec("b", "x", Action.BLOCK)
    allow = RuleSpec("a", "x", Action.ALLOW)
    assert judge({}, [review, block]).action == "block"
    assert judge({}, [review, block]).recommendation == "cancel"
    assert judge({}, [review]).level == "medium"
    trusted = judge({}, [review, allow])
    assert trusted.action == "allow"
    assert {"description": "rule a matched", "sentiment": "lowers"} in trusted.facts
    assert judge({}, []).level == "none"
    shadow = judge({}, [RuleSpec("s", "x", Action.BLOCK, shadow=True)])
    assert (shadow.action, shadow.shadow_hits, shadow.rules_hit) == ("allow", ["s"], [])


@pytest.mark.parametrize(("current", "to", "allowed"), list(HOLD_MACHINE.pairs()))
def test_the_hold_table(current: HoldStatus, to: HoldStatus, allowed: bool) -> None:
    expected = {
        (HoldStatus.CLEAR, HoldStatus.AWAITING_PAYMENT),
        (HoldStatus.CLEAR, HoldStatus.HELD),
        (HoldStatus.CLEAR, HoldStatus.CANCELLED),
        (HoldStatus.AWAITING_PAYMENT, HoldStatus.HELD),
        (HoldStatus.AWAITING_PAYMENT, HoldStatus.CANCELLED),
        (HoldStatus.AWAITING_PAYMENT, HoldStatus.CLEAR),
        (HoldStatus.HELD, HoldStatus.RELEASED),
        (HoldStatus.HELD, HoldStatus.CANCELLED),
    }
    assert allowed == ((current, to) in expected)
