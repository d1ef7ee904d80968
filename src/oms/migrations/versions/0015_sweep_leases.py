"""sweep leases: periodic sweeps run once per cluster per interval

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 20:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import oms.core.db

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sweep_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=True),
        sa.Column("leased_until", oms.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_started_at", oms.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", oms.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sweep_leases")),
    )


def downgrade() -> None:
    op.drop_table("sweep_leases")
