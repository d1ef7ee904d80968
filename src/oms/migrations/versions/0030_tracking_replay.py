"""tracking_replay: parcels a push named before their shipment was recorded

Revision ID: 0030_tracking_replay
Revises: 0029_bi_views
Create Date: 2026-12-03 14:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from oms.core.db import UTCDateTime

revision = "0030_tracking_replay"
down_revision = "0029_bi_views"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracking_unmatched_parcels",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("inbox_id", sa.String(length=36), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=False),
        sa.Column("tracking_no", sa.String(length=64), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("replayed_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    op.create_index(
        "uq_tracking_unmatched_push",
        "tracking_unmatched_parcels",
        ["tenant_id", "inbox_id", "tracking_no"],
        unique=True,
    )
    op.create_index(
        "ix_tracking_unmatched_parcel", "tracking_unmatched_parcels", ["tenant_id", "tracking_no"]
    )


def downgrade() -> None:
    op.drop_index("ix_tracking_unmatched_parcel", table_name="tracking_unmatched_parcels")
    op.drop_index("uq_tracking_unmatched_push", table_name="tracking_unmatched_parcels")
    op.drop_table("tracking_unmatched_parcels")
