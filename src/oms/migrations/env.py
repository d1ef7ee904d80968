"""Alembic environment: the engine comes from oms (``config.attributes["engine"]``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from oms.config import get_settings
from oms.core.db import make_engine
from oms.metadata import metadata

config = context.config
engine: Engine = config.attributes.get("engine") or make_engine(get_settings().database_url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
