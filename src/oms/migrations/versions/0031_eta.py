"""eta: per-tenant ETA models; shipments keep their route (origin and destination province)

Revision ID: 0031_eta
Revises: 0030_tracking_replay
Create Date: 2026-12-03 13:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from oms.core.db import UTCDateTime

revision = "0031_eta"
down_revision = "0030_tracking_replay"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "eta_models",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("model", _JSON, nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("margin_seconds", sa.Integer(), nullable=False),
        sa.Column("calibration_coverage_bp", sa.Integer(), nullable=False),
        sa.Column("trained_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_eta_models_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_eta_models")),
    )
    # Nullable: parcels shipped before have no known route; the ETA backs off to the carrier.
    with op.batch_alter_table("shipments") as batch:
        batch.add_column(sa.Column("origin_province", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("destination_province", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shipments") as batch:
        batch.drop_column("destination_province")
        batch.drop_column("origin_province")
    op.drop_table("eta_models")
