"""notifications: buyer notification rules, the message log per order, WeChat grants

Revision ID: 0032_notifications
Revises: 0031_eta
Create Date: 2026-12-03 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import oms.core.db

revision = "0032_notifications"
down_revision = "0031_eta"
branch_labels = None
depends_on = None

_WHEN = oms.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notification_rules",
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("node", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("condition", sa.Text(), nullable=True),
        sa.Column("quiet_start", sa.String(5), nullable=True),
        sa.Column("quiet_end", sa.String(5), nullable=True),
        sa.Column("is_critical", sa.Boolean(), nullable=False),
        sa.Column("fallback_channel", sa.String(16), nullable=True),
        sa.Column("wechat_template_id", sa.String(128), nullable=True),
        sa.Column("wechat_page", sa.String(256), nullable=True),
        sa.Column("wechat_key", sa.String(32), nullable=True),
        sa.Column("is_enabled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    op.create_index(
        "uq_notification_rules_name", "notification_rules", ["tenant_id", "name"], unique=True
    )
    op.create_index("ix_notification_rules_node", "notification_rules", ["tenant_id", "node"])
    op.create_table(
        "notification_messages",
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("order_id", sa.String(36), nullable=False),
        sa.Column("rule_id", sa.String(36), nullable=False),
        sa.Column("rule_name", sa.String(64), nullable=False),
        sa.Column("trigger", sa.String(80), nullable=False),
        sa.Column("node", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(256), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("is_critical", sa.Boolean(), nullable=False),
        sa.Column("due_at", _WHEN, nullable=False),
        sa.Column("sent_at", _WHEN, nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    op.create_index(
        "uq_notification_messages_trigger",
        "notification_messages",
        ["tenant_id", "rule_id", "trigger"],
        unique=True,
    )
    op.create_index(
        "ix_notification_messages_order",
        "notification_messages",
        ["tenant_id", "order_id", "created_at"],
    )
    op.create_table(
        "wechat_grants",
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("buyer_id", sa.String(128), nullable=False),
        sa.Column("openid", sa.String(128), nullable=False),
        sa.Column("template_id", sa.String(128), nullable=False),
        sa.Column("granted_at", _WHEN, nullable=False),
        sa.Column("used_at", _WHEN, nullable=True),
        sa.Column("message_id", sa.String(36), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    op.create_index(
        "ix_wechat_grants_buyer",
        "wechat_grants",
        ["tenant_id", "buyer_id", "template_id", "used_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_wechat_grants_buyer", table_name="wechat_grants")
    op.drop_table("wechat_grants")
    op.drop_index("ix_notification_messages_order", table_name="notification_messages")
    op.drop_index("uq_notification_messages_trigger", table_name="notification_messages")
    op.drop_table("notification_messages")
    op.drop_index("ix_notification_rules_node", table_name="notification_rules")
    op.drop_index("uq_notification_rules_name", table_name="notification_rules")
    op.drop_table("notification_rules")
