"""finance references: every reference and the order on expected movements, order and rank on
matches, merged auto-confirmation setting

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("expected_movements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("refund_no", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("gateway_refund_no", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("payer_name", sa.String(length=200), nullable=True))
        batch_op.alter_column(
            "external_id",
            existing_type=sa.String(length=64),
            type_=sa.String(length=128),
            existing_nullable=True,
        )
        batch_op.create_index(
            "ix_expected_movements_order", ["tenant_id", "order_id"], unique=False
        )
    with op.batch_alter_table("finance_matches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("order_no", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("rank", sa.Integer(), nullable=True))
    with op.batch_alter_table("finance_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("auto_confirm_merged", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("finance_settings", schema=None) as batch_op:
        batch_op.drop_column("auto_confirm_merged")
    with op.batch_alter_table("finance_matches", schema=None) as batch_op:
        batch_op.drop_column("rank")
        batch_op.drop_column("order_no")
        batch_op.drop_column("order_id")
    with op.batch_alter_table("expected_movements", schema=None) as batch_op:
        batch_op.drop_index("ix_expected_movements_order")
        batch_op.alter_column(
            "external_id",
            existing_type=sa.String(length=128),
            type_=sa.String(length=64),
            existing_nullable=True,
        )
        batch_op.drop_column("payer_name")
        batch_op.drop_column("gateway_refund_no")
        batch_op.drop_column("refund_no")
        batch_op.drop_column("order_id")
