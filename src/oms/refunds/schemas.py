"""Pydantic shapes of the refunds API. ORM rows never leave the domain."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from oms.core.money import MAX_AMOUNT, MAX_QTY
from oms.refunds.states import RefundStatus

__all__ = [
    "Colour",
    "DecisionIn",
    "GroupIn",
    "GroupOut",
    "RefundIn",
    "RefundLineIn",
    "RefundOut",
    "RefundReason",
    "RefundSentOut",
    "ReturnIn",
    "ReturnLineIn",
    "RoutingRuleIn",
    "RoutingRuleOut",
    "SettingsIn",
    "SettingsOut",
    "SlaBoard",
    "SlaItem",
]

Sku = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
GroupName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
PrincipalName = Annotated[str, StringConstraints(pattern=r"^[a-z]+:[A-Za-z0-9_.\-@]{1,120}$")]


class RefundReason(StrEnum):
    WRONG_ITEM = "wrong_item"
    DAMAGED_IN_TRANSIT = "damaged_in_transit"
    NO_REASON_7_DAYS = "no_reason_7_days"
    QUALITY = "quality"
    NOT_RECEIVED = "not_received"
    LATE_PAYMENT = "late_payment"
    OTHER = "other"


class Colour(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"


class MembershipLevel(StrEnum):
    """The buyer's membership level as the channel or the merchant's CRM reports it."""

    NONE = "none"
    MEMBER = "member"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"


class AdviceStrategy(StrEnum):
    """How to settle a refund: money back the way it came, store balance, or a goodwill gift."""

    ORIGINAL_ROUTE = "original_route"
    STORE_BALANCE = "store_balance"
    GOODWILL_GIFT = "goodwill_gift"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RefundLineIn(_In):
    sku: Sku
    qty: Annotated[int, Field(ge=1, le=MAX_QTY)]


class RefundIn(_In):
    """Exactly one of ``whole_order``, ``lines`` or ``amount`` says how much."""

    order_id: Annotated[str, StringConstraints(min_length=1, max_length=36)]
    whole_order: bool = False
    lines: Annotated[list[RefundLineIn], Field(min_length=1, max_length=500)] | None = None
    amount: Annotated[int, Field(ge=1, le=MAX_AMOUNT, description="fen")] | None = None
    reason: RefundReason
    customer_note: Annotated[str, StringConstraints(max_length=2000)] | None = None
    evidence: Annotated[
        list[Annotated[str, StringConstraints(pattern=r"^https?://\S{1,2000}$")]],
        Field(max_length=20),
    ] = []
    request_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:\-]{1,64}$")] | None = None
    membership_level: MembershipLevel | None = None

    @model_validator(mode="after")
    def _one_scope(self) -> RefundIn:
        chosen = [self.whole_order, self.lines is not None, self.amount is not None]
        if sum(chosen) != 1:
            raise ValueError("give exactly one of whole_order, lines or amount")
        return self


class DecisionIn(_In):
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class ReturnLineIn(_In):
    sku: Sku
    qty: Annotated[int, Field(ge=1, le=MAX_QTY)]
    warehouse: (
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")] | None
    ) = None


class ReturnIn(_In):
    lines: Annotated[list[ReturnLineIn], Field(min_length=1, max_length=500)]


class RoutingRuleIn(_In):
    reason: RefundReason
    channel: Annotated[str, StringConstraints(max_length=64)] | None = None
    min_amount: Annotated[int, Field(ge=0, le=MAX_AMOUNT)] | None = None
    max_amount: Annotated[int, Field(ge=0, le=MAX_AMOUNT)] | None = None
    review_group: GroupName
    template: dict[str, Any] = {}


class RoutingRuleOut(RoutingRuleIn):
    position: int


class GroupIn(_In):
    supervisor: PrincipalName | None = None
    members: Annotated[list[PrincipalName], Field(max_length=500)] = []


class GroupOut(BaseModel):
    name: str
    supervisor: str | None
    members: list[str]


class SettingsIn(_In):
    auto_refund_enabled: bool = False
    min_history_days: Annotated[int, Field(ge=0, le=3650)] = 180
    max_return_rate_bp: Annotated[int, Field(ge=0, le=10_000, description="200 = 2 %")] = 200
    require_no_disputes: bool = True


class SettingsOut(SettingsIn):
    updated_at: datetime | None = None


class RefundOut(BaseModel):
    id: str
    order_id: str
    order_no: str
    request_id: str | None
    status: RefundStatus
    version: int
    reason: str
    scope: str
    amount: int
    currency: str
    lines: list[dict[str, Any]]
    customer_note: str | None
    evidence: list[str]
    gateway: str | None
    payment_id: str | None
    review_group: str
    template: dict[str, Any]
    auto_decision: dict[str, Any] | None
    decided_by: str | None
    decision_note: str | None
    gateway_result: dict[str, Any] | None
    last_error: str | None
    returned: list[dict[str, Any]]
    escalated_to: str | None
    escalated_at: datetime | None
    requested_at: datetime
    reviewed_at: datetime | None
    refunded_at: datetime | None
    failed_at: datetime | None
    updated_at: datetime


class RefundSentOut(BaseModel):
    """A refund the gateway (or channel) confirmed: money that left, for finance to match."""

    id: str
    order_id: str
    order_no: str
    amount: int
    currency: str
    gateway: str | None
    trade_no: str | None
    # The gateway's own refund id when it gave one (WeChat Pay ``refund_id``); else None.
    gateway_refund_id: str | None
    refunded_at: datetime


class SlaItem(BaseModel):
    refund_id: str
    order_id: str
    order_no: str
    status: RefundStatus
    review_group: str
    amount: int
    order_total: int
    age_seconds: int
    colour: Colour
    escalated: bool
    incurred: int = Field(description="compensation already owed (fen)")
    at_risk: int = Field(description="compensation owed if it ages further (fen)")


class SlaBoard(BaseModel):
    as_of: datetime
    items: list[SlaItem]
    counts: dict[str, int]
    total_incurred: int
    total_at_risk: int


class AdviceIn(_In):
    """What the reviewer chose and, later, the buyer's feedback score (either or both)."""

    chosen: AdviceStrategy | None = None
    feedback_score: Annotated[int, Field(ge=1, le=5)] | None = None


class AdviceOut(BaseModel):
    """The strategy advised for a refund, with the reasons shown to the reviewer."""

    refund_id: str
    strategy: AdviceStrategy
    reasons: list[str]
    figures: dict[str, Any]
    advised_at: datetime
    chosen: AdviceStrategy | None
    chosen_by: str | None
    chosen_at: datetime | None
    feedback_score: int | None


class AdviceReportRow(BaseModel):
    """One advised strategy: how often reviewers followed it, and what followed."""

    strategy: AdviceStrategy
    advised: int
    followed: int
    overridden: int
    undecided: int
    # Refunds requested at least 60 days ago (so a repeat purchase could have happened).
    mature: int
    repeat_rate_followed: float | None
    repeat_rate_overridden: float | None
    feedback_mean_followed: float | None
    feedback_mean_overridden: float | None


class AdviceReport(BaseModel):
    """Refund advice evaluated: per advised strategy, repeat purchases within 60 days."""

    tenant_id: str
    repeat_window_days: int
    rows: list[AdviceReportRow]
