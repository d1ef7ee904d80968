"""Pydantic shapes of the notification API. ORM rows never leave the domain."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "Channel",
    "GrantIn",
    "GrantOut",
    "MessageOut",
    "Node",
    "PreviewIn",
    "PreviewOut",
    "RuleIn",
    "RuleOut",
]


class Node(StrEnum):
    """Where in an order's journey a rule fires (docs/notifications.md says from what)."""

    PACKED = "packed"
    SHIPPED = "shipped"
    AT_HUB = "at_hub"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERED = "delivered"
    STALLED = "stalled"
    EXCEPTION = "exception"


class Channel(StrEnum):
    SMS = "sms"
    WECHAT = "wechat"
    EMAIL = "email"
    WEBHOOK = "webhook"


_HHMM = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuleIn(_In):
    """A rule; template and condition are checked by the service (their own error codes with
    the parser's message), so their grammar is not ERR_VALIDATION."""

    name: Annotated[str, StringConstraints(pattern=r"^[\w][\w .\-]{0,63}$")]
    node: Node
    channel: Channel
    template: str = Field(max_length=20000, description="Liquid; docs list the variables")
    subject: str | None = Field(default=None, max_length=2000, description="e-mail, Liquid")
    condition: str | None = Field(
        default=None, max_length=20000, description="rule-engine expression; empty: always"
    )
    quiet_start: _HHMM | None = Field(default=None, description="HH:MM in the buyer's zone")
    quiet_end: _HHMM | None = None
    is_critical: bool = Field(default=False, description="sent during quiet hours too")
    fallback_channel: Channel | None = Field(
        default=None, description="sms: when WeChat has no subscription left or is refused"
    )
    wechat_template_id: str | None = Field(default=None, max_length=128)
    wechat_page: str | None = Field(default=None, max_length=256)
    wechat_key: str | None = Field(
        default=None,
        pattern=r"^[a-z_]+[0-9]*$",
        max_length=32,
        description="the data key the text goes under (default thing1)",
    )
    is_enabled: bool = True


class RuleOut(BaseModel):
    id: str
    name: str
    node: Node
    channel: Channel
    template: str
    subject: str | None
    condition: str | None
    quiet_start: str | None
    quiet_end: str | None
    is_critical: bool
    fallback_channel: Channel | None
    wechat_template_id: str | None
    wechat_page: str | None
    wechat_key: str | None
    is_enabled: bool
    version: int
    updated_by: str
    created_at: datetime
    updated_at: datetime


class PreviewIn(_In):
    """A rule (saved, by id, or as it is being edited) rendered against one order."""

    order_id: str | None = Field(default=None, max_length=36)
    order_no: str | None = Field(default=None, max_length=64)
    rule_id: str | None = Field(default=None, max_length=36)
    rule: RuleIn | None = None


class PreviewOut(BaseModel):
    text: str
    subject: str | None
    condition_matches: bool
    variables: dict[str, object]


class MessageOut(BaseModel):
    id: str
    order_id: str
    rule_id: str
    rule_name: str
    node: str
    channel: str
    recipient: str | None
    subject: str | None
    text: str
    status: str
    error: str | None
    is_critical: bool
    due_at: datetime
    sent_at: datetime | None
    created_at: datetime


class GrantIn(_In):
    """The buyer accepted a one-time subscribe message (wx.requestSubscribeMessage): one
    send of ``template_id`` to ``openid`` per accepted grant."""

    buyer_id: str = Field(min_length=1, max_length=128)
    openid: str = Field(min_length=1, max_length=128)
    template_id: str = Field(min_length=1, max_length=128)
    count: int = Field(default=1, ge=1, le=50)


class GrantOut(BaseModel):
    buyer_id: str
    template_id: str
    remaining: int
