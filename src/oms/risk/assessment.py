"""From features and rule hits to the order's assessment: level, facts, recommendation.

Pure. Facts explain the level in the merchant's words, each marked as raising or lowering
the risk (as Shopify's order risk does); only features that stand out are stated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from oms.risk.rules import Action, RuleSpec

__all__ = ["Verdict", "judge"]

RAISES, LOWERS = "raises", "lowers"


@dataclass(frozen=True, slots=True)
class Verdict:
    level: str
    recommendation: str
    action: str
    facts: list[dict[str, str]]
    rules_hit: list[str]
    shadow_hits: list[str] = field(default_factory=list)


def judge(features: Mapping[str, Any], matched: Sequence[RuleSpec]) -> Verdict:
    """The assessment of an order whose features matched ``matched`` (shadow rules only noted).

    An ``allow`` hit overrides the others (a merchant's trusted buyers); else ``block`` beats
    ``review``. Level: high for a block, medium for a review, low when only facts raise it.
    """
    live = [r for r in matched if not r.shadow]
    actions = {r.action for r in live}
    facts = _facts(features)
    for rule in live:
        sentiment = LOWERS if rule.action == Action.ALLOW else RAISES
        facts.append({"description": f"rule {rule.name} matched", "sentiment": sentiment})
    if Action.ALLOW in actions:
        action = Action.ALLOW
    elif Action.BLOCK in actions:
        action = Action.BLOCK
    elif Action.REVIEW in actions:
        action = Action.REVIEW
    else:
        action = Action.ALLOW
    level = _level(action, live, facts)
    recommendation = {"high": "cancel", "medium": "investigate"}.get(level, "accept")
    return Verdict(
        level=level,
        recommendation=recommendation,
        action=str(action),
        facts=facts,
        rules_hit=[r.name for r in live],
        shadow_hits=[r.name for r in matched if r.shadow],
    )


def _level(action: Action, live: Sequence[RuleSpec], facts: list[dict[str, str]]) -> str:
    if action == Action.BLOCK:
        return "high"
    if action == Action.REVIEW:
        return "high" if sum(r.action == Action.REVIEW for r in live) >= 2 else "medium"
    if any(f["sentiment"] == RAISES for f in facts) and not live:
        return "low"
    return "none"


def _count(features: Mapping[str, Any], key: str) -> float:
    value = features.get(key)
    return float(value) if value is not None else 0.0


def _facts(features: Mapping[str, Any]) -> list[dict[str, str]]:
    facts: list[dict[str, str]] = []

    def say(text: str, sentiment: str = RAISES) -> None:
        facts.append({"description": text, "sentiment": sentiment})

    for kind, label in (("ip", "IP address"), ("device", "device"), ("phone", "phone number")):
        n = _count(features, f"{kind}_orders_10m")
        if n >= 3:
            say(f"{n:.0f} orders from the same {label} in 10 minutes")
    if _count(features, "address_orders_24h") >= 3:
        say(f"{_count(features, 'address_orders_24h'):.0f} orders to the same address in 24 hours")
    if _count(features, "geo_orders_1h") >= 5:
        say(f"{_count(features, 'geo_orders_1h'):.0f} deliveries within about 150 m in 1 hour")
    if _count(features, "buyer_orders_1h") >= 3:
        say(f"the buyer placed {_count(features, 'buyer_orders_1h'):.0f} orders in 1 hour")
    if features.get("is_virtual_phone"):
        say("the phone number is in a virtual operator's segment")
    if _count(features, "blacklist_hits") > 0:
        kinds = [k for k in ("phone", "address", "ip", "buyer") if features.get(f"blacklisted_{k}")]
        say("blacklisted " + ", ".join(kinds))
    ratio = features.get("amount_vs_buyer_avg")
    if ratio is not None and ratio >= 5:
        say(f"the amount is {ratio:.1f} times the buyer's average")
    prior = _count(features, "buyer_prior_orders")
    if prior >= 3 and _count(features, "blacklist_hits") == 0:
        say(f"the buyer has {prior:.0f} earlier orders", LOWERS)
    return facts
