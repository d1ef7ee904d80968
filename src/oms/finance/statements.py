"""Statement import inside an open unit of work: file dedupe, line dedupe, inserts.

It also answers what became of each line of a file (new or duplicate, and its match status),
so an import can report per line.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from oms.core.db import table
from oms.core.ids import new_id
from oms.finance.models import BankStatement, FinanceMatch, StatementLine
from oms.finance.parsers import ParsedLine, ParsedStatement
from oms.finance.schemas import ImportedLine, LineOutcome
from oms.finance.states import LineStatus, MatchStatus

__all__ = ["existing_statement", "file_digest", "line_results", "store_statement", "stored_lines"]

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
    source_id: str | None = None,
) -> tuple[BankStatement, set[str]]:
    """Insert the statement and the lines not seen before (by dedupe key).

    Returns the statement and the dedupe keys of the lines that were already known.
    """
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
        source_id=source_id,
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
    return statement, known


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
        entry_reference=(line.entry_reference or None) and line.entry_reference[:140],
        status=LineStatus.UNMATCHED.value,
        created_at=now,
    )


def line_results(
    session: Session, tenant_id: str, parsed: ParsedStatement, known: set[str]
) -> list[ImportedLine]:
    """Each line of the file in file order: new or duplicate, the stored line, its match."""
    by_key = _lines_by_key(session, tenant_id, [line.dedupe_key for line in parsed.lines])
    matches = _open_matches(session, tenant_id, [row.id for row in by_key.values()])
    results: list[ImportedLine] = []
    for line in parsed.lines:
        stored = by_key.get(line.dedupe_key)
        outcome = LineOutcome.DUPLICATE if line.dedupe_key in known else LineOutcome.NEW
        results.append(_result(line.line_no, outcome, stored, matches))
    return results


def stored_lines(session: Session, tenant_id: str, statement_id: str) -> list[ImportedLine]:
    """A statement's stored lines as duplicates (the answer to importing its file again)."""
    rows = list(
        session.scalars(
            select(StatementLine)
            .where(StatementLine.tenant_id == tenant_id, StatementLine.statement_id == statement_id)
            .order_by(StatementLine.line_no, StatementLine.id)
        )
    )
    matches = _open_matches(session, tenant_id, [row.id for row in rows])
    return [_result(row.line_no, LineOutcome.DUPLICATE, row, matches) for row in rows]


def _result(
    line_no: int,
    outcome: LineOutcome,
    stored: StatementLine | None,
    matches: dict[str, FinanceMatch],
) -> ImportedLine:
    match = matches.get(stored.id) if stored is not None else None
    return ImportedLine(
        line_no=line_no,
        outcome=outcome,
        line_id=stored.id if stored else None,
        statement_id=stored.statement_id if stored else None,
        amount=stored.amount if stored else None,
        status=stored.status if stored else None,
        match_id=match.id if match else None,
        match_status=match.status if match else None,
        movement_id=match.movement_id if match else None,
    )


def _lines_by_key(session: Session, tenant_id: str, keys: list[str]) -> dict[str, StatementLine]:
    found: dict[str, StatementLine] = {}
    for start in range(0, len(keys), _CHUNK):
        rows = session.scalars(
            select(StatementLine).where(
                StatementLine.tenant_id == tenant_id,
                StatementLine.dedupe_key.in_(keys[start : start + _CHUNK]),
            )
        )
        found.update((row.dedupe_key, row) for row in rows)
    return found


def _open_matches(session: Session, tenant_id: str, line_ids: list[str]) -> dict[str, FinanceMatch]:
    """The live (review or confirmed) match of each line, the best score when several."""
    found: dict[str, FinanceMatch] = {}
    for start in range(0, len(line_ids), _CHUNK):
        rows = session.scalars(
            select(FinanceMatch)
            .where(
                FinanceMatch.tenant_id == tenant_id,
                FinanceMatch.line_id.in_(line_ids[start : start + _CHUNK]),
                FinanceMatch.status.in_((MatchStatus.REVIEW, MatchStatus.CONFIRMED)),
            )
            .order_by(FinanceMatch.score.desc(), FinanceMatch.id)
        )
        for row in rows:
            found.setdefault(row.line_id, row)
    return found
