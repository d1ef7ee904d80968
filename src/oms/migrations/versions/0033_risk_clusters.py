"""risk_clusters: delivery points on the geo7 signals, flagged cluster cells, delay flags

Revision ID: 0033_risk_clusters
Revises: 0032_notifications
Create Date: 2026-12-03 13:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import oms.core.db

revision = "0033_risk_clusters"
down_revision = "0032_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: only geo7 rows carry the WGS-84 point; rows written before it have none.
    with op.batch_alter_table("risk_signals") as batch:
        batch.add_column(sa.Column("lat", sa.Float(), nullable=True))
        batch.add_column(sa.Column("lng", sa.Float(), nullable=True))
    op.create_table(
        "risk_cluster_cells",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("cell", sa.String(length=12), nullable=False),
        sa.Column("cluster_orders", sa.Integer(), nullable=False),
        sa.Column("cluster_buyers", sa.Integer(), nullable=False),
        sa.Column("computed_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "cell"),
    )
    op.create_table(
        "risk_delay_flags",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("shipment_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=False),
        sa.Column("route", sa.String(length=200), nullable=False),
        sa.Column("p_late_ppm", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.String(length=1000), nullable=False),
        sa.Column("suggestion", sa.String(length=200), nullable=False),
        sa.Column("predicted_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=True),
        sa.Column("decision_action", sa.String(length=200), nullable=True),
        sa.Column("decision_reason", sa.String(length=1000), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", oms.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "shipment_id"),
    )
    op.create_index(
        "ix_risk_delay_flags_p", "risk_delay_flags", ["tenant_id", "p_late_ppm", "shipment_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_risk_delay_flags_p", table_name="risk_delay_flags")
    op.drop_table("risk_delay_flags")
    op.drop_table("risk_cluster_cells")
    with op.batch_alter_table("risk_signals") as batch:
        batch.drop_column("lng")
        batch.drop_column("lat")
