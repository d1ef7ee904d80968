"""What every console view needs: the database, redirects, and the acting user as an Actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from oms.core.context import Actor
from oms.core.uow import Database
from oms.users.schemas import SessionUser

__all__ = ["Db", "actor_of", "see_other"]


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


Db = Annotated[Database, Depends(_db)]


def see_other(url: str) -> RedirectResponse:
    """A 303 after a POST, so reloading the page never posts again."""
    return RedirectResponse(url, status_code=303)


def actor_of(request: Request, user: SessionUser) -> Actor:
    """The signed-in user as the actor recorded on timelines, ledgers and tickets."""
    return Actor(
        tenant_id=user.tenant_id,
        principal=f"user:{user.user_id}",
        role=user.role,
        client_ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
        body_sha256=getattr(request.state, "body_sha256", None),
    )
