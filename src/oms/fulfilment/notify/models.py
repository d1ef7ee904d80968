"""Notification tables: the tenant's rules, the messages sent per order, WeChat grants."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKeyConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oms.core.db import Base, TenantKeyed, UTCDateTime

__all__ = ["NotificationMessage", "NotificationRule", "WechatGrant"]


class NotificationRule(TenantKeyed, Base):
    """What to send the buyer when an order reaches a node, through which channel."""

    __tablename__ = "notification_rules"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index("uq_notification_rules_name", "tenant_id", "name", unique=True),
        Index("ix_notification_rules_node", "tenant_id", "node"),
    )

    name: Mapped[str] = mapped_column(String(64))
    node: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(Text)
    # E-mail subject (Liquid), none for the other channels.
    subject: Mapped[str | None] = mapped_column(Text, nullable=True)
    condition: Mapped[str | None] = mapped_column(Text, nullable=True)
    # "HH:MM" in the buyer's zone; both empty: no quiet hours.
    quiet_start: Mapped[str | None] = mapped_column(String(5), nullable=True)
    quiet_end: Mapped[str | None] = mapped_column(String(5), nullable=True)
    is_critical: Mapped[bool] = mapped_column(Boolean)
    fallback_channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    wechat_template_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    wechat_page: Mapped[str | None] = mapped_column(String(256), nullable=True)
    wechat_key: Mapped[str | None] = mapped_column(String(32), nullable=True)
    is_enabled: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NotificationMessage(TenantKeyed, Base):
    """One message to the buyer of an order, as rendered, and what became of it."""

    __tablename__ = "notification_messages"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
        # One message per rule and trigger (a re-delivered trigger job sends nothing twice).
        Index("uq_notification_messages_trigger", "tenant_id", "rule_id", "trigger", unique=True),
        Index("ix_notification_messages_order", "tenant_id", "order_id", "created_at"),
    )

    order_id: Mapped[str] = mapped_column(String(36))
    rule_id: Mapped[str] = mapped_column(String(36))
    rule_name: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(80))
    node: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str | None] = mapped_column(String(256), nullable=True)
    subject: Mapped[str | None] = mapped_column(Text, nullable=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    is_critical: Mapped[bool] = mapped_column(Boolean)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WechatGrant(TenantKeyed, Base):
    """One accepted one-time subscription: the buyer allows one message of one template."""

    __tablename__ = "wechat_grants"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index("ix_wechat_grants_buyer", "tenant_id", "buyer_id", "template_id", "used_at"),
    )

    buyer_id: Mapped[str] = mapped_column(String(128))
    openid: Mapped[str] = mapped_column(String(128))
    template_id: Mapped[str] = mapped_column(String(128))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
