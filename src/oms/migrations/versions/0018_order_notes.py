"""order notes: merchants' internal notes; indexes for the console's orders list and search

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import oms.core.db

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_notes",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["orders.tenant_id", "orders.id"],
            name=op.f("fk_order_notes_tenant_id_order_id_orders"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_order_notes")),
    )
    op.create_index(
        "ix_order_notes_order", "order_notes", ["tenant_id", "order_id", "created_at", "id"]
    )
    op.create_index("ix_orders_paid", "orders", ["tenant_id", "paid_at", "id"])
    op.create_index("ix_orders_status_paid", "orders", ["tenant_id", "status", "paid_at"])
    op.create_index("ix_orders_buyer_name", "orders", ["tenant_id", "buyer_name"])
    op.create_index("ix_order_lines_sku", "order_lines", ["tenant_id", "sku"])
    op.create_index("ix_shipments_tracking", "shipments", ["tenant_id", "tracking_no"])


def downgrade() -> None:
    op.drop_index("ix_shipments_tracking", table_name="shipments")
    op.drop_index("ix_order_lines_sku", table_name="order_lines")
    op.drop_index("ix_orders_buyer_name", table_name="orders")
    op.drop_index("ix_orders_status_paid", table_name="orders")
    op.drop_index("ix_orders_paid", table_name="orders")
    op.drop_index("ix_order_notes_order", table_name="order_notes")
    op.drop_table("order_notes")
