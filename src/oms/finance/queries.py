"""Read-only finance queries: settings, matches and the review queue, statements, their lines
and expected movements.

Every list pages by cursor (``core.paging``): ``page`` says how many and after which cursor,
the answer says whether there is more.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from oms.core.paging import Page, PageRequest, fetch_page
from oms.core.repo import scoped
from oms.core.uow import Database
from oms.finance.errors import StatementNotFound
from oms.finance.models import (
    BankStatement,
    ExpectedMovement,
    FinanceMatch,
    FinanceSettings,
    StatementLine,
)
from oms.finance.reasons import reason_from_json
from oms.finance.schemas import (
    CsvLayoutIn,
    FinanceSettingsOut,
    MatchOut,
    MovementOut,
    ReasonOut,
    ReviewItem,
    StatementLineOut,
    StatementOut,
)
from oms.finance.states import MatchStatus, MovementStatus

__all__ = [
    "MovementFilter",
    "confirmed_matches",
    "find_open_movements",
    "get_settings",
    "list_expected",
    "list_lines",
    "list_matches",
    "list_movements",
    "list_statements",
    "match_outs",
    "review_item",
    "review_queue",
    "statement_lines",
]


@dataclass(frozen=True, slots=True)
class MovementFilter:
    """What ``GET /finance/expected`` can narrow by."""

    status: str | None = None
    order_id: str | None = None
    kind: str | None = None


def get_settings(db: Database, tenant_id: str) -> FinanceSettingsOut:
    """The tenant's finance settings, defaults when never set."""
    with db.reader() as session:
        row = session.get(FinanceSettings, tenant_id)
    if row is None:
        return FinanceSettingsOut(tenant_id=tenant_id)
    return FinanceSettingsOut(
        tenant_id=tenant_id,
        amount_tolerance=row.amount_tolerance,
        date_window_days=row.date_window_days,
        auto_confirm_score=row.auto_confirm_score,
        auto_confirm_merged=row.auto_confirm_merged,
        csv_layout=CsvLayoutIn.model_validate(row.csv_layout),
    )


def list_matches(
    db: Database, tenant_id: str, *, status: str | None = None, page: PageRequest = PageRequest()
) -> Page[MatchOut]:
    """Matches, best score first (``review`` is the queue)."""
    stmt = scoped(FinanceMatch, tenant_id, status=status)
    keys: list[ColumnElement[Any]] = [FinanceMatch.score.expression, FinanceMatch.id.expression]
    with db.list_reader() as session:
        rows = fetch_page(session, stmt, keys, page, scope="finance.matches", descending=True)
        return rows.page(match_outs(session, tenant_id, [r[0] for r in rows.rows]))


def match_outs(session: Session, tenant_id: str, rows: Sequence[FinanceMatch]) -> list[MatchOut]:
    """Matches as the API shows them: with every line, movement and order of their group, and
    whether another line's proposal in review wants the same movement."""
    groups = _group_parts(session, tenant_id, {r.group_id for r in rows})
    contested = _contested(
        session, tenant_id, {r.movement_id for r in rows if r.status == MatchStatus.REVIEW}
    )
    outs: list[MatchOut] = []
    for row in rows:
        parts = groups.get(row.group_id, [])
        outs.append(
            MatchOut(
                id=row.id,
                group_id=row.group_id,
                line_id=row.line_id,
                movement_id=row.movement_id,
                order_id=row.order_id,
                order_no=row.order_no,
                line_ids=_unique(p[0] for p in parts),
                movement_ids=_unique(p[1] for p in parts),
                order_ids=_unique(p[2] for p in parts if p[2]),
                kind=row.kind,
                score=row.score,
                rank=row.rank,
                is_contested=row.status == MatchStatus.REVIEW and row.movement_id in contested,
                reasons=[_reason(r) for r in row.reasons or []],
                status=row.status,
                decided_by=row.decided_by,
                decided_at=row.decided_at,
                created_at=row.created_at,
            )
        )
    return outs


def _reason(raw: object) -> ReasonOut:
    reason = reason_from_json(raw)
    return ReasonOut(code=reason.code, params=dict(reason.params))


def _unique(values: object) -> list[str]:
    return sorted({str(v) for v in values})  # type: ignore[attr-defined]


def _group_parts(
    session: Session, tenant_id: str, group_ids: set[str]
) -> dict[str, list[tuple[str, str, str | None]]]:
    found: dict[str, list[tuple[str, str, str | None]]] = defaultdict(list)
    ids = sorted(group_ids)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(
                FinanceMatch.group_id,
                FinanceMatch.line_id,
                FinanceMatch.movement_id,
                FinanceMatch.order_id,
            ).where(
                FinanceMatch.tenant_id == tenant_id,
                FinanceMatch.group_id.in_(ids[start : start + 500]),
            )
        )
        for r in rows:
            found[r.group_id].append((r.line_id, r.movement_id, r.order_id))
    return found


def _contested(session: Session, tenant_id: str, movement_ids: set[str]) -> set[str]:
    """Movements that proposals in review for more than one line want."""
    ids = sorted(movement_ids)
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        found.update(
            session.scalars(
                select(FinanceMatch.movement_id)
                .where(
                    FinanceMatch.tenant_id == tenant_id,
                    FinanceMatch.status == MatchStatus.REVIEW,
                    FinanceMatch.movement_id.in_(ids[start : start + 500]),
                )
                .group_by(FinanceMatch.movement_id)
                .having(func.count(func.distinct(FinanceMatch.line_id)) > 1)
            )
        )
    return found


def list_lines(
    db: Database, tenant_id: str, *, status: str | None = None, page: PageRequest = PageRequest()
) -> Page[StatementLineOut]:
    """Statement lines, newest value date first, optionally by status."""
    stmt = scoped(StatementLine, tenant_id, status=status)
    return _line_page(db, stmt, page, scope="finance.lines")


def statement_lines(
    db: Database, tenant_id: str, statement_id: str, *, page: PageRequest = PageRequest()
) -> Page[StatementLineOut]:
    """The lines one statement added, in file order. Raises: ERR_FINANCE_STATEMENT_NOT_FOUND."""
    with db.list_reader() as session:
        found = session.get(BankStatement, (tenant_id, statement_id))
        if found is None:
            raise StatementNotFound("no such statement", statement_id=statement_id)
        stmt = select(StatementLine).where(
            StatementLine.tenant_id == tenant_id, StatementLine.statement_id == statement_id
        )
        keys: list[ColumnElement[Any]] = [
            StatementLine.line_no.expression,
            StatementLine.id.expression,
        ]
        rows = fetch_page(session, stmt, keys, page, scope=f"finance.statement:{statement_id}")
        return rows.page([_line_out(r[0]) for r in rows.rows])


def list_statements(
    db: Database, tenant_id: str, *, page: PageRequest = PageRequest()
) -> Page[StatementOut]:
    """Imported statements, newest import first."""
    stmt = select(BankStatement).where(BankStatement.tenant_id == tenant_id)
    keys: list[ColumnElement[Any]] = [
        BankStatement.imported_at.expression,
        BankStatement.id.expression,
    ]
    with db.list_reader() as session:
        rows = fetch_page(session, stmt, keys, page, scope="finance.statements", descending=True)
        return rows.page(
            [StatementOut.model_validate(r[0], from_attributes=True) for r in rows.rows]
        )


def list_movements(
    db: Database, tenant_id: str, *, status: str | None = None, page: PageRequest = PageRequest()
) -> Page[MovementOut]:
    """Expected movements, oldest expected date first, optionally by status."""
    return list_expected(db, tenant_id, MovementFilter(status=status), page)


def list_expected(
    db: Database, tenant_id: str, flt: MovementFilter, request: PageRequest
) -> Page[MovementOut]:
    """A page of expected movements, oldest expected date first, with their order and every
    reference. Raises: ERR_VALIDATION (a cursor this list did not make)."""
    m = ExpectedMovement
    stmt = scoped(m, tenant_id, status=flt.status, order_id=flt.order_id, kind=flt.kind)
    with db.list_reader() as session:
        fetched = fetch_page(
            session,
            stmt,
            [m.expected_date.expression, m.id.expression],
            request,
            scope="finance.expected",
        )
        items = [MovementOut.model_validate(r[0], from_attributes=True) for r in fetched.rows]
    return fetched.page(items)


def unmatched_line(db: Database, tenant_id: str, line_id: str) -> StatementLineOut | None:
    """One unmatched line of the tenant (the manual match's picker), or None: another
    tenant's line, an unknown id and a line already matched or in review are all None."""
    stmt = scoped(StatementLine, tenant_id, status="unmatched").where(StatementLine.id == line_id)
    with db.reader() as session:
        found = session.scalars(stmt).first()
        return _line_out(found) if found is not None else None


def _line_page(
    db: Database, stmt: Select[Any], page: PageRequest, *, scope: str
) -> Page[StatementLineOut]:
    keys: list[ColumnElement[Any]] = [
        StatementLine.value_date.expression,
        StatementLine.id.expression,
    ]
    with db.list_reader() as session:
        rows = fetch_page(session, stmt, keys, page, scope=scope, descending=True)
        return rows.page([_line_out(r[0]) for r in rows.rows])


def _line_out(line: StatementLine) -> StatementLineOut:
    return StatementLineOut.model_validate(line, from_attributes=True)


def review_queue(db: Database, tenant_id: str, *, limit: int = 100) -> list[ReviewItem]:
    """Proposals in review (待人工核对) with their line and movement, best score first."""
    order = (FinanceMatch.score.desc(), FinanceMatch.line_id, FinanceMatch.rank, FinanceMatch.id)
    return _paired(
        db, tenant_id, FinanceMatch.status == MatchStatus.REVIEW, order=order, limit=limit
    )


def review_item(db: Database, tenant_id: str, match_id: str) -> ReviewItem | None:
    """One match with its line and movement (for the console's warning step), or None."""
    found = _paired(db, tenant_id, FinanceMatch.id == match_id, order=(FinanceMatch.id,), limit=1)
    return found[0] if found else None


def confirmed_matches(db: Database, tenant_id: str, *, limit: int = 50) -> list[ReviewItem]:
    """The newest confirmed matches with their line and movement, newest decision first."""
    order = (FinanceMatch.decided_at.desc(), FinanceMatch.id.desc())
    return _paired(
        db, tenant_id, FinanceMatch.status == MatchStatus.CONFIRMED, order=order, limit=limit
    )


def find_open_movements(
    db: Database, tenant_id: str, *, order_no: str | None, amount: int | None, limit: int = 20
) -> list[MovementOut]:
    """Open expected movements whose order number starts with ``order_no`` and/or whose amount
    is ``amount`` (fen): the manual match's picker. Neither given: the oldest open ones."""
    m = ExpectedMovement
    stmt = select(m).where(m.tenant_id == tenant_id, m.status == MovementStatus.OPEN)
    if order_no:
        escaped = order_no.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(m.order_no.like(f"{escaped}%", escape="\\"))
    if amount is not None:
        stmt = stmt.where(m.amount == amount)
    stmt = stmt.order_by(m.expected_date, m.id).limit(limit)
    with db.reader() as session:
        return [
            MovementOut.model_validate(row, from_attributes=True) for row in session.scalars(stmt)
        ]


def _paired(
    db: Database,
    tenant_id: str,
    condition: ColumnElement[bool],
    *,
    order: Sequence[Any],
    limit: int,
) -> list[ReviewItem]:
    stmt = (
        select(FinanceMatch, StatementLine, ExpectedMovement)
        .join(
            StatementLine,
            (StatementLine.tenant_id == FinanceMatch.tenant_id)
            & (StatementLine.id == FinanceMatch.line_id),
        )
        .join(
            ExpectedMovement,
            (ExpectedMovement.tenant_id == FinanceMatch.tenant_id)
            & (ExpectedMovement.id == FinanceMatch.movement_id),
        )
        .where(FinanceMatch.tenant_id == tenant_id, condition)
        .order_by(*order)
        .limit(limit)
    )
    with db.reader() as session:
        found = session.execute(stmt).all()
        outs = match_outs(session, tenant_id, [m for m, _, _ in found])
        return [
            ReviewItem(
                match=out,
                line=StatementLineOut.model_validate(line, from_attributes=True),
                movement=MovementOut.model_validate(mv, from_attributes=True),
            )
            for out, (_, line, mv) in zip(outs, found, strict=True)
        ]
