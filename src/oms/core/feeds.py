"""Change feeds: a domain's rows as a BI tool reads them, in change order, a batch at a time.

A domain that offers its rows to the outside (BI exports, analysts) declares a :class:`Feed`
beside its tables: the columns it publishes (no secrets, no personal contact data), each with
the expression it is read from, how its rows are scoped to one tenant, the expression that
says when a row last changed and the one that dates it for partitioning. :func:`iter_feed`
reads a feed from a change instant on, in keyset batches over (changed, key…) on the list
reader (the read replica when one is configured), one short session per batch, so an export
of any size holds one batch in memory and no transaction stays open while the consumer writes.

A feed is an upsert stream: a row appears again whenever it changes, and the consumer keeps the
newest copy per key. An incremental read starts ``overlap`` before the watermark the previous
read returned, so a transaction that committed late with an earlier change time is not missed;
the rows that overlap are simply read twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import QueryableAttribute

from oms.core.paging import PageRequest, fetch_page
from oms.core.uow import Database

__all__ = ["AtRead", "Feed", "FeedColumn", "FeedRead", "iter_feed", "local_date", "of_tenant"]

ColumnKind = Literal["text", "int", "bool", "time", "date"]
RowValues = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class AtRead:
    """A column whose value depends on the read's instant (``build(now)``).

    A domain's reads may apply a rule of time: an unpaid order past its deadline reads as
    cancelled at the deadline, so its feed must read it the same way.
    """

    build: Callable[[datetime], ColumnElement[Any]]


Source = ColumnElement[Any] | QueryableAttribute[Any] | AtRead


@dataclass(frozen=True, slots=True)
class FeedColumn:
    """One published column: its name, the kind the file writers type it as, and its source."""

    name: str
    kind: ColumnKind
    source: Source

    def expression(self, now: datetime) -> ColumnElement[Any]:
        if isinstance(self.source, AtRead):
            return self.source.build(now)
        return self.source.label(self.name)


@dataclass(frozen=True, slots=True)
class Feed:
    """What a domain publishes of one kind of row: one declaration, read by ``iter_feed``.

    ``scope(stmt, tenant_id)`` adds the joins and the tenant condition to the selected
    columns; ``changed`` is when the row last changed (the feed's order and its watermark),
    ``keys`` make the order total, and ``dated`` is the partition date's instant.
    """

    name: str
    description: str
    columns: tuple[FeedColumn, ...]
    scope: Callable[[Select[Any], str], Select[Any]]
    changed: Source
    keys: tuple[ColumnElement[Any] | QueryableAttribute[Any], ...]
    dated: ColumnElement[datetime] | QueryableAttribute[datetime]

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def statement(self, tenant_id: str, now: datetime) -> Select[Any]:
        selected: list[Any] = [column.expression(now) for column in self.columns]
        return self.scope(select(*selected), tenant_id)

    def changed_at(self, now: datetime) -> ColumnElement[Any]:
        if isinstance(self.changed, AtRead):
            return self.changed.build(now)
        return _expression(self.changed)

    def key_columns(self) -> list[ColumnElement[Any]]:
        return [_expression(key) for key in self.keys]


def _expression(source: ColumnElement[Any] | QueryableAttribute[Any]) -> ColumnElement[Any]:
    return source.expression if isinstance(source, QueryableAttribute) else source


def of_tenant(
    tenant_column: QueryableAttribute[str],
) -> Callable[[Select[Any], str], Select[Any]]:
    """The ``scope`` of a feed over one table: its rows of the tenant."""

    def scope(stmt: Select[Any], tenant_id: str) -> Select[Any]:
        return stmt.where(tenant_column == tenant_id)

    return scope


@dataclass(frozen=True, slots=True)
class FeedRead:
    """One read of a feed: rows changed in [``since`` - overlap, ``until``), and the watermark.

    Pass ``until`` back as the next read's ``since``.
    """

    feed: Feed
    tenant_id: str
    since: datetime | None
    until: datetime


def iter_feed(
    db: Database, read: FeedRead, *, overlap: timedelta, batch: int = 2000
) -> Iterator[tuple[RowValues, datetime]]:
    """Each row of ``read`` as (published values, partition instant), oldest change first."""
    feed = read.feed
    changed = feed.changed_at(read.until)
    stmt = feed.statement(read.tenant_id, read.until).add_columns(feed.dated)
    stmt = stmt.where(changed < read.until)
    if read.since is not None:
        stmt = stmt.where(changed >= read.since - overlap)
    keys = [changed, *feed.key_columns()]
    cursor: str | None = None
    scope = f"feed:{feed.name}"
    width = len(stmt.selected_columns) - 1
    while True:
        with db.list_reader() as session:
            page = fetch_page(session, stmt, keys, PageRequest(batch, cursor), scope=scope)
        for row in page.rows:
            yield tuple(row[:width]), row[width]
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def local_date(instant: datetime, zone: Any) -> date:
    """The calendar date of ``instant`` in ``zone`` (a tzinfo)."""
    return instant.astimezone(zone).date()
