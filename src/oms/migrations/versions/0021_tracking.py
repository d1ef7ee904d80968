"""tracking: per-tenant carrier push settings, shipment scans, shipments' tracking columns

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 03:54:19
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import oms.core.db

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracking_configs",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("secret_sealed", sa.Text(), nullable=False),
        sa.Column("checkword_sealed", sa.Text(), nullable=True),
        sa.Column("app_key", sa.String(length=128), nullable=True),
        sa.Column("created_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_tracking_configs_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "protocol", name=op.f("pk_tracking_configs")),
    )
    op.create_table(
        "shipment_scans",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("shipment_id", sa.String(length=36), nullable=False),
        sa.Column("at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tracking_status", sa.String(length=32), nullable=False),
        sa.Column("tracking_sub_status", sa.String(length=48), nullable=False),
        sa.Column("raw_code", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("dedup_key", sa.String(length=64), nullable=False),
        sa.Column("inbox_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "shipment_id"],
            ["shipments.tenant_id", "shipments.id"],
            name=op.f("fk_shipment_scans_tenant_id_shipment_id_shipments"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_shipment_scans")),
    )
    with op.batch_alter_table("shipment_scans", schema=None) as batch_op:
        batch_op.create_index(
            "ix_shipment_scans_at", ["tenant_id", "shipment_id", "at"], unique=False
        )
        batch_op.create_index(
            "uq_shipment_scans_scan", ["tenant_id", "shipment_id", "dedup_key"], unique=True
        )

    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tracking_status", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("tracking_sub_status", sa.String(length=48), nullable=True))
        batch_op.add_column(sa.Column("raw_code", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("last_scan_at", oms.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("eta_from", oms.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("eta_to", oms.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_shipments_last_scan", ["last_scan_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index("ix_shipments_last_scan")
        batch_op.drop_column("eta_to")
        batch_op.drop_column("eta_from")
        batch_op.drop_column("last_scan_at")
        batch_op.drop_column("raw_code")
        batch_op.drop_column("tracking_sub_status")
        batch_op.drop_column("tracking_status")

    with op.batch_alter_table("shipment_scans", schema=None) as batch_op:
        batch_op.drop_index("uq_shipment_scans_scan")
        batch_op.drop_index("ix_shipment_scans_at")

    op.drop_table("shipment_scans")
    op.drop_table("tracking_configs")
