"""low-stock alerts: a rule per tenant and the SKUs that have raised theirs

Revision ID: 0019
Revises: 0017 (rechained to 0018 at merge)
Create Date: 2026-12-01 23:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import oms.core.db

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_low_stock_rules",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("threshold", sa.BigInteger(), nullable=False),
        sa.Column("route_id", sa.String(length=36), nullable=True),
        sa.Column("actor", sa.String(length=128), nullable=True),
        sa.Column("updated_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_alert_low_stock_rules_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_alert_low_stock_rules")),
    )
    op.create_table(
        "alert_low_stock_flags",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("available", sa.BigInteger(), nullable=False),
        sa.Column("raised_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_alert_low_stock_flags_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "sku", name=op.f("pk_alert_low_stock_flags")),
    )


def downgrade() -> None:
    op.drop_table("alert_low_stock_flags")
    op.drop_table("alert_low_stock_rules")
