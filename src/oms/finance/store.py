"""Finance operations inside an open unit of work: load open items, write proposals, release.

These take the caller's session and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from oms.core.db import table
from oms.core.ids import new_id
from oms.finance.matching import Line, Movement, Proposal
from oms.finance.models import ExpectedMovement, FinanceMatch, StatementLine
from oms.finance.schemas import MovementKind

__all__ = [
    "load_open_lines",
    "load_open_movements",
    "load_rejected_pairs",
    "release_group",
    "set_line_status",
    "set_movement_status",
    "write_proposals",
]

_CHUNK = 500


def load_open_lines(session: Session, tenant_id: str) -> list[Line]:
    rows = session.execute(
        select(
            StatementLine.id,
            StatementLine.amount,
            StatementLine.currency,
            StatementLine.value_date,
            StatementLine.memo,
            StatementLine.reference,
        ).where(StatementLine.tenant_id == tenant_id, StatementLine.status == "unmatched")
    )
    return [
        Line(r.id, r.amount, r.currency, r.value_date, f"{r.reference or ''} {r.memo}")
        for r in rows
    ]


def load_open_movements(session: Session, tenant_id: str) -> list[Movement]:
    """Open movements as engine values; columns only, so a million rows load quickly."""
    m = ExpectedMovement
    rows = session.execute(
        select(
            m.id,
            m.kind,
            m.amount,
            m.currency,
            m.expected_date,
            m.order_no,
            m.trade_no,
            m.external_id,
        ).where(m.tenant_id == tenant_id, m.status == "open")
    )
    refund = MovementKind.REFUND_SENT.value
    return [
        Movement(
            r.id,
            -r.amount if r.kind == refund else r.amount,
            r.currency,
            r.expected_date,
            r.order_no,
            r.trade_no,
            r.external_id,
        )
        for r in rows
    ]


def load_rejected_pairs(session: Session, tenant_id: str) -> frozenset[tuple[str, str]]:
    rows = session.execute(
        select(FinanceMatch.line_id, FinanceMatch.movement_id).where(
            FinanceMatch.tenant_id == tenant_id, FinanceMatch.status == "rejected"
        )
    )
    return frozenset((r.line_id, r.movement_id) for r in rows)


def write_proposals(
    session: Session, tenant_id: str, proposals: Sequence[Proposal], *, now: datetime
) -> tuple[int, int]:
    """Insert match rows and mark lines and movements; returns (auto, review) counts."""
    rows: list[dict[str, object]] = []
    for proposal in proposals:
        rows.extend(_rows(tenant_id, proposal, now))
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(table(FinanceMatch)), rows[start : start + _CHUNK])
    for status in ("confirmed", "review"):
        chosen = [p for p in proposals if (status == "confirmed") == p.is_auto]
        final = "matched" if status == "confirmed" else "review"
        set_line_status(session, tenant_id, {i for p in chosen for i in p.line_ids}, final)
        movement_status = "matched" if status == "confirmed" else "review"
        ids = {i for p in chosen for i in p.movement_ids}
        set_movement_status(session, tenant_id, ids, movement_status)
    auto = sum(1 for p in proposals if p.is_auto)
    return auto, len(proposals) - auto


def _rows(tenant_id: str, proposal: Proposal, now: datetime) -> list[dict[str, object]]:
    group = new_id()
    status = "confirmed" if proposal.is_auto else "review"
    pairs = [(line, movement) for line in proposal.line_ids for movement in proposal.movement_ids]
    return [
        dict(
            tenant_id=tenant_id,
            id=new_id(),
            group_id=group,
            line_id=line,
            movement_id=movement,
            kind=proposal.kind,
            score=proposal.score,
            reasons=list(proposal.reasons),
            status=status,
            decided_by="engine" if proposal.is_auto else None,
            decided_at=now if proposal.is_auto else None,
            created_at=now,
        )
        for line, movement in pairs
    ]


def set_line_status(session: Session, tenant_id: str, ids: Iterable[str], status: str) -> None:
    _set_status(session, StatementLine, tenant_id, list(ids), status)


def set_movement_status(session: Session, tenant_id: str, ids: Iterable[str], status: str) -> None:
    _set_status(session, ExpectedMovement, tenant_id, list(ids), status)


def _set_status(
    session: Session,
    model: type[StatementLine] | type[ExpectedMovement],
    tenant_id: str,
    ids: list[str],
    status: str,
) -> None:
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        session.execute(
            update(model)
            .where(model.tenant_id == tenant_id, model.id.in_(chunk))
            .values(status=status)
        )


def release_group(
    session: Session, tenant_id: str, group_id: str, *, by: str, now: datetime
) -> list[FinanceMatch]:
    """Reject a group still in review and free its lines and movements. Raises nothing."""
    rows = list(
        session.scalars(
            select(FinanceMatch).where(
                FinanceMatch.tenant_id == tenant_id,
                FinanceMatch.group_id == group_id,
                FinanceMatch.status == "review",
            )
        )
    )
    for row in rows:
        row.status, row.decided_by, row.decided_at = "rejected", by, now
    session.flush()
    set_line_status(session, tenant_id, {r.line_id for r in rows}, "unmatched")
    set_movement_status(session, tenant_id, {r.movement_id for r in rows}, "open")
    return rows
