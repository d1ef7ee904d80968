"""risk_clusters: delivery points on the geo7 signals, flagged cluster cells

Revision ID: 0029_risk_clusters
Revises: 0028
Create Date: 2026-12-03 13:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import oms.core.db

revision = "0029_risk_clusters"
down_revision = "0028"
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


def downgrade() -> None:
    op.drop_table("risk_cluster_cells")
    with op.batch_alter_table("risk_signals") as batch:
        batch.drop_column("lng")
        batch.drop_column("lat")
