"""ticket_codes: ticket titles and system comments as codes with parameters

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03 07:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # Nullable: tickets and comments written before codes keep their text and render as before.
    with op.batch_alter_table("exception_tickets") as batch:
        batch.add_column(sa.Column("title_code", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("title_params", _JSON, nullable=True))
    with op.batch_alter_table("ticket_comments") as batch:
        batch.add_column(sa.Column("code", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("params", _JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket_comments") as batch:
        batch.drop_column("params")
        batch.drop_column("code")
    with op.batch_alter_table("exception_tickets") as batch:
        batch.drop_column("title_params")
        batch.drop_column("title_code")
