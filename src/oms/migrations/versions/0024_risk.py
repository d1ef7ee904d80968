"""risk: rules, blacklist, signals, assessments; orders carry the buyer's IP and device id

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import oms.core.db

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

_TS = oms.core.db.UTCDateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["tenants.id"], name=op.f(f"fk_{table}_tenant_id_tenants")
    )


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("buyer_ip", sa.String(length=45), nullable=True))
        batch.add_column(sa.Column("buyer_device_id", sa.String(length=128), nullable=True))
    op.create_table(
        "risk_rules",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("expression", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("shadow", sa.Boolean(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        _tenant_fk("risk_rules"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_risk_rules")),
    )
    op.create_index("uq_risk_rules_name", "risk_rules", ["tenant_id", "name"], unique=True)
    op.create_table(
        "risk_blacklist",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("imported_by", sa.String(length=128), nullable=False),
        sa.Column("imported_at", _TS, nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        _tenant_fk("risk_blacklist"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_risk_blacklist")),
    )
    op.create_index(
        "uq_risk_blacklist_value", "risk_blacklist", ["tenant_id", "kind", "value"], unique=True
    )
    op.create_table(
        "risk_signals",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        _tenant_fk("risk_signals"),
        sa.PrimaryKeyConstraint("tenant_id", "order_id", "kind", name=op.f("pk_risk_signals")),
    )
    op.create_index("ix_risk_signals_key", "risk_signals", ["tenant_id", "kind", "value", "at"])
    op.create_index("ix_risk_signals_at", "risk_signals", ["tenant_id", "at"])
    op.create_table(
        "risk_assessments",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("order_no", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("recommendation", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("facts", _JSON, nullable=False),
        sa.Column("rules_hit", _JSON, nullable=False),
        sa.Column("shadow_hits", _JSON, nullable=False),
        sa.Column("features", _JSON, nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("assessed_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("held_at", _TS, nullable=True),
        sa.Column("decided_at", _TS, nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decision_reason", sa.String(length=1000), nullable=True),
        _tenant_fk("risk_assessments"),
        sa.PrimaryKeyConstraint("tenant_id", "order_id", name=op.f("pk_risk_assessments")),
    )
    op.create_index(
        "ix_risk_assessments_queue", "risk_assessments", ["tenant_id", "status", "assessed_at"]
    )
    op.create_index(
        "ix_risk_assessments_assessed", "risk_assessments", ["tenant_id", "assessed_at"]
    )


def downgrade() -> None:
    for name in ("risk_assessments", "risk_signals", "risk_blacklist", "risk_rules"):
        op.drop_table(name)
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("buyer_device_id")
        batch.drop_column("buyer_ip")
