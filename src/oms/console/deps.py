"""What every console view needs: the database, redirects, and the acting user as an Actor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from oms.core.context import Actor
from oms.core.errors import AppError
from oms.core.uow import Database
from oms.users.schemas import SessionUser

__all__ = ["Db", "actor_of", "flash_after", "see_other"]


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


Db = Annotated[Database, Depends(_db)]


def see_other(url: str) -> RedirectResponse:
    """A 303 after a POST, so reloading the page never posts again."""
    return RedirectResponse(url, status_code=303)


def flash_after(back: str, done: str, run: Callable[[], object], **params: str) -> RedirectResponse:
    """Run a command, then go back to ``back`` saying ``done`` (or the string ``run`` returns),
    or the code the domain refused it with: a flash message on the same page, not an error page.
    """
    try:
        result = run()
    except AppError as exc:
        return see_other(f"{back}?{urlencode({'error': exc.code, **params})}")
    said = result if isinstance(result, str) else done
    return see_other(f"{back}?{urlencode({'done': said, **params})}")


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
