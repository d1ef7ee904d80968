"""Change feeds: a domain's rows as a BI tool reads them, in change order, a batch at a time.

A domain that offers its rows to the outside (BI exports, analysts) declares a :class:`Feed`
beside its tables: the columns it publishes (no secrets, no personal contact data), the
statement that selects them for one tenant, the expression that says when a row last changed
and the expression that dates it for partitioning. :func:`iter_feed` reads a feed from a change
instant on, in keyset batches over (changed, key…) on the list reader (the read replica when one
is configured), one short session per batch, so an export of any size holds one batch in memory
and no transaction stays open while the consumer writes.

A feed is an upsert stream: a row appears again whenever it changes, and the consumer keeps the
newest copy per key. An incremental read starts ``overlap`` before the watermark the previous
read returned, so a transaction that committed late with an earlier change time is not missed;
the rows that overlap are simply read twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select

from oms.core.paging import PageRequest, fetch_page
from oms.core.uow import Database

__all__ = ["Feed", "FeedColumn", "FeedRead", "iter_feed", "local_date"]

ColumnKind = Literal["text", "int", "bool", "time", "date"]
RowValues = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class FeedColumn:
    """One published column: its name and the kind the file writers type it as."""

    name: str
    kind: ColumnKind


@dataclass(frozen=True, slots=True)
class Feed:
    """What a domain publishes of one kind of row.

    ``select(tenant_id, now)`` selects the raw values for ``shape`` (in its order),
    tenant-scoped, without ORDER BY or LIMIT; ``shape`` turns them into the published columns'
    values (for values the database cannot portably compute, such as a field of a JSON
    address). ``changed(now)`` is when the row last changed (the feed's order and its
    watermark); both take the read's instant because a domain's reads may apply a rule of time
    (an unpaid order past its deadline reads as cancelled at the deadline). ``keys`` make the
    order total, and ``dated`` is the partition date's instant.
    """

    name: str
    description: str
    columns: tuple[FeedColumn, ...]
    select: Callable[[str, datetime], Select[Any]]
    changed: Callable[[datetime], ColumnElement[datetime]]
    keys: tuple[ColumnElement[Any], ...]
    dated: ColumnElement[datetime]
    shape: Callable[[Sequence[Any]], RowValues]

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


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
    changed = feed.changed(read.until)
    stmt = feed.select(read.tenant_id, read.until).add_columns(feed.dated)
    stmt = stmt.where(changed < read.until)
    if read.since is not None:
        stmt = stmt.where(changed >= read.since - overlap)
    keys = [changed, *feed.keys]
    cursor: str | None = None
    scope = f"feed:{feed.name}"
    width = len(stmt.selected_columns) - 1
    while True:
        with db.list_reader() as session:
            page = fetch_page(session, stmt, keys, PageRequest(batch, cursor), scope=scope)
        for row in page.rows:
            yield feed.shape(row[:width]), row[width]
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def local_date(instant: datetime, zone: Any) -> date:
    """The calendar date of ``instant`` in ``zone`` (a tzinfo)."""
    return instant.astimezone(zone).date()
