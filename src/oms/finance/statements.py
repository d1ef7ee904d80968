"""Statement import inside an open unit of work: file dedupe, line dedupe, inserts."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from oms.core.db import table
from oms.core.ids import new_id
from oms.finance.models import BankStatement, StatementLine
from oms.finance.parsers import ParsedLine, ParsedStatement

__all__ = ["existing_statement", "file_digest", "store_statement"]

_CHUNK = 500


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def existing_statement(session: Session, tenant_id: str, digest: str) -> BankStatement | None:
    return session.scalar(
        select(BankStatement).where(
            BankStatement.tenant_id == tenant_id, BankStatement.file_sha256 == digest
        )
    )


def store_statement(
    session: Session,
    tenant_id: str,
    parsed: ParsedStatement,
    *,
    fmt: str,
    digest: str,
    filename: str | None,
    by: str,
    now: datetime,
) -> BankStatement:
    """Insert the statement and the lines not seen before (by dedupe key)."""
    statement = BankStatement(
        tenant_id=tenant_id,
        id=new_id(),
        format=fmt,
        file_sha256=digest,
        filename=(filename or None) and filename[:255],
        account=(parsed.account or None) and parsed.account[:64],
        line_count=len(parsed.lines),
        lines_added=0,
        imported_by=by,
        imported_at=now,
    )
    session.add(statement)
    session.flush()
    known = _known_keys(session, tenant_id, [line.dedupe_key for line in parsed.lines])
    rows = [
        _row(tenant_id, statement.id, line, now)
        for line in parsed.lines
        if line.dedupe_key not in known
    ]
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(table(StatementLine)), rows[start : start + _CHUNK])
    statement.lines_added = len(rows)
    return statement


def _known_keys(session: Session, tenant_id: str, keys: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(keys), _CHUNK):
        known.update(
            session.scalars(
                select(StatementLine.dedupe_key).where(
                    StatementLine.tenant_id == tenant_id,
                    StatementLine.dedupe_key.in_(keys[start : start + _CHUNK]),
                )
            )
        )
    return known


def _row(tenant_id: str, statement_id: str, line: ParsedLine, now: datetime) -> dict[str, object]:

    return dict(
        tenant_id=tenant_id,
        id=new_id(),
        statement_id=statement_id,
        line_no=line.line_no,
        dedupe_key=line.dedupe_key,
        value_date=line.value_date,
        booking_date=line.booking_date,
        amount=line.amount,
        currency=line.currency,
        memo=line.memo[:2000],
        reference=(line.reference or None) and line.reference[:140],
        bank_reference=(line.bank_reference or None) and line.bank_reference[:140],
        status="unmatched",
        created_at=now,
    )
