"""Conditions of notification rules: rule-engine expressions over order, item and scan
attributes (``core.expressions``, the mechanism risk rules use)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import rule_engine

from oms.core.expressions import Conditions, matches
from oms.fulfilment.notify.errors import ConditionInvalid

__all__ = ["HOT_REGIONS", "SYMBOLS", "check_condition", "condition_matches"]

_F, _B, _S = rule_engine.DataType.FLOAT, rule_engine.DataType.BOOLEAN, rule_engine.DataType.STRING
_LIST = rule_engine.DataType.ARRAY(_S)

# South China's provinces, where summer heat spoils cold-chain goods first: a convenience
# constant (``scan_province in hot_regions``); a rule may name its own list literal instead.
HOT_REGIONS: tuple[str, ...] = ("广东省", "广西壮族自治区", "海南省", "福建省")

# Every symbol a condition may name (docs/notifications.md lists their meaning).
SYMBOLS: dict[str, Any] = {
    "node": _S,
    "order_total": _F,
    "order_channel": _S,
    "order_province": _S,
    "order_city": _S,
    "buyer_id": _S,
    "item_skus": _LIST,
    "item_needs": _LIST,
    "item_count": _F,
    "cold_chain": _B,
    "carrier": _S,
    "scan_status": _S,
    "scan_sub_status": _S,
    "scan_location": _S,
    "scan_province": _S,
    "scan_text": _S,
    "hot_regions": _LIST,
}

_CONDITIONS = Conditions(SYMBOLS, ConditionInvalid)


def check_condition(expression: str) -> rule_engine.Rule:
    """The compiled condition. Raises: ERR_NOTIFICATION_CONDITION_INVALID."""
    return _CONDITIONS.compile(expression)


def condition_matches(expression: str | None, values: Mapping[str, Any]) -> bool:
    """Whether the rule's condition holds (no condition: always; a missing value: no)."""
    if not expression:
        return True
    return matches(check_condition(expression), {**values, "hot_regions": list(HOT_REGIONS)})
