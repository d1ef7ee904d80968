"""fair claims and accounting sinks: an index per tenant's due messages; accounting tables

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import oms.core.db

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_messages_tenant_due",
        "outbox_messages",
        ["tenant_id", "status", "available_at"],
    )
    op.create_table(
        "accounting_connections",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("sink", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("base_url", sa.String(length=300), nullable=False),
        sa.Column("token_sealed", sa.Text(), nullable=False),
        sa.Column("item_ref", sa.String(length=64), nullable=False),
        sa.Column("account_ref", sa.String(length=64), nullable=True),
        sa.Column("created_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_accounting_connections_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "sink", name=op.f("pk_accounting_connections")),
    )
    op.create_table(
        "accounting_documents",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("sink", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("order_no", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("txn_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("ticket_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", oms.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_accounting_documents_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_accounting_documents")),
    )
    op.create_index(
        "ux_accounting_documents_source",
        "accounting_documents",
        ["tenant_id", "sink", "kind", "source_id"],
        unique=True,
    )
    op.create_index(
        "ix_accounting_documents_list", "accounting_documents", ["tenant_id", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_accounting_documents_list", table_name="accounting_documents")
    op.drop_index("ux_accounting_documents_source", table_name="accounting_documents")
    op.drop_table("accounting_documents")
    op.drop_table("accounting_connections")
    op.drop_index("ix_outbox_messages_tenant_due", table_name="outbox_messages")
