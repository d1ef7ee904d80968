"""Unit of work: one use case, one transaction, one commit.

A use case opens ``with uow:``, does its checks and writes through ``uow.session``, and calls
``uow.commit()`` once at the end. Leaving the block without a commit rolls everything back,
outbox messages and audit entries included.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from oms.core.clock import Clock

__all__ = ["Database", "UnitOfWork"]


class Database:
    """The engine and the session factories of one process."""

    def __init__(self, engine: Engine, clock: Clock, *, replica: Engine | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.replica = replica
        self.sessions = sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
        # Reads do not need SQLite's write lock, so they begin DEFERRED.
        self.read_sessions = sessionmaker(
            bind=engine.execution_options(sqlite_begin="DEFERRED"),
            expire_on_commit=False,
            autoflush=False,
        )
        self.list_sessions = (
            sessionmaker(bind=replica, expire_on_commit=False, autoflush=False)
            if replica is not None
            else self.read_sessions
        )

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self)

    def reader(self) -> Session:
        """A session for read-only queries on the primary; the caller closes it."""
        return self.read_sessions()

    def list_reader(self) -> Session:
        """A session on the read replica (``OMS_READ_DATABASE_URL``), else on the primary.

        For lists, reports and exports, which may be a moment behind. Never for a read whose
        answer decides a write, nor for a page a person reads right after their own change
        (an order's timeline, a configuration list): those use ``reader``.
        """
        return self.list_sessions()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.replica is not None:
            self.replica.dispose()


class UnitOfWork:
    """A transaction scope for one use case."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.clock = db.clock
        self._session: Session | None = None
        self._committed = False

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its with-block")
        return self._session

    @property
    def is_postgres(self) -> bool:
        return self.db.is_postgres

    def __enter__(self) -> UnitOfWork:
        self._session = self.db.sessions()
        self._committed = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            if not self._committed:
                session.rollback()
        finally:
            session.close()
            self._session = None

    def commit(self) -> None:
        """Commit the use case's writes. Call exactly once, at the end."""
        if self._committed:
            raise RuntimeError("a unit of work commits once")
        self.session.commit()
        self._committed = True
