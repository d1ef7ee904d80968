"""event relay: outbox_messages.relayed_at, the relay's own state beside the job status

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 21:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import oms.core.db

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing rows stay unrelayed: the first `oms relay` publishes the events already written.
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(
            sa.Column("relayed_at", oms.core.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_index(
        "ix_outbox_messages_unrelayed",
        "outbox_messages",
        ["id"],
        unique=False,
        postgresql_where=sa.text("relayed_at IS NULL"),
        sqlite_where=sa.text("relayed_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_unrelayed", table_name="outbox_messages")
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("relayed_at")
