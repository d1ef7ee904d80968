"""The offline files: seed pairs, records, known orders in; links and review rows out.

Inputs are UTF-8 CSV with a header (a byte-order mark, as Excel writes, is accepted). Outputs
are written to a temporary file beside the target and renamed over it at the end, so a failed
run leaves the old file, or none, never half a file.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from oms.intelligence.linking.errors import LinkInputInvalid

__all__ = ["RowWriter", "Table", "atomic_csv", "read_rows", "require_columns"]


class RowWriter(Protocol):
    """What :func:`atomic_csv` yields: ``csv.writer``'s ``writerow``."""

    def writerow(self, row: Sequence[Any], /) -> Any: ...


@dataclass(frozen=True)
class Table:
    """A CSV file's header and its rows, each as long as the header."""

    header: list[str]
    rows: Iterator[list[str]]

    def column(self, name: str) -> int:
        """The position of column ``name`` (one :func:`read_rows` made sure of)."""
        return self.header.index(name)


@contextmanager
def read_rows(path: Path, *, required: Sequence[str]) -> Iterator[Table]:
    """The file as a :class:`Table`; ERR_LINK_INPUT_INVALID when it lacks a column."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        raise LinkInputInvalid(f"cannot read {path}: {error.strerror}", file=str(path)) from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, [])
        except (csv.Error, UnicodeDecodeError) as error:
            raise LinkInputInvalid(
                f"{path.name} is not UTF-8 CSV: {error}", file=str(path)
            ) from None
        require_columns(path, header, required)
        yield Table(header, _checked(path, reader, len(header)))


def require_columns(path: Path, header: Sequence[str], required: Sequence[str]) -> None:
    """ERR_LINK_INPUT_INVALID naming the columns of ``required`` that ``header`` lacks."""
    missing = [name for name in required if name not in header]
    if missing:
        raise LinkInputInvalid(
            f"{path.name} lacks the column(s) {', '.join(missing)}",
            file=str(path),
            missing=missing,
            header=list(header),
        )


def _checked(path: Path, reader: Iterator[list[str]], width: int) -> Iterator[list[str]]:
    line = 1
    try:
        for line, row in enumerate(reader, start=2):
            if len(row) != width:
                if len(row) > width:
                    raise LinkInputInvalid(
                        f"{path.name} line {line} has more cells than its header",
                        file=str(path),
                        line=line,
                    )
                row.extend([""] * (width - len(row)))
            yield row
    except (csv.Error, UnicodeDecodeError) as error:
        raise LinkInputInvalid(
            f"{path.name} after line {line} is not valid UTF-8 CSV: {error}",
            file=str(path),
            line=line,
        ) from None


@contextmanager
def atomic_csv(path: Path, header: Sequence[str]) -> Iterator[RowWriter]:
    """A CSV writer whose file replaces ``path`` only when the block ends without error."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise LinkInputInvalid(f"no folder {folder} for {path.name}", file=str(path))
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    handle: TextIO = os.fdopen(descriptor, "w", newline="", encoding="utf-8")
    try:
        with handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            yield writer
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
