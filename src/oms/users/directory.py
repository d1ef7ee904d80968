"""Who works in a tenant: the users a ticket can be assigned to (a read, never a write)."""

from __future__ import annotations

from sqlalchemy import select

from oms.core.uow import Database
from oms.users import service
from oms.users.models import User
from oms.users.schemas import UserOut

__all__ = ["tenant_users"]


def tenant_users(db: Database, tenant_id: str) -> list[UserOut]:
    """The tenant's console users, by e-mail address."""
    stmt = select(User).where(User.tenant_id == tenant_id).order_by(User.email, User.id)
    with db.reader() as session:
        # The service's own mapping, so a user reads the same everywhere.
        return [service.user_out(u) for u in session.scalars(stmt)]
