"""accounting_vouchers: per-sink settings (voucher accounts, Kingdee/U8 logins) and the
QuickBooks refresh token

Revision ID: 0034_accounting_vouchers
Revises: 0033_risk_clusters
Create Date: 2026-12-03 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import oms.core.db

revision = "0034_accounting_vouchers"
down_revision = "0033_risk_clusters"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # Nullable: connections made before settings existed read as no settings (QuickBooks).
    with op.batch_alter_table("accounting_connections") as batch:
        batch.add_column(sa.Column("settings", _JSON, nullable=True))
        batch.add_column(sa.Column("refresh_sealed", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("token_expires_at", oms.core.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("accounting_connections") as batch:
        batch.drop_column("token_expires_at")
        batch.drop_column("refresh_sealed")
        batch.drop_column("settings")
