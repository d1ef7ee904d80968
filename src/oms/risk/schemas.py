"""Pydantic shapes of the risk API. ORM rows never leave the domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from oms.risk.rules import Action

__all__ = [
    "BlacklistImportOut",
    "BlacklistKind",
    "DecisionIn",
    "DelayDecisionIn",
    "DelayOut",
    "DryRunIn",
    "DryRunOut",
    "Fact",
    "QueueItem",
    "RiskOut",
    "RuleIn",
    "RuleOut",
]

BlacklistKind = Literal["phone", "address", "ip", "buyer"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuleIn(_In):
    """A rule; the expression is checked by the service (ERR_RISK_RULE_INVALID names the
    problem), so its length and grammar are not ERR_VALIDATION."""

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")]
    expression: str = Field(description="a rule-engine expression over the features (docs/risk.md)")
    action: Action
    enabled: bool = True
    shadow: bool = Field(default=False, description="evaluated and recorded, never acted on")


class RuleOut(BaseModel):
    id: str
    name: str
    expression: str
    action: Action
    enabled: bool
    shadow: bool
    builtin: bool
    created_by: str
    updated_at: datetime


class Fact(BaseModel):
    description: str
    sentiment: Literal["raises", "lowers"]


class RiskOut(BaseModel):
    order_id: str
    level: Literal["none", "low", "medium", "high"]
    facts: list[Fact]
    rules_hit: list[str]
    recommendation: Literal["accept", "investigate", "cancel"]
    hold_status: str = Field(description="clear, awaiting_payment, held, released or cancelled")
    hold_reason: str | None = Field(description="high_risk while the order is held for risk")
    shadow_hits: list[str] = Field(description="shadow rules that matched (not acted on)")
    assessed_at: datetime | None
    decided_by: str | None = None
    decision_reason: str | None = None


class DecisionIn(_In):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class QueueItem(BaseModel):
    order_id: str
    order_no: str
    level: str
    facts: list[Fact]
    rules_hit: list[str]
    recommendation: str
    held_at: datetime | None


class BlacklistImportOut(BaseModel):
    batch_id: str
    kind: BlacklistKind
    imported: int = Field(description="new entries")
    already_listed: int
    imported_by: str
    imported_at: datetime


class DryRunIn(_In):
    expression: str
    days: Annotated[int, Field(ge=1, le=30)] = 30


class DryRunOut(BaseModel):
    expression: str
    days: int
    evaluated: int = Field(description="orders assessed in the window")
    would_hold: int
    currently_held: int = Field(description="of those, how many the live rules hold today")
    order_nos: list[str] = Field(description="the first 100 orders it would have held")


class DelayDecisionIn(_In):
    """Ops' answer to a delay suggestion: accepted or not, what was done, why."""

    accepted: bool
    action: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    reason: Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=1000)] = None


class DelayOut(BaseModel):
    """A flagged parcel in flight: its predicted delay, the suggestion, ops' decision."""

    shipment_id: str
    order_id: str
    carrier: str
    route: str
    p_late: float
    reasons: str
    suggestion: str
    predicted_at: datetime
    accepted: bool | None
    decision_action: str | None
    decision_reason: str | None
    decided_by: str | None
    decided_at: datetime | None
