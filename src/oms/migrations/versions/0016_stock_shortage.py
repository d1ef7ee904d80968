"""stock shortage: short order lines, the order's shortage flag, untracked SKUs, COD deadline

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 20:50:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import oms.core.db

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stock_untracked_skus",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=True),
        sa.Column("created_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_stock_untracked_skus_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "sku", name=op.f("pk_stock_untracked_skus")),
    )
    op.create_table(
        "stock_awaited_skus",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_stock_awaited_skus_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "sku", name=op.f("pk_stock_awaited_skus")),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("short_qty", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stock_shortage", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.alter_column(
            "payment_due_at", existing_type=oms.core.db.UTCDateTime(timezone=True), nullable=True
        )
        batch_op.create_index(
            "ix_orders_stock_shortage", ["tenant_id", "stock_shortage"], unique=False
        )
    # Paid orders flagged by the earlier all-or-nothing path hold nothing for any line: every
    # unit of them is short, so the backfill can serve them like any other short order.
    op.execute(
        "UPDATE orders SET stock_shortage = true "
        "WHERE exception_code = 'stock_shortage' AND status NOT IN ('cancelled', 'closed')"
    )
    op.execute(
        "UPDATE order_lines SET short_qty = qty WHERE EXISTS (SELECT 1 FROM orders o "
        "WHERE o.tenant_id = order_lines.tenant_id AND o.id = order_lines.order_id "
        "AND o.stock_shortage = true)"
    )
    _await_legacy_short_lines()


def _await_legacy_short_lines() -> None:
    """Mark the SKUs those orders wait for, so the next inbound of each serves them."""
    bind = op.get_bind()
    awaited = sa.table(
        "stock_awaited_skus",
        sa.column("tenant_id", sa.String),
        sa.column("sku", sa.String),
        sa.column("version", sa.Integer),
        sa.column("updated_at", oms.core.db.UTCDateTime(timezone=True)),
    )
    rows = bind.execute(
        sa.text("SELECT DISTINCT tenant_id, sku FROM order_lines WHERE short_qty > 0")
    ).all()
    now = datetime.now(UTC)
    if rows:
        op.bulk_insert(
            awaited,
            [{"tenant_id": t, "sku": sku, "version": 1, "updated_at": now} for t, sku in rows],
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_stock_shortage")
        batch_op.alter_column(
            "payment_due_at", existing_type=oms.core.db.UTCDateTime(timezone=True), nullable=False
        )
        batch_op.drop_column("stock_shortage")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_column("short_qty")
    op.drop_table("stock_awaited_skus")
    op.drop_table("stock_untracked_skus")
