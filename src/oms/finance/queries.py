"""Read-only finance queries: settings, the review queue, statement lines."""

from __future__ import annotations

from sqlalchemy import select

from oms.core.uow import Database
from oms.finance.models import ExpectedMovement, FinanceMatch, FinanceSettings, StatementLine
from oms.finance.schemas import (
    CsvLayoutIn,
    FinanceSettingsOut,
    MatchOut,
    MovementOut,
    ReviewItem,
    StatementLineOut,
)

__all__ = ["get_settings", "list_lines", "list_matches", "list_movements", "review_queue"]


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
        csv_layout=CsvLayoutIn.model_validate(row.csv_layout),
    )


def list_matches(
    db: Database, tenant_id: str, *, status: str | None = None, limit: int = 100
) -> list[MatchOut]:
    """Matches, best score first within a status (``review`` is the queue)."""
    stmt = select(FinanceMatch).where(FinanceMatch.tenant_id == tenant_id)
    if status is not None:
        stmt = stmt.where(FinanceMatch.status == status)
    stmt = stmt.order_by(FinanceMatch.score.desc(), FinanceMatch.id).limit(limit)
    with db.reader() as session:
        return [MatchOut.model_validate(m, from_attributes=True) for m in session.scalars(stmt)]


def list_lines(
    db: Database, tenant_id: str, *, status: str | None = None, limit: int = 100
) -> list[StatementLineOut]:
    """Statement lines, newest value date first, optionally by status."""
    stmt = select(StatementLine).where(StatementLine.tenant_id == tenant_id)
    if status is not None:
        stmt = stmt.where(StatementLine.status == status)
    stmt = stmt.order_by(StatementLine.value_date.desc(), StatementLine.id).limit(limit)
    with db.reader() as session:
        return [
            StatementLineOut.model_validate(line, from_attributes=True)
            for line in session.scalars(stmt)
        ]


def list_movements(
    db: Database, tenant_id: str, *, status: str | None = None, limit: int = 100
) -> list[MovementOut]:
    """Expected movements, oldest expected date first, optionally by status."""
    stmt = select(ExpectedMovement).where(ExpectedMovement.tenant_id == tenant_id)
    if status is not None:
        stmt = stmt.where(ExpectedMovement.status == status)
    stmt = stmt.order_by(ExpectedMovement.expected_date, ExpectedMovement.id).limit(limit)
    with db.reader() as session:
        return [MovementOut.model_validate(m, from_attributes=True) for m in session.scalars(stmt)]


def review_queue(db: Database, tenant_id: str, *, limit: int = 100) -> list[ReviewItem]:
    """Proposals in review (待人工核对) with their line and movement, best score first."""
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
        .where(FinanceMatch.tenant_id == tenant_id, FinanceMatch.status == "review")
        .order_by(FinanceMatch.score.desc(), FinanceMatch.id)
        .limit(limit)
    )
    with db.reader() as session:
        return [
            ReviewItem(
                match=MatchOut.model_validate(m, from_attributes=True),
                line=StatementLineOut.model_validate(line, from_attributes=True),
                movement=MovementOut.model_validate(mv, from_attributes=True),
            )
            for m, line, mv in session.execute(stmt).all()
        ]
