"""Merchant rules: rule-engine expressions over an order's features, typed and checked when
saved, compiled once per expression and evaluated per order.

A rule whose expression meets a missing feature (an order without ``buyer.ip`` meets
``ip_orders_10m``) does not hit: rule-engine refuses to compare null with a number, and that
refusal is a miss, never an error.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import rule_engine
from rule_engine import ast as rule_ast

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

MAX_EXPRESSION = 2000
MAX_REGEX = 100
_CACHE_SIZE = 4096


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
_CONTEXT = rule_engine.Context(type_resolver=rule_engine.type_resolver_from_dict(FEATURE_TYPES))
# Quantified groups that are themselves quantified: the shape of catastrophic backtracking.
_NESTED_QUANTIFIER = re.compile(r"\([^()]*[+*}][^()]*\)\s*[+*{]")


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

_compiled: OrderedDict[str, rule_engine.Rule] = OrderedDict()


def compile_rule(expression: str) -> rule_engine.Rule:
    """The compiled, checked rule. Raises: ERR_RISK_RULE_INVALID naming the problem."""
    found = _compiled.get(expression)
    if found is not None:
        _compiled.move_to_end(expression)
        return found
    if not expression.strip():
        raise RuleInvalid("the expression is empty", problem="empty")
    if len(expression) > MAX_EXPRESSION:
        raise RuleInvalid(
            f"the expression is longer than {MAX_EXPRESSION} characters", problem="too_long"
        )
    rule = _parse(expression)
    if rule.statement.expression.result_type not in (_B, rule_engine.DataType.UNDEFINED):
        raise RuleInvalid(
            f"the expression is a {rule.statement.expression.result_type.name}, not a condition",
            problem="not_boolean",
        )
    for node in _walk(rule.statement.expression):
        if isinstance(node, rule_ast.FuzzyComparisonExpression):
            _check_regex(node)
    _compiled[expression] = rule
    if len(_compiled) > _CACHE_SIZE:
        _compiled.popitem(last=False)
    return rule


def hits(rules: list[CompiledRule], features: Mapping[str, Any]) -> list[RuleSpec]:
    """The rules ``features`` match, in the rules' order."""
    matched = []
    for compiled in rules:
        try:
            if compiled.rule.matches(features):
                matched.append(compiled.spec)
        except rule_engine.EngineError:
            continue  # a missing feature (null): no hit
    return matched


def _parse(expression: str) -> rule_engine.Rule:
    try:
        return rule_engine.Rule(expression, context=_CONTEXT)
    except rule_engine.SymbolResolutionError as exc:
        suggestion = f" (did you mean {exc.suggestion}?)" if exc.suggestion else ""
        raise RuleInvalid(
            f"unknown feature {exc.symbol_name!r}{suggestion}",
            problem="unknown_symbol",
            symbol=exc.symbol_name,
        ) from None
    except rule_engine.RuleSyntaxError as exc:
        where = f" at {exc.token.value!r}" if exc.token is not None else " at the end"
        raise RuleInvalid(f"syntax error{where}", problem="syntax") from None
    except rule_engine.EngineError as exc:
        raise RuleInvalid(f"{exc.message}", problem="type") from None


def _check_regex(node: Any) -> None:
    right = node.right
    if not isinstance(right, rule_ast.StringExpression):
        raise RuleInvalid("a regular expression must be a string literal", problem="regex")
    pattern = str(right.value)
    if len(pattern) > MAX_REGEX:
        raise RuleInvalid(
            f"a regular expression is longer than {MAX_REGEX} characters", problem="regex"
        )
    if _NESTED_QUANTIFIER.search(pattern):
        raise RuleInvalid(
            f"the regular expression {pattern!r} nests quantifiers (catastrophic backtracking)",
            problem="regex",
        )


def _walk(node: Any) -> Iterator[Any]:
    yield node
    for value in vars(node).values():
        if isinstance(value, rule_ast.ExpressionBase):
            yield from _walk(value)
        elif isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, rule_ast.ExpressionBase):
                    yield from _walk(item)
