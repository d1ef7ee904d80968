"""Readiness: the database answers and the schema is at the newest migration."""

from __future__ import annotations

from sqlalchemy import text

from oms.core.errors import NotReady
from oms.core.migrate import current_revision, head_revision
from oms.core.uow import Database

__all__ = ["readiness"]


def readiness(db: Database) -> dict[str, str]:
    """Report readiness. Raises: ERR_NOT_READY (503)."""
    try:
        with db.engine.execution_options(sqlite_begin="DEFERRED").connect() as connection:
            connection.execute(text("SELECT 1"))
            current = current_revision(connection)
    except Exception as exc:
        raise NotReady("the database is not reachable", error=type(exc).__name__) from None
    head = head_revision()
    if current != head:
        raise NotReady("migrations are not current", current=current, head=head)
    return {"status": "ready", "revision": head}
