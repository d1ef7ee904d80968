"""partner api: tenants' external reference per partner; rate-limit counters

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 18:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import oms.core.db

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("external_ref", sa.String(length=255), nullable=True))
        batch.create_index("ix_tenants_partner_ref", ["partner_id", "external_ref"], unique=True)
    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_counters")),
    )


def downgrade() -> None:
    op.drop_table("rate_limit_counters")
    with op.batch_alter_table("tenants") as batch:
        batch.drop_index("ix_tenants_partner_ref")
        batch.drop_column("external_ref")
