"""Engine, declarative base and column types shared by every domain.

SQLite and PostgreSQL run the same code. On SQLite we take the write lock at the start of a
write transaction (``BEGIN IMMEDIATE``), so two writers queue instead of failing halfway.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, String, Table, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import QueuePool
from sqlalchemy.types import TypeDecorator

from oms.config import Settings
from oms.core.clock import Clock
from oms.core.uow import Database

__all__ = [
    "Base",
    "JSONType",
    "TenantKeyed",
    "UTCDateTime",
    "configured_database",
    "is_postgres",
    "make_engine",
    "normalize_url",
    "table",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TenantKeyed:
    """The key every tenant-owned row leads with: ``(tenant_id, id)``, both 36-character ids.

    The negative sort order keeps them the table's first two columns, ahead of the model's own.
    """

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True, sort_order=-2)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, sort_order=-1)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use core.clock")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def table(model: type[Base]) -> Table:
    """The Core table of a mapped class, for constant statements on hot paths."""
    found = model.__table__
    assert isinstance(found, Table)
    return found


def normalize_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    """Create an engine for ``url`` with the settings each backend needs."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, echo=echo)
    # No pre-ping: it costs a round trip per unit of work. A connection that died with the
    # server fails its first use and is dropped from the pool; recycling bounds their age.
    return create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800, echo=echo
    )


def configured_database(settings: Settings, clock: Clock) -> Database:
    """The primary of ``OMS_DATABASE_URL`` and, if set, the replica of ``OMS_READ_DATABASE_URL``."""
    size = settings.database_pool_size
    replica = (
        make_engine(settings.read_database_url, pool_size=size)
        if settings.read_database_url
        else None
    )
    return Database(make_engine(settings.database_url, pool_size=size), clock, replica=replica)


def _sqlite_engine(url: str, *, echo: bool) -> Engine:
    # A pool, not a connection per unit of work: closing the last connection checkpoints the
    # WAL into the main file, which made every order pay for a checkpoint. A pooled
    # connection is used by one thread at a time, so sharing across threads is safe.
    engine = create_engine(
        url,
        echo=echo,
        poolclass=QueuePool,
        pool_size=8,
        max_overflow=32,
        connect_args={"check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def is_postgres(bind: Engine | Connection) -> bool:
    """True when ``bind`` talks to PostgreSQL (row locks, SKIP LOCKED)."""
    return bind.dialect.name == "postgresql"
