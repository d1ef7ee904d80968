"""Merchant rules: rule-engine expressions over an order's features, typed and checked when
saved, compiled once per expression and evaluated per order.

A rule whose expression meets a missing feature (an order without ``buyer.ip`` meets
``ip_orders_10m``) does not hit: rule-engine refuses to compare null with a number, and that
refusal is a miss, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import rule_engine

from oms.core.expressions import MAX_EXPRESSION, MAX_REGEX, Conditions, matches
from oms.risk.errors import RuleInvalid

__all__ = [
    "BUILTIN_RULES",
    "FEATURE_TYPES",
    "MAX_EXPRESSION",
    "MAX_REGEX",
    "Action",
    "CompiledRule",
    "RuleSpec",
    "compile_rule",
    "hits",
]


class Action(StrEnum):
    ALLOW = "allow"
    REVIEW = "review"
    BLOCK = "block"


_F, _B, _S = rule_engine.DataType.FLOAT, rule_engine.DataType.BOOLEAN, rule_engine.DataType.STRING
_WINDOWS = ("10m", "1h", "24h")
# Every symbol a rule may name, with its type (docs/risk.md lists them with their meaning).
FEATURE_TYPES: dict[str, Any] = {
    **{
        f"{kind}_orders_{w}": _F
        for kind in ("ip", "device", "phone", "address", "buyer")
        for w in _WINDOWS
    },
    "geo_orders_1h": _F,
    "geo_orders_24h": _F,
    "address_cluster_size": _F,
    "amount": _F,
    "channel": _S,
    "phone_prefix": _S,
    "has_ip": _B,
    "has_device": _B,
    "has_coordinates": _B,
    "is_virtual_phone": _B,
    "is_new_buyer": _B,
    "buyer_prior_orders": _F,
    "buyer_avg_amount": _F,
    "amount_vs_buyer_avg": _F,
    "shop_orders_1h": _F,
    "shop_buyers_1h": _F,
    "shop_orders_per_buyer_1h": _F,
    "blacklist_hits": _F,
    "blacklisted_phone": _B,
    "blacklisted_address": _B,
    "blacklisted_ip": _B,
    "blacklisted_buyer": _B,
}
_CONDITIONS = Conditions(FEATURE_TYPES, RuleInvalid)


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A rule as stored: what ``hits`` evaluates."""

    name: str
    expression: str
    action: Action
    shadow: bool = False


@dataclass(frozen=True, slots=True)
class CompiledRule:
    spec: RuleSpec
    rule: rule_engine.Rule


# Built in for every tenant (installed as ordinary rules the merchant may edit or disable).
BUILTIN_RULES: tuple[RuleSpec, ...] = (
    RuleSpec("ip_burst", "ip_orders_10m >= 5", Action.REVIEW),
    RuleSpec("device_burst", "device_orders_1h >= 5", Action.REVIEW),
    RuleSpec(
        "virtual_new_high_amount",
        "is_virtual_phone and is_new_buyer and amount >= 100000",
        Action.REVIEW,
    ),
    RuleSpec("brushing_buyer", "buyer_orders_1h >= 3", Action.REVIEW),
    RuleSpec("address_cluster", "address_orders_24h >= 5", Action.REVIEW),
    RuleSpec("geo_cluster", "geo_orders_1h >= 8", Action.REVIEW),
    RuleSpec("blacklisted", "blacklist_hits > 0", Action.BLOCK),
    RuleSpec(
        "amount_spike", "buyer_prior_orders >= 3 and amount_vs_buyer_avg >= 10", Action.REVIEW
    ),
)


def compile_rule(expression: str) -> rule_engine.Rule:
    """The compiled, checked rule. Raises: ERR_RISK_RULE_INVALID naming the problem."""
    return _CONDITIONS.compile(expression)


def hits(rules: list[CompiledRule], features: Mapping[str, Any]) -> list[RuleSpec]:
    """The rules ``features`` match, in the rules' order (a missing feature: no hit)."""
    return [compiled.spec for compiled in rules if matches(compiled.rule, features)]
