"""refund_advice: the strategy advised per refund request, the reviewer's choice, the outcome

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02 18:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import oms.core.db

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "refund_advice",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("refund_id", sa.String(length=36), nullable=False),
        sa.Column("buyer_id", sa.String(length=128), nullable=True),
        sa.Column("strategy", sa.String(length=16), nullable=False),
        sa.Column("reasons", _JSON, nullable=False),
        sa.Column("figures", _JSON, nullable=False),
        sa.Column("advised_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("chosen", sa.String(length=16), nullable=True),
        sa.Column("chosen_by", sa.String(length=128), nullable=True),
        sa.Column("chosen_at", oms.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("feedback_score", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "refund_id"],
            ["refunds.tenant_id", "refunds.id"],
            name=op.f("fk_refund_advice_tenant_id_refund_id_refunds"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "refund_id", name=op.f("pk_refund_advice")),
    )
    op.create_index(
        "ix_refund_advice_advised", "refund_advice", ["tenant_id", "advised_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_refund_advice_advised", table_name="refund_advice")
    op.drop_table("refund_advice")
