"""Exports of the change feeds as Parquet or CSV: partitioned files, or one streamed file.

Files are written under ``OUT/<dataset>/tenant_id=<id>/date=<YYYY-MM-DD>/part-<stamp>.<ext>``
(Hive-style partitions every BI tool and DuckDB read as columns), the date being the row's own
date in the tenant's zone (an order's placement, a refund's request, …). Each run writes new
part files and never rewrites old ones, so incremental runs only add; a row that changed
appears again in a newer part, and readers keep the newest copy per key (``updated_at`` or, for
parcels, the later of ``created_at`` and ``last_scan_at``). Parts are written to a temporary
name and renamed when complete, so a failed run leaves no half file.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Literal, Protocol, cast
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq

from oms.core.auth import get_tenant
from oms.core.feeds import Feed, FeedColumn, FeedRead, RowValues, iter_feed, local_date
from oms.core.uow import Database
from oms.fulfilment.feeds import FULFILMENT_FEEDS
from oms.intelligence.exports.errors import ExportInvalid
from oms.orders.feeds import ORDER_FEEDS
from oms.payments.feeds import PAYMENT_FEEDS
from oms.refunds.feeds import REFUND_FEEDS

__all__ = [
    "DATASETS",
    "FORMATS",
    "ExportSummary",
    "dataset",
    "export_to_directory",
    "feed_read",
    "stream_export",
]

Format = Literal["parquet", "csv"]
FORMATS: tuple[Format, ...] = ("parquet", "csv")
DATASETS: dict[str, Feed] = {
    feed.name: feed for feed in (*ORDER_FEEDS, *PAYMENT_FEEDS, *REFUND_FEEDS, *FULFILMENT_FEEDS)
}
_BATCH = 2000
_ARROW: dict[str, pa.DataType] = {
    "text": pa.string(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "time": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
}
# A streamed Parquet file is built in a spooled file (Parquet's footer comes last): in memory
# up to this size, then on disk, never in memory whole.
_SPOOL_BYTES = 32 * 1024 * 1024
_STREAM_CHUNK = 256 * 1024


def dataset(name: str) -> Feed:
    """The feed called ``name``. Raises: ERR_EXPORT_INVALID."""
    feed = DATASETS.get(name)
    if feed is None:
        raise ExportInvalid(f"no dataset {name!r}", dataset=name, datasets=sorted(DATASETS))
    return feed


def export_format(name: str) -> Format:
    """``name`` as an export format. Raises: ERR_EXPORT_INVALID."""
    for known in FORMATS:
        if name == known:
            return known
    raise ExportInvalid(f"no format {name!r}", format=name, formats=list(FORMATS))


def feed_read(db: Database, tenant_id: str, name: str, since: datetime | None) -> FeedRead:
    """A read of dataset ``name`` for the tenant, up to now. Raises: ERR_EXPORT_INVALID."""
    feed = dataset(name)
    until = db.clock.now()
    if since is not None and since > until:
        raise ExportInvalid("updated_since is in the future", updated_since=since.isoformat())
    return FeedRead(feed, tenant_id, since, until)


@dataclass(slots=True)
class ExportSummary:
    """What one export wrote: rows per dataset, files, and the watermark for the next run."""

    tenant_id: str
    until: datetime
    since: datetime | None
    rows: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "updated_since": self.since.isoformat() if self.since else None,
            "next_updated_since": self.until.isoformat(),
            "rows": self.rows,
            "files": self.files,
        }


class _PartWriter(Protocol):
    def write(self, rows: list[RowValues]) -> None: ...
    def close(self) -> None: ...


def export_to_directory(
    db: Database,
    tenant_id: str,
    names: list[str],
    fmt: str,
    out: Path,
    *,
    since: datetime | None,
    overlap: timedelta,
) -> ExportSummary:
    """Write each dataset in ``names`` changed since ``since`` into partitioned part files.

    Raises: ERR_EXPORT_INVALID (a dataset or format), ERR_NOT_FOUND (the tenant).
    """
    chosen = export_format(fmt)
    reads = [feed_read(db, tenant_id, name, since) for name in names]
    zone = ZoneInfo(get_tenant(db, tenant_id).timezone)
    until = min((read.until for read in reads), default=db.clock.now())
    summary = ExportSummary(tenant_id=tenant_id, until=until, since=since)
    stamp = until.strftime("%Y%m%dT%H%M%S%fZ")
    for read in reads:
        read = FeedRead(read.feed, tenant_id, since, until)
        count, files = _write_partitions(db, read, chosen, out, zone, stamp, overlap)
        summary.rows[read.feed.name] = count
        summary.files.extend(str(path) for path in files)
    return summary


def _write_partitions(
    db: Database,
    read: FeedRead,
    fmt: Format,
    out: Path,
    zone: ZoneInfo,
    stamp: str,
    overlap: timedelta,
) -> tuple[int, list[Path]]:
    writers: dict[date, tuple[_PartWriter, Path, Path]] = {}
    pending: dict[date, list[RowValues]] = {}
    count = 0
    try:
        for values, dated in iter_feed(db, read, overlap=overlap, batch=_BATCH):
            day = local_date(dated, zone)
            rows = pending.setdefault(day, [])
            rows.append(values)
            count += 1
            if len(rows) >= _BATCH:
                _writer_for(writers, day, read, fmt, out, stamp)[0].write(rows)
                pending[day] = []
        for day, rows in pending.items():
            if rows or day not in writers:
                _writer_for(writers, day, read, fmt, out, stamp)[0].write(rows)
    except BaseException:
        for writer, temporary, _final in writers.values():
            writer.close()
            temporary.unlink(missing_ok=True)
        raise
    done = []
    for writer, temporary, final in writers.values():
        writer.close()
        os.replace(temporary, final)
        done.append(final)
    return count, sorted(done)


def _writer_for(
    writers: dict[date, tuple[_PartWriter, Path, Path]],
    day: date,
    read: FeedRead,
    fmt: Format,
    out: Path,
    stamp: str,
) -> tuple[_PartWriter, Path, Path]:
    if day not in writers:
        folder = out / read.feed.name / f"tenant_id={read.tenant_id}" / f"date={day.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / f"part-{stamp}.{fmt}"
        temporary = folder / f".part-{stamp}.{fmt}.tmp"
        handle = temporary.open("wb")
        writer = _open_writer(fmt, read.feed.columns, handle)
        writers[day] = (writer, temporary, final)
    return writers[day]


def _open_writer(fmt: Format, columns: tuple[FeedColumn, ...], handle: IO[bytes]) -> _PartWriter:
    if fmt == "parquet":
        return _ParquetPart(columns, handle)
    return _CsvPart(columns, handle)


class _ParquetPart:
    def __init__(self, columns: tuple[FeedColumn, ...], handle: IO[bytes]) -> None:
        self._handle = handle
        self._schema = pa.schema([(c.name, _ARROW[c.kind]) for c in columns])
        self._writer = pq.ParquetWriter(handle, self._schema, compression="zstd")

    def write(self, rows: list[RowValues]) -> None:
        if not rows:
            return
        columns = list(zip(*rows, strict=True))
        arrays = [
            pa.array(list(values), type=field.type)
            for values, field in zip(columns, self._schema, strict=True)
        ]
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self._schema))

    def close(self) -> None:
        self._writer.close()
        self._handle.close()


class _CsvPart:
    def __init__(self, columns: tuple[FeedColumn, ...], handle: IO[bytes]) -> None:
        self._handle = handle
        self._text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        self._csv = csv.writer(self._text)
        self._csv.writerow([c.name for c in columns])

    def write(self, rows: list[RowValues]) -> None:
        self._csv.writerows(_csv_row(row) for row in rows)

    def close(self) -> None:
        self._text.close()


def _csv_row(row: RowValues) -> list[object]:
    return ["" if v is None else v.isoformat() if isinstance(v, datetime) else v for v in row]


def stream_export(db: Database, read: FeedRead, fmt: str, *, overlap: timedelta) -> Iterator[bytes]:
    """One file of the read, as bytes to stream: CSV row batch by row batch, or Parquet.

    Raises: ERR_EXPORT_INVALID (the format), before the first byte.
    """
    chosen = export_format(fmt)
    if chosen == "csv":
        return _stream_csv(db, read, overlap)
    return _stream_parquet(db, read, overlap)


def _batches(db: Database, read: FeedRead, overlap: timedelta) -> Iterator[list[RowValues]]:
    batch: list[RowValues] = []
    for values, _dated in iter_feed(db, read, overlap=overlap, batch=_BATCH):
        batch.append(values)
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    yield batch


def _stream_csv(db: Database, read: FeedRead, overlap: timedelta) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(read.feed.column_names)
    for batch in _batches(db, read, overlap):
        writer.writerows(_csv_row(row) for row in batch)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()


def _stream_parquet(db: Database, read: FeedRead, overlap: timedelta) -> Iterator[bytes]:
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
        part = _ParquetPart(read.feed.columns, cast(IO[bytes], _Unclosed(spool)))
        for batch in _batches(db, read, overlap):
            part.write(batch)
        part.close()
        spool.seek(0)
        while chunk := spool.read(_STREAM_CHUNK):
            yield chunk


class _Unclosed(io.RawIOBase):
    """A write-through view of the spool that the Parquet writer may close without closing it."""

    def __init__(self, target: IO[bytes]) -> None:
        super().__init__()
        self._target = target

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return self._target.write(bytes(data))
