"""Read-only queries over console users."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from oms.core.uow import Database
from oms.users.models import User

__all__ = ["user_emails"]


def user_emails(db: Database, tenant_id: str, user_ids: Iterable[str]) -> dict[str, str]:
    """User id → e-mail address (a user's only name), for the ids of this tenant that exist."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    with db.reader() as session:
        rows = session.execute(
            select(User.id, User.email).where(User.tenant_id == tenant_id, User.id.in_(wanted))
        )
        return {user_id: email for user_id, email in rows}
