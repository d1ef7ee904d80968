"""user admin: users.disabled_at (a disabled user signs in no more)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 23:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import oms.core.db

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing users stay enabled and keep the passwords they chose.
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("disabled_at", oms.core.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("disabled_at")
