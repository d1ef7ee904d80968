"""Blacklist import: a CSV of phones, addresses, IPs or buyer ids, recorded with who
imported it and when.

The file is read with the standard ``csv`` module. The value is the column named after the
kind (``phone``, ``address``, ``ip``, ``buyer``) or ``value``, else the first column when
the file has no header; an optional ``note`` column is kept. Values are normalised as the
order signals are, so a hit is an equality.
"""

from __future__ import annotations

import csv
import io
import ipaddress

from oms.core.context import Actor
from oms.core.ids import new_id
from oms.core.repo import insert_ignore
from oms.core.uow import Database
from oms.risk import signals
from oms.risk.errors import BlacklistInvalid
from oms.risk.models import BlacklistEntry
from oms.risk.schemas import BlacklistImportOut, BlacklistKind

__all__ = ["MAX_ROWS", "import_blacklist"]

MAX_ROWS = 100_000
MAX_BYTES = 10 * 1024 * 1024
_KINDS = ("phone", "address", "ip", "buyer")


def import_blacklist(
    db: Database, actor: Actor, *, kind: str, content: bytes, note: str | None = None
) -> BlacklistImportOut:
    """Add every value of the file to the tenant's blacklist of ``kind``; all or nothing.

    Raises: ERR_RISK_BLACKLIST_INVALID (unknown kind, not UTF-8 text, no values, a bad value,
    naming its line).
    """
    if kind not in _KINDS:
        raise BlacklistInvalid(f"kind must be one of {', '.join(_KINDS)}", kind=kind)
    values = _values(kind, _text(content))
    with db.uow() as uow:
        now, batch = uow.clock.now(), new_id()
        added = 0
        for value, row_note in values:
            added += insert_ignore(
                uow,
                BlacklistEntry,
                {
                    "tenant_id": actor.tenant_id,
                    "id": new_id(),
                    "kind": kind,
                    "value": value,
                    "note": (row_note or note or None) and (row_note or note or "")[:500],
                    "imported_by": actor.principal,
                    "imported_at": now,
                    "batch_id": batch,
                },
            )
        uow.commit()
    typed: BlacklistKind = kind  # type: ignore[assignment]
    return BlacklistImportOut(
        batch_id=batch,
        kind=typed,
        imported=added,
        already_listed=len(values) - added,
        imported_by=actor.principal,
        imported_at=now,
    )


def _text(content: bytes) -> str:
    if len(content) > MAX_BYTES:
        raise BlacklistInvalid(f"the file is larger than {MAX_BYTES} bytes", size=len(content))
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BlacklistInvalid("the file is not UTF-8 text", position=exc.start) from None


def _values(kind: str, text: str) -> list[tuple[str, str | None]]:
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise BlacklistInvalid(f"the file is not CSV: {exc}") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise BlacklistInvalid("the file has no values")
    if len(rows) > MAX_ROWS + 1:
        raise BlacklistInvalid(f"the file has more than {MAX_ROWS} rows", rows=len(rows))
    header = [cell.strip().lower() for cell in rows[0]]
    column, note_column, first = 0, None, 0
    if kind in header or "value" in header:
        column = header.index(kind) if kind in header else header.index("value")
        note_column = header.index("note") if "note" in header else None
        first = 1
    seen: dict[str, str | None] = {}
    for line, row in enumerate(rows[first:], start=first + 1):
        raw = row[column].strip() if column < len(row) else ""
        value = _checked(kind, raw, line)
        note = (
            row[note_column].strip() if note_column is not None and note_column < len(row) else None
        )
        seen.setdefault(value, note)
    if not seen:
        raise BlacklistInvalid("the file has no values")
    return list(seen.items())


def _checked(kind: str, raw: str, line: int) -> str:
    if not raw:
        raise BlacklistInvalid(f"line {line}: the {kind} is empty", line=line)
    if len(raw) > 500:
        raise BlacklistInvalid(f"line {line}: the value is longer than 500 characters", line=line)
    if kind == "ip":
        try:
            return str(ipaddress.ip_address(raw))
        except ValueError:
            raise BlacklistInvalid(
                f"line {line}: {raw[:60]!r} is not an IP address", line=line
            ) from None
    value = signals.normalise(kind, raw)
    if kind == "phone" and not 5 <= len(value) <= 20:
        raise BlacklistInvalid(f"line {line}: {raw[:60]!r} is not a phone number", line=line)
    return value
