"""The console view kit: what every view needs and does the same way.

The database and the acting user (``Db``, ``actor_of``); the flash message a page was sent back
with (``Flashed``); "run a command, flash its outcome, go back" (``flash_after``); "run a command
and answer with the page itself, a secret shown once or the refusal" (``shown_once``); a form
read through the API's schema (``validated``); and the 303 after a POST (``see_other``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ValidationError

from oms.core.context import Actor
from oms.core.errors import AppError, ValidationFailed
from oms.core.uow import Database
from oms.users.schemas import SessionUser

__all__ = [
    "Cursor",
    "Db",
    "Flash",
    "Flashed",
    "FormId",
    "Notice",
    "actor_of",
    "flash_after",
    "next_url",
    "see_other",
    "shown_once",
    "validated",
]

ModelT = TypeVar("ModelT", bound=BaseModel)


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


Db = Annotated[Database, Depends(_db)]
# A list's opaque paging cursor (``core.paging``), as a query parameter.
Cursor = Annotated[str | None, Query(max_length=512)]
# The id of a row a form acts on (a key, a delivery, a job, a line): ids are at most 36 characters.
FormId = Annotated[str, Form(max_length=36)]


def see_other(url: str, **params: object) -> RedirectResponse:
    """A 303 after a POST, so reloading the page never posts again; ``params`` are its query."""
    return RedirectResponse(f"{url}?{urlencode(params)}" if params else url, status_code=303)


def next_url(path: str, cursor: str | None, params: Iterable[tuple[str, str]] = ()) -> str | None:
    """The link to a list's next page: its own filters plus the opaque cursor (none at the end)."""
    return f"{path}?{urlencode([*params, ('cursor', cursor)])}" if cursor else None


@dataclass(frozen=True, slots=True)
class Notice:
    """What the page was sent back with: the done word or the refusal's code (``?done=``,
    ``?error=``), shown as one flash line."""

    done: str | None = None
    error: str | None = None


def _notice(
    done: Annotated[str | None, Query(max_length=64)] = None,
    error: Annotated[str | None, Query(max_length=64)] = None,
) -> Notice:
    return Notice(done=done, error=error)


Flashed = Annotated[Notice, Depends(_notice)]


@dataclass(frozen=True, slots=True)
class Flash:
    """What a command run by ``flash_after`` may return to say more than one word: the done
    word and query parameters for the page (an import's counts)."""

    done: str
    params: dict[str, str] = field(default_factory=dict)


def flash_after(back: str, done: str, run: Callable[[], object], **params: str) -> RedirectResponse:
    """Run a command, then go back to ``back`` saying ``done`` (or the string ``run`` returns),
    or the code the domain refused it with: a flash message on the same page, not an error page.
    """
    try:
        result = run()
    except AppError as exc:
        return see_other(back, error=exc.code, **params)
    if isinstance(result, Flash):
        return see_other(back, done=result.done, **params, **result.params)
    return see_other(back, done=result if isinstance(result, str) else done, **params)


def shown_once(
    page: Callable[..., HTMLResponse], run: Callable[[], object], shown: str
) -> HTMLResponse:
    """Run a command whose answer holds a secret (a first password, a signing secret): the page
    answers 201 with the result as ``shown``, never cached, or the refusal as its flash line."""
    try:
        result = run()
    except AppError as exc:
        return page(notice=Notice(error=exc.code), status_code=exc.http_status)
    response = page(**{shown: result}, status_code=201)
    response.headers["Cache-Control"] = "no-store"
    return response


def validated(model: type[ModelT], fields: Mapping[str, Any], what: str) -> ModelT:
    """The form as the API's schema; a field it refuses is ERR_VALIDATION (a flash)."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise ValidationFailed(f"the {what} is not valid", errors=len(exc.errors())) from None


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
