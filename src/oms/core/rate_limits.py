"""Per-tenant and per-key request limits, counted by the ``limits`` library (docs/partners.md).

The counting (fixed windows, the ``limits`` rate strings such as ``600/minute``) is the
library's; what is ours is where the counts live and what a limit means here:

- ``OMS_RATE_LIMIT_STORAGE_URL=database://`` keeps the counters in the application's own
  database (``rate_limit_counters``, one upserted row per tenant or key and window), so every
  ``oms serve`` process on the same database agrees without another server; ``redis://…``
  (the ``redis`` extra) shares them through Redis; ``memory://`` counts per process.
- An API request is one hit on its tenant's limit and one on its key's (a partner key is one
  key on all its tenants); past either, ``RateLimited`` (429, ``Retry-After``).
- A platform delivery is never refused by a limit: it is stored first, and past the tenant's
  intake limit only its processing waits (``admit_intake`` says how long).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import SQLAlchemyError

from oms.core.errors import RateLimited
from oms.core.models import RateLimitCounter
from oms.core.uow import Database

log = structlog.get_logger("oms.rate_limits")

__all__ = ["DATABASE_STORAGE", "DatabaseStorage", "RateLimiter", "limits_storage"]

#: The storage URL that keeps counters in the application's database.
DATABASE_STORAGE = "database://"


class DatabaseStorage(Storage):
    """A ``limits`` storage in the application's database (PostgreSQL or SQLite).

    Fixed windows only: ``incr`` is one ``INSERT … ON CONFLICT DO UPDATE … RETURNING``, which
    starts a new window when the stored one has expired; time is the database's clock object
    (``core.clock``), so tests can move it.
    """

    STORAGE_SCHEME = None  # made with a Database, not from a URL

    def __init__(self, db: Database) -> None:
        super().__init__()
        self._db = db

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = self._db.clock.now()
        insert = pg_insert if self._db.is_postgres else sqlite_insert
        stmt = insert(RateLimitCounter).values(
            key=key, hits=amount, expires_at=now + timedelta(seconds=expiry)
        )
        expired = RateLimitCounter.expires_at <= now
        upsert = stmt.on_conflict_do_update(
            index_elements=[RateLimitCounter.key],
            set_={
                "hits": case((expired, stmt.excluded.hits), else_=RateLimitCounter.hits + amount),
                "expires_at": case(
                    (expired, stmt.excluded.expires_at), else_=RateLimitCounter.expires_at
                ),
            },
        ).returning(RateLimitCounter.hits)
        with self._db.uow() as uow:
            hits = int(uow.session.execute(upsert).scalar_one())
            uow.commit()
        return hits

    def get(self, key: str) -> int:
        row = self._row(key)
        return row[0] if row is not None else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        expires = row[1] if row is not None else self._db.clock.now()
        return _aware(expires).timestamp()

    def check(self) -> bool:
        try:
            with self._db.reader() as session:
                session.execute(select(RateLimitCounter.key).limit(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self._db.uow() as uow:
            result: CursorResult[Any] = uow.session.execute(delete(RateLimitCounter))  # type: ignore[assignment]
            count = result.rowcount
            uow.commit()
        return int(count)

    def clear(self, key: str) -> None:
        with self._db.uow() as uow:
            uow.session.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))
            uow.commit()

    def _row(self, key: str) -> tuple[int, datetime] | None:
        now = self._db.clock.now()
        with self._db.reader() as session:
            row = session.execute(
                select(RateLimitCounter.hits, RateLimitCounter.expires_at).where(
                    RateLimitCounter.key == key, RateLimitCounter.expires_at > now
                )
            ).first()
        return (row.hits, row.expires_at) if row is not None else None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def limits_storage(url: str, db: Database) -> Storage:
    """The storage ``OMS_RATE_LIMIT_STORAGE_URL`` names: the database, or any ``limits`` URL."""
    if url == DATABASE_STORAGE:
        return DatabaseStorage(db)
    storage = storage_from_string(url)
    if not isinstance(storage, Storage):
        raise ValueError(f"{url!r} is an asynchronous storage; use its synchronous scheme")
    return storage


class RateLimiter:
    """The API's per-tenant and per-key limits and the intake's per-tenant limit.

    Each limit is a ``limits`` rate string (``600/minute``; ``10/second;600/minute`` combines
    windows); an empty string turns that limit off.
    """

    def __init__(
        self,
        storage: Storage,
        db: Database,
        *,
        per_tenant: str,
        per_key: str,
        intake: str,
    ) -> None:
        self._limiter = FixedWindowRateLimiter(storage)
        self._db = db
        self._per_tenant = _items(per_tenant)
        self._per_key = _items(per_key)
        self._intake = _items(intake)

    def admit(self, *, tenant_id: str | None, key: str) -> None:
        """Count one API request of ``key`` (on ``tenant_id``, if it acts on one).

        Raises: ERR_RATE_LIMITED (with ``retry_after`` seconds).
        """
        wait = self._hit(self._per_key, "api-key", key)
        if tenant_id is not None:
            wait = max(wait, self._hit(self._per_tenant, "api-tenant", tenant_id))
        if wait:
            raise RateLimited(
                f"too many requests; retry in {wait} s", retry_after=wait, tenant_id=tenant_id
            )

    def admit_intake(self, tenant_id: str) -> int:
        """Count one stored platform delivery of the tenant; 0 to process it now, else the
        seconds its processing waits. Counting is bookkeeping: when the storage fails, the
        delivery is processed now (logged)."""
        try:
            return self._hit(self._intake, "intake-tenant", tenant_id)
        except Exception:
            log.warning("rate_limits.intake_unavailable", tenant_id=tenant_id, exc_info=True)
            return 0

    def reset(self) -> None:
        """Forget every count (tests)."""
        self._limiter.storage.reset()

    def _hit(self, items: Sequence[RateLimitItem], *identifiers: str) -> int:
        refused = [item for item in items if not self._limiter.hit(item, *identifiers)]
        if not refused:
            return 0
        # The database storage keeps the clock's time; the library's own storages, the host's.
        storage = self._limiter.storage
        now = (
            self._db.clock.now().timestamp()
            if isinstance(storage, DatabaseStorage)
            else time.time()
        )
        reset = max(self._limiter.get_window_stats(i, *identifiers).reset_time for i in refused)
        return max(1, math.ceil(reset - now))


def _items(spec: str) -> list[RateLimitItem]:
    return parse_many(spec) if spec.strip() else []
