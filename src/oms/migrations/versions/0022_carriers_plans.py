"""carriers, SKU attributes, fulfilment plans; warehouses gain a location

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 04:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import oms.core.db

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("warehouses") as batch:
        batch.add_column(sa.Column("province", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("city", sa.String(length=100), nullable=True))
    op.create_table(
        "carriers",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("capabilities", _JSON, nullable=False),
        sa.Column("regions", _JSON, nullable=False),
        sa.Column("max_weight_grams", sa.Integer(), nullable=False),
        sa.Column("services", _JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("disabled_at", oms.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_carriers_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "code", name=op.f("pk_carriers")),
    )
    op.create_table(
        "sku_attributes",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("needs", _JSON, nullable=False),
        sa.Column("weight_grams", sa.Integer(), nullable=False),
        sa.Column("updated_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_sku_attributes_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "sku", name=op.f("pk_sku_attributes")),
    )
    op.create_table(
        "fulfilment_plans",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("shipments", _JSON, nullable=False),
        sa.Column("alternatives", _JSON, nullable=False),
        sa.Column("reasons", _JSON, nullable=False),
        sa.Column("is_complete", sa.Boolean(), nullable=False),
        sa.Column("total_cost", sa.Integer(), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("ticket_id", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["orders.tenant_id", "orders.id"],
            name=op.f("fk_fulfilment_plans_tenant_id_order_id_orders"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "order_id", name=op.f("pk_fulfilment_plans")),
    )


def downgrade() -> None:
    op.drop_table("fulfilment_plans")
    op.drop_table("sku_attributes")
    op.drop_table("carriers")
    with op.batch_alter_table("warehouses") as batch:
        batch.drop_column("city")
        batch.drop_column("province")
