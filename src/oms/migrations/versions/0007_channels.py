"""channels: per-tenant channel settings (sealed secrets) and platform order links

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 17:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import oms.core.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_configs",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("secret_sealed", sa.Text(), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=True),
        sa.Column(
            "mapping_overrides",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_channel_configs_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "channel", name=op.f("pk_channel_configs")),
    )
    op.create_table(
        "channel_orders",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column(
            "last_platform_updated_at", oms.core.db.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("created_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["orders.tenant_id", "orders.id"],
            name=op.f("fk_channel_orders_tenant_id_order_id_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_channel_orders_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "channel", "external_id", name=op.f("pk_channel_orders")
        ),
    )
    with op.batch_alter_table("channel_orders", schema=None) as batch_op:
        batch_op.create_index("ix_channel_orders_order", ["tenant_id", "order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("channel_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_channel_orders_order")

    op.drop_table("channel_orders")
    op.drop_table("channel_configs")
