"""The review queue: finance confirms or rejects proposals, or matches a line by hand."""

from __future__ import annotations

from sqlalchemy import select, update

from oms.core.audit import Attempt, Outcome, record_attempt
from oms.core.context import Actor
from oms.core.ids import new_id
from oms.core.uow import Database, UnitOfWork
from oms.finance import store
from oms.finance.errors import (
    MatchConflict,
    MatchNotFound,
    MovementNotFound,
    StatementLineNotFound,
)
from oms.finance.models import ExpectedMovement, FinanceMatch, StatementLine
from oms.finance.queries import match_outs
from oms.finance.reasons import Reason
from oms.finance.schemas import ManualMatchIn, MatchOut
from oms.finance.states import MATCH_MACHINE, LineStatus, MatchStatus, MovementStatus

__all__ = ["confirm_match", "match_line", "reject_match"]


def confirm_match(db: Database, actor: Actor, match_id: str) -> list[MatchOut]:
    """Confirm a proposal in review (with the rest of its split or merged group); the other
    proposals in review for its lines or movements (a line's other candidates, other lines
    wanting the same movement) are rejected.

    Raises: ERR_FINANCE_MATCH_NOT_FOUND, ERR_FINANCE_MATCH_CONFLICT (already decided).
    """
    with db.uow() as uow:
        group = _group_in_review(uow, actor.tenant_id, match_id)
        now = uow.clock.now()
        for row in group:
            MATCH_MACHINE.transition(row, to=MatchStatus.CONFIRMED, now=now)
            row.decided_by = actor.principal
        uow.session.flush()
        lines, movements = {r.line_id for r in group}, {r.movement_id for r in group}
        _release_rivals(uow, actor, lines, movements, keep=group[0].group_id)
        _matched(uow, actor.tenant_id, lines, movements)
        _audit(uow, actor, match_id, "confirm", MatchStatus.REVIEW, MatchStatus.CONFIRMED)
        uow.commit()
        return _outs(uow, actor.tenant_id, group)


def reject_match(db: Database, actor: Actor, match_id: str) -> list[MatchOut]:
    """Reject a proposal in review; its lines and movements are open again, never re-proposed
    as the same pair.

    Raises: ERR_FINANCE_MATCH_NOT_FOUND, ERR_FINANCE_MATCH_CONFLICT (already decided).
    """
    with db.uow() as uow:
        group = _group_in_review(uow, actor.tenant_id, match_id)
        now = uow.clock.now()
        rows = store.release_group(
            uow.session, actor.tenant_id, group[0].group_id, by=actor.principal, now=now
        )
        _audit(uow, actor, match_id, "reject", MatchStatus.REVIEW, MatchStatus.REJECTED)
        uow.commit()
        return _outs(uow, actor.tenant_id, rows)


def match_line(db: Database, actor: Actor, line_id: str, body: ManualMatchIn) -> MatchOut:
    """Match a line to a movement by hand; proposals in review for either are rejected.

    Raises: ERR_FINANCE_LINE_NOT_FOUND, ERR_FINANCE_MOVEMENT_NOT_FOUND,
    ERR_FINANCE_MATCH_CONFLICT (line or movement already matched).
    """
    tenant = actor.tenant_id
    with db.uow() as uow:
        line, movement = _open_pair(uow, tenant, line_id, body.movement_id)
        now = uow.clock.now()
        _release_rivals(uow, actor, {line.id}, {movement.id}, keep=None)
        row = FinanceMatch(
            tenant_id=tenant,
            id=new_id(),
            group_id=new_id(),
            line_id=line.id,
            movement_id=movement.id,
            order_id=movement.order_id,
            order_no=movement.order_no,
            kind="manual",
            score=0,
            reasons=[Reason("manual", {"note": body.note or ""}).to_json()],
            status=MatchStatus.CONFIRMED.value,
            decided_by=actor.principal,
            decided_at=now,
            created_at=now,
        )
        uow.session.add(row)
        uow.session.flush()
        _matched(uow, tenant, {line.id}, {movement.id})
        _audit(uow, actor, row.id, "manual_match", None, MatchStatus.CONFIRMED)
        uow.commit()
        return _outs(uow, tenant, [row])[0]


def _group_in_review(uow: UnitOfWork, tenant_id: str, match_id: str) -> list[FinanceMatch]:
    match = uow.session.get(FinanceMatch, (tenant_id, match_id))
    if match is None:
        raise MatchNotFound("no such match", match_id=match_id)
    movements = uow.session.scalars(
        select(FinanceMatch.movement_id).where(
            FinanceMatch.tenant_id == tenant_id, FinanceMatch.group_id == match.group_id
        )
    )
    # Movements first: two lines' candidates may want one movement, and whoever decides
    # second must wait here (before touching any match row, so no deadlock) and then lose.
    _lock_open_movements(uow, tenant_id, set(movements))
    # Compare-and-set: of two people deciding the same group, only the first wins.
    claimed = uow.session.execute(
        update(FinanceMatch)
        .where(
            FinanceMatch.tenant_id == tenant_id,
            FinanceMatch.group_id == match.group_id,
            FinanceMatch.status == MatchStatus.REVIEW,
        )
        .values(decided_at=uow.clock.now())
    )
    if getattr(claimed, "rowcount", 0) == 0:
        raise MatchConflict(f"match is already {match.status}", status=match.status)
    uow.session.expire_all()
    return list(
        uow.session.scalars(
            select(FinanceMatch).where(
                FinanceMatch.tenant_id == tenant_id, FinanceMatch.group_id == match.group_id
            )
        )
    )


def _lock_open_movements(uow: UnitOfWork, tenant_id: str, movement_ids: set[str]) -> None:
    """Lock the movements (ascending id, PostgreSQL) and refuse if one is already matched."""
    stmt = (
        select(ExpectedMovement.id, ExpectedMovement.status)
        .where(
            ExpectedMovement.tenant_id == tenant_id, ExpectedMovement.id.in_(sorted(movement_ids))
        )
        .order_by(ExpectedMovement.id)
    )
    if uow.is_postgres:
        stmt = stmt.with_for_update()
    for movement_id, status in uow.session.execute(stmt):
        if status == MovementStatus.MATCHED:
            raise MatchConflict("the movement is already matched", movement_id=movement_id)


def _open_pair(
    uow: UnitOfWork, tenant_id: str, line_id: str, movement_id: str
) -> tuple[StatementLine, ExpectedMovement]:
    line = uow.session.get(StatementLine, (tenant_id, line_id))
    if line is None:
        raise StatementLineNotFound("no such statement line", line_id=line_id)
    movement = uow.session.get(ExpectedMovement, (tenant_id, movement_id))
    if movement is None:
        raise MovementNotFound("no such expected movement", movement_id=movement_id)
    _lock_open_movements(uow, tenant_id, {movement_id})
    if line.status == LineStatus.MATCHED:
        raise MatchConflict("the statement line is already matched", line_id=line_id)
    if movement.status == MovementStatus.MATCHED:
        raise MatchConflict("the movement is already matched", movement_id=movement_id)
    return line, movement


def _release_rivals(
    uow: UnitOfWork, actor: Actor, lines: set[str], movements: set[str], *, keep: str | None
) -> None:
    """Reject the groups in review (other than ``keep``) that want these lines or movements."""
    groups = set(
        uow.session.scalars(
            select(FinanceMatch.group_id).where(
                FinanceMatch.tenant_id == actor.tenant_id,
                FinanceMatch.status == MatchStatus.REVIEW,
                FinanceMatch.line_id.in_(sorted(lines))
                | FinanceMatch.movement_id.in_(sorted(movements)),
            )
        )
    )
    now = uow.clock.now()
    for group_id in sorted(groups - {keep}):
        store.release_group(uow.session, actor.tenant_id, group_id, by=actor.principal, now=now)


def _matched(uow: UnitOfWork, tenant_id: str, lines: set[str], movements: set[str]) -> None:
    now = uow.clock.now()
    store.move_lines(uow.session, tenant_id, lines, LineStatus.MATCHED, now=now)
    store.move_movements(uow.session, tenant_id, movements, MovementStatus.MATCHED, now=now)


def _audit(
    uow: UnitOfWork, actor: Actor, match_id: str, event: str, before: str | None, after: str
) -> None:
    attempt = Attempt("finance_match", match_id, event, Outcome.APPLIED, before, after)
    record_attempt(uow.session, actor, attempt, now=uow.clock.now())


def _outs(uow: UnitOfWork, tenant_id: str, rows: list[FinanceMatch]) -> list[MatchOut]:
    uow.session.flush()
    return match_outs(uow.session, tenant_id, rows)
