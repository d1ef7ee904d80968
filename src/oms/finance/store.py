"""Finance operations inside an open unit of work: load open items, write proposals, release.

These take the caller's session and never commit. Statuses move only through the machines of
``finance.states``: set-based moves (``move_lines``, ``move_movements``, retiring candidates)
are ``core.repo.move_all`` statements, whose WHERE and values come from the machine.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from oms.core.db import table
from oms.core.ids import new_id
from oms.core.repo import move_all
from oms.finance.matching import Line, Movement, Proposal
from oms.finance.models import ExpectedMovement, FinanceMatch, StatementLine
from oms.finance.schemas import MovementKind
from oms.finance.states import (
    LINE_MACHINE,
    MATCH_MACHINE,
    MOVEMENT_MACHINE,
    LineStatus,
    MatchStatus,
    MovementStatus,
)

__all__ = [
    "load_open_lines",
    "load_open_movements",
    "load_rejected_pairs",
    "move_lines",
    "move_movements",
    "release_group",
    "reopen_lines",
    "retire_candidates",
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
        ).where(StatementLine.tenant_id == tenant_id, StatementLine.status == LineStatus.UNMATCHED)
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
            m.refund_no,
            m.gateway_refund_no,
            m.payer_name,
        ).where(m.tenant_id == tenant_id, m.status == MovementStatus.OPEN)
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
            r.refund_no,
            r.gateway_refund_no,
            r.payer_name,
        )
        for r in rows
    ]


def load_rejected_pairs(session: Session, tenant_id: str) -> frozenset[tuple[str, str]]:
    rows = session.execute(
        select(FinanceMatch.line_id, FinanceMatch.movement_id).where(
            FinanceMatch.tenant_id == tenant_id, FinanceMatch.status == MatchStatus.REJECTED
        )
    )
    return frozenset((r.line_id, r.movement_id) for r in rows)


def write_proposals(
    session: Session, tenant_id: str, proposals: Sequence[Proposal], *, now: datetime
) -> tuple[int, int]:
    """Insert match rows and mark lines and movements; returns (auto, review) counts.

    Candidates (lines with no reference) leave their movements open: several lines may want
    one movement, and a later reference match may take it; candidates for a movement another
    proposal has now taken are retired.
    """
    orders = _orders_of(session, tenant_id, {i for p in proposals for i in p.movement_ids})
    rows: list[dict[str, object]] = []
    for proposal in proposals:
        rows.extend(_rows(tenant_id, proposal, orders, now))
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(table(FinanceMatch)), rows[start : start + _CHUNK])
    auto = [p for p in proposals if p.is_auto]
    review = [p for p in proposals if not p.is_auto]
    matched = {i for p in auto for i in p.line_ids}
    move_lines(session, tenant_id, matched, LineStatus.MATCHED, now=now)
    in_review = {i for p in review for i in p.line_ids}
    move_lines(session, tenant_id, in_review, LineStatus.REVIEW, now=now)
    taken_auto = {i for p in auto for i in p.movement_ids}
    taken_review = {i for p in review if p.kind != "candidate" for i in p.movement_ids}
    move_movements(session, tenant_id, taken_auto, MovementStatus.MATCHED, now=now)
    move_movements(session, tenant_id, taken_review, MovementStatus.REVIEW, now=now)
    retire_candidates(session, tenant_id, taken_auto | taken_review, now=now)
    return len(auto), len(review)


def _orders_of(
    session: Session, tenant_id: str, movement_ids: set[str]
) -> dict[str, tuple[str | None, str | None]]:
    ids = sorted(movement_ids)
    found: dict[str, tuple[str | None, str | None]] = {}
    m = ExpectedMovement
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(m.id, m.order_id, m.order_no).where(
                m.tenant_id == tenant_id, m.id.in_(ids[start : start + _CHUNK])
            )
        )
        found.update({r.id: (r.order_id, r.order_no) for r in rows})
    return found


def _rows(
    tenant_id: str,
    proposal: Proposal,
    orders: dict[str, tuple[str | None, str | None]],
    now: datetime,
) -> list[dict[str, object]]:
    group = new_id()
    status = MatchStatus.CONFIRMED if proposal.is_auto else MatchStatus.REVIEW
    pairs = [(line, movement) for line in proposal.line_ids for movement in proposal.movement_ids]
    reasons = [reason.to_json() for reason in proposal.reasons]
    return [
        dict(
            tenant_id=tenant_id,
            id=new_id(),
            group_id=group,
            line_id=line,
            movement_id=movement,
            order_id=orders.get(movement, (None, None))[0],
            order_no=orders.get(movement, (None, None))[1],
            kind=proposal.kind,
            score=proposal.score,
            rank=proposal.rank,
            reasons=reasons,
            status=status.value,
            decided_by="engine" if proposal.is_auto else None,
            decided_at=now if proposal.is_auto else None,
            created_at=now,
        )
        for line, movement in pairs
    ]


def retire_candidates(
    session: Session, tenant_id: str, movement_ids: Iterable[str], *, now: datetime
) -> None:
    """Candidates in review for movements that are now taken are rejected by the engine;
    their lines are open again when nothing else of theirs is in review."""
    ids = sorted(set(movement_ids))
    lines: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        where = (
            FinanceMatch.tenant_id == tenant_id,
            FinanceMatch.kind == "candidate",
            FinanceMatch.status == MatchStatus.REVIEW,
            FinanceMatch.movement_id.in_(ids[start : start + _CHUNK]),
        )
        lines.update(session.scalars(select(FinanceMatch.line_id).where(*where)))
        rejected, by = MatchStatus.REJECTED, {"decided_by": "engine"}
        move_all(session, FinanceMatch, MATCH_MACHINE, rejected, *where, now=now, also=by)
    reopen_lines(session, tenant_id, lines, now=now)


def reopen_lines(
    session: Session, tenant_id: str, line_ids: Iterable[str], *, now: datetime
) -> None:
    """Lines in review with no proposal left in review become unmatched again."""
    ids = sorted(set(line_ids))
    if not ids:
        return
    busy = set(
        session.scalars(
            select(FinanceMatch.line_id).where(
                FinanceMatch.tenant_id == tenant_id,
                FinanceMatch.status == MatchStatus.REVIEW,
                FinanceMatch.line_id.in_(ids),
            )
        )
    )
    idle = [i for i in ids if i not in busy]
    move_lines(session, tenant_id, idle, LineStatus.UNMATCHED, now=now)


def move_lines(
    session: Session, tenant_id: str, ids: Iterable[str], to: LineStatus, *, now: datetime
) -> None:
    """Move the tenant's lines ``ids`` to ``to``; a line the table does not let go there (a
    matched one) stays as it is."""
    _move(session, StatementLine, tenant_id, ids, to, now)


def move_movements(
    session: Session, tenant_id: str, ids: Iterable[str], to: MovementStatus, *, now: datetime
) -> None:
    """Move the tenant's expected movements ``ids`` to ``to`` (see ``move_lines``)."""
    _move(session, ExpectedMovement, tenant_id, ids, to, now)


def _move(
    session: Session,
    model: type[StatementLine] | type[ExpectedMovement],
    tenant_id: str,
    ids: Iterable[str],
    to: LineStatus | MovementStatus,
    now: datetime,
) -> None:
    machine = LINE_MACHINE if model is StatementLine else MOVEMENT_MACHINE
    chunks = sorted(set(ids))
    for start in range(0, len(chunks), _CHUNK):
        where = (model.tenant_id == tenant_id, model.id.in_(chunks[start : start + _CHUNK]))
        move_all(session, model, machine, to, *where, now=now)


def release_group(
    session: Session, tenant_id: str, group_id: str, *, by: str, now: datetime
) -> list[FinanceMatch]:
    """Reject a group still in review and free its lines and movements. Raises nothing."""
    rows = list(
        session.scalars(
            select(FinanceMatch).where(
                FinanceMatch.tenant_id == tenant_id,
                FinanceMatch.group_id == group_id,
                FinanceMatch.status == MatchStatus.REVIEW,
            )
        )
    )
    for row in rows:
        MATCH_MACHINE.transition(row, to=MatchStatus.REJECTED, now=now)
        row.decided_by = by
    session.flush()
    reopen_lines(session, tenant_id, {r.line_id for r in rows}, now=now)
    # A candidate never took its movement out of the open pool; other proposals did.
    taken = {r.movement_id for r in rows if r.kind != "candidate"}
    move_movements(session, tenant_id, taken, MovementStatus.OPEN, now=now)
    return rows
