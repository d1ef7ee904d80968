"""partners: partner accounts; tenants get status, locale and their partner

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 04:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import oms.core.db

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("hint", sa.String(length=4), nullable=True),
        sa.Column("key_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
    )
    op.create_index("ix_partners_key_hash", "partners", ["key_hash"], unique=True)
    # Existing tenants are active, speak the console's default language and have no partner.
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=16), server_default="active", nullable=False)
        )
        batch.add_column(
            sa.Column("suspended_at", oms.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("locale", sa.String(length=16), server_default="zh-CN", nullable=False)
        )
        batch.add_column(sa.Column("partner_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("partner_role", sa.String(length=32), nullable=True))
        batch.create_foreign_key(
            op.f("fk_tenants_partner_id_partners"), "partners", ["partner_id"], ["id"]
        )
        batch.create_index("ix_tenants_partner", ["partner_id", "created_at", "id"])


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_index("ix_tenants_partner")
        batch.drop_constraint(op.f("fk_tenants_partner_id_partners"), type_="foreignkey")
        batch.drop_column("partner_role")
        batch.drop_column("partner_id")
        batch.drop_column("locale")
        batch.drop_column("suspended_at")
        batch.drop_column("status")
    op.drop_index("ix_partners_key_hash", table_name="partners")
    op.drop_table("partners")
