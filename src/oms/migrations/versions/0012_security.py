"""security: idempotency keys per caller (sealed answers, checked permissions), api key last use

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 20:40:00

The idempotency table is recreated rather than altered: its rows are answers kept for 24 h,
some of them holding API keys and webhook secrets in plain text, scoped to the whole tenant.
None of them may be replayed under the new rules, so they are dropped with the old table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import oms.core.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _idempotency_table(*, per_principal: bool) -> None:
    key_columns = ["tenant_id", "principal", "key"] if per_principal else ["tenant_id", "key"]
    columns: list[sa.Column[object]] = [
        sa.Column("tenant_id", sa.String(length=36), nullable=False)
    ]
    if per_principal:
        columns.append(sa.Column("principal", sa.String(length=64), nullable=False))
    columns += [
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_headers", _JSON, nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
    ]
    if per_principal:
        columns.append(sa.Column("permissions", _JSON, nullable=True))
    columns += [
        sa.Column("locked_until", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", oms.core.db.UTCDateTime(timezone=True), nullable=False),
    ]
    op.create_table(
        "idempotency_keys",
        *columns,
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_idempotency_keys_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint(*key_columns, name=op.f("pk_idempotency_keys")),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index("ix_idempotency_keys_expires_at", ["expires_at"], unique=False)


def _drop_idempotency_table() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_idempotency_keys_expires_at")
    op.drop_table("idempotency_keys")


def upgrade() -> None:
    _drop_idempotency_table()
    _idempotency_table(per_principal=True)
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_used_at", oms.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("hint", sa.String(length=4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("hint")
        batch_op.drop_column("last_used_at")
    _drop_idempotency_table()
    _idempotency_table(per_principal=False)
