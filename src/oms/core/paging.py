"""One paging mechanism for every list: keyset pages behind opaque cursors.

A list query orders its rows by a *key* (one or more columns whose last one is unique, usually
the id) and asks :func:`fetch_page` for one page. The page comes back with ``next_cursor``, an
opaque token that encodes the key of the last row served plus the *scope* of the list that made
it, and ``has_more``. The next request sends the cursor back and gets the rows strictly after
that key. Keyset paging (not OFFSET) keeps every page as cheap as the first and never skips or
repeats a row when rows are inserted between requests.

Cursors are base64url JSON; they are not secret, only opaque: a client must not build or edit
one. A cursor that does not decode, or that another list made, is ``ERR_VALIDATION`` (422).

Routes take the page request with the :data:`Limit` and :data:`Cursor` query annotations (or
the :data:`Paging` dependency that bundles them) and return :class:`Page` ``[ItemModel]``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Row, Select, and_, or_
from sqlalchemy.orm import QueryableAttribute, Session

from oms.core.errors import ValidationFailed

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Cursor",
    "Limit",
    "Page",
    "PageRequest",
    "Paging",
    "RowPage",
    "decode_cursor",
    "encode_cursor",
    "fetch_all",
    "fetch_items",
    "fetch_page",
    "from_attributes",
]

#: Items per page when the client does not say.
DEFAULT_LIMIT = 50
#: The most items one page may hold; a larger ``limit`` is a 422, never silently capped.
MAX_LIMIT = 200
_CURSOR_MAX_CHARS = 512

KeyValue = datetime | date | str | int
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class Page(BaseModel, Generic[T]):
    """One page of a list. ``next_cursor`` is null exactly when ``has_more`` is false."""

    items: list[T]
    next_cursor: str | None
    has_more: bool


@dataclass(frozen=True, slots=True)
class PageRequest:
    """What the client asked for: how many items, and after which cursor."""

    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class RowPage:
    """The rows of one page as the database returned them, plus where the next page starts."""

    rows: list[Row[Any]]
    next_cursor: str | None

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None

    def page(self, items: list[T]) -> Page[T]:
        """The API page of ``items`` (the rows mapped to output models, in the same order)."""
        return Page[T](items=items, next_cursor=self.next_cursor, has_more=self.has_more)


Limit = Annotated[
    int,
    Query(
        ge=1,
        le=MAX_LIMIT,
        description=f"items per page (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})",
    ),
]
Cursor = Annotated[
    str | None,
    Query(
        max_length=_CURSOR_MAX_CHARS,
        description="the next_cursor of the previous page; omit for the first page",
    ),
]


def _page_request(limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> PageRequest:
    return PageRequest(limit=limit, cursor=cursor)


#: FastAPI dependency: ``?limit=`` (1..MAX_LIMIT, default DEFAULT_LIMIT) and ``?cursor=``.
Paging = Annotated[PageRequest, Depends(_page_request)]


def fetch_page(
    session: Session,
    stmt: Select[Any],
    keys: Sequence[ColumnElement[Any]],
    request: PageRequest,
    *,
    scope: str,
    descending: bool = False,
) -> RowPage:
    """Run ``stmt`` for one page ordered by ``keys`` (all ascending, or all descending).

    The key columns are appended to the selected columns (so a row's first elements are what
    ``stmt`` selected) and the statement must not carry its own ORDER BY or LIMIT. The last key
    must be unique within the filtered rows, so the order is total.

    Raises: ERR_VALIDATION (a cursor this ``scope`` did not make).
    """
    if request.cursor:
        after = decode_cursor(request.cursor, scope=scope, arity=len(keys))
        stmt = stmt.where(_after(keys, after, descending=descending))
    labelled = [key.label(f"_page_key_{i}") for i, key in enumerate(keys)]
    ordering = [key.desc() if descending else key.asc() for key in keys]
    stmt = stmt.add_columns(*labelled).order_by(*ordering).limit(request.limit + 1)
    rows = list(session.execute(stmt).all())
    has_more = len(rows) > request.limit
    rows = rows[: request.limit]
    next_cursor = None
    if has_more and rows:
        last = rows[-1]
        next_cursor = encode_cursor(scope, [last[-len(keys) + i] for i in range(len(keys))])
    return RowPage(rows=rows, next_cursor=next_cursor)


def fetch_items(
    session: Session,
    stmt: Select[Any],
    keys: Sequence[QueryableAttribute[Any]],
    request: PageRequest,
    item: Callable[[Any], T],
    *,
    scope: str,
    descending: bool = False,
) -> Page[T]:
    """:func:`fetch_page` for a statement that selects one entity, as the API page of its items.

    ``keys`` are mapped attributes (``Model.created_at, Model.id``); ``item`` maps one row's
    entity to its output model. Raises: ERR_VALIDATION (a cursor this ``scope`` did not make).
    """
    columns = [key.expression for key in keys]
    rows = fetch_page(session, stmt, columns, request, scope=scope, descending=descending)
    return rows.page([item(row[0]) for row in rows.rows])


def fetch_all(
    session: Session,
    stmt: Select[Any],
    keys: Sequence[QueryableAttribute[Any]],
    item: Callable[[Any], T],
    *,
    limit: int | None = None,
    descending: bool = False,
) -> list[T]:
    """The unpaged list (a console table, a CLI dump) of what :func:`fetch_items` pages: the
    same statement, ``keys`` order and ``item``, so the two never disagree on either."""
    ordering = [key.desc() if descending else key.asc() for key in keys]
    return [item(entity) for entity in session.scalars(stmt.order_by(*ordering).limit(limit))]


def from_attributes(model: type[M]) -> Callable[[Any], M]:
    """The ``item`` of :func:`fetch_items` that reads an entity's attributes into ``model``."""
    return lambda entity: model.model_validate(entity, from_attributes=True)


def encode_cursor(scope: str, values: Sequence[KeyValue]) -> str:
    """The opaque cursor for the row whose key is ``values`` in the list ``scope``."""
    raw = json.dumps([scope, [_encode_value(v) for v in values]], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, scope: str, arity: int) -> list[KeyValue]:
    """The key values inside ``cursor``. Raises: ERR_VALIDATION (forged, or another list's)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        made_by, encoded = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if made_by != scope or not isinstance(encoded, list) or len(encoded) != arity:
            raise ValueError
        return [_decode_value(v) for v in encoded]
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        raise ValidationFailed("invalid cursor", field="cursor") from None


def _encode_value(value: KeyValue) -> list[Any]:
    # Tagged, so a datetime comes back as a datetime and an int as an int.
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    if isinstance(value, date):
        return ["d", value.isoformat()]
    if isinstance(value, bool):  # bool is an int; a key is never one
        raise TypeError("a boolean cannot be a paging key")
    if isinstance(value, int):
        return ["i", value]
    return ["s", str(value)]


def _decode_value(encoded: Any) -> KeyValue:
    tag, value = encoded
    if tag == "t" and isinstance(value, str):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("naive datetime in cursor")
        return moment
    if tag == "d" and isinstance(value, str):
        return date.fromisoformat(value)
    if tag == "i" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if tag == "s" and isinstance(value, str):
        return value
    raise ValueError("unknown cursor value")


def _after(
    keys: Sequence[ColumnElement[Any]], values: Sequence[KeyValue], *, descending: bool
) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in key order: (a > x) or (a = x and b > y) or ...

    Spelt out rather than as a row-value comparison, which not every SQLite build supports.
    """
    alternatives: list[ColumnElement[bool]] = []
    for i, key in enumerate(keys):
        equal = [keys[j] == values[j] for j in range(i)]
        beyond = key < values[i] if descending else key > values[i]
        alternatives.append(and_(*equal, beyond))
    return or_(*alternatives)
