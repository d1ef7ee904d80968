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
from oms.finance.schemas import ManualMatchIn, MatchOut

__all__ = ["confirm_match", "match_line", "reject_match"]


def confirm_match(db: Database, actor: Actor, match_id: str) -> list[MatchOut]:
    """Confirm a proposal in review (with the rest of its split or merged group).

    Raises: ERR_FINANCE_MATCH_NOT_FOUND, ERR_FINANCE_MATCH_CONFLICT (already decided).
    """
    with db.uow() as uow:
        group = _group_in_review(uow, actor.tenant_id, match_id)
        now = uow.clock.now()
        for row in group:
            row.status, row.decided_by, row.decided_at = "confirmed", actor.principal, now
        uow.session.flush()
        store.set_line_status(uow.session, actor.tenant_id, {r.line_id for r in group}, "matched")
        movements = {r.movement_id for r in group}
        store.set_movement_status(uow.session, actor.tenant_id, movements, "matched")
        _audit(uow, actor, match_id, "confirm", "review", "confirmed")
        uow.commit()
        return [_out(r) for r in group]


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
        _audit(uow, actor, match_id, "reject", "review", "rejected")
        uow.commit()
        return [_out(r) for r in rows]


def match_line(db: Database, actor: Actor, line_id: str, body: ManualMatchIn) -> MatchOut:
    """Match a line to a movement by hand; proposals in review for either are rejected.

    Raises: ERR_FINANCE_LINE_NOT_FOUND, ERR_FINANCE_MOVEMENT_NOT_FOUND,
    ERR_FINANCE_MATCH_CONFLICT (line or movement already matched).
    """
    tenant = actor.tenant_id
    with db.uow() as uow:
        line, movement = _open_pair(uow, tenant, line_id, body.movement_id)
        now = uow.clock.now()
        for group_id in _review_groups(uow, tenant, line.id, movement.id):
            store.release_group(uow.session, tenant, group_id, by=actor.principal, now=now)
        row = FinanceMatch(
            tenant_id=tenant,
            id=new_id(),
            group_id=new_id(),
            line_id=line.id,
            movement_id=movement.id,
            kind="manual",
            score=0,
            reasons=["matched by hand" + (f": {body.note}" if body.note else "")],
            status="confirmed",
            decided_by=actor.principal,
            decided_at=now,
            created_at=now,
        )
        uow.session.add(row)
        uow.session.flush()
        store.set_line_status(uow.session, tenant, [line.id], "matched")
        store.set_movement_status(uow.session, tenant, [movement.id], "matched")
        _audit(uow, actor, row.id, "manual_match", None, "confirmed")
        uow.commit()
        return _out(row)


def _group_in_review(uow: UnitOfWork, tenant_id: str, match_id: str) -> list[FinanceMatch]:
    match = uow.session.get(FinanceMatch, (tenant_id, match_id))
    if match is None:
        raise MatchNotFound("no such match", match_id=match_id)
    # Compare-and-set: of two people deciding the same group, only the first wins.
    claimed = uow.session.execute(
        update(FinanceMatch)
        .where(
            FinanceMatch.tenant_id == tenant_id,
            FinanceMatch.group_id == match.group_id,
            FinanceMatch.status == "review",
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


def _open_pair(
    uow: UnitOfWork, tenant_id: str, line_id: str, movement_id: str
) -> tuple[StatementLine, ExpectedMovement]:
    line = uow.session.get(StatementLine, (tenant_id, line_id))
    if line is None:
        raise StatementLineNotFound("no such statement line", line_id=line_id)
    movement = uow.session.get(ExpectedMovement, (tenant_id, movement_id))
    if movement is None:
        raise MovementNotFound("no such expected movement", movement_id=movement_id)
    if line.status == "matched":
        raise MatchConflict("the statement line is already matched", line_id=line_id)
    if movement.status == "matched":
        raise MatchConflict("the movement is already matched", movement_id=movement_id)
    return line, movement


def _review_groups(uow: UnitOfWork, tenant_id: str, line_id: str, movement_id: str) -> set[str]:
    rows = uow.session.scalars(
        select(FinanceMatch.group_id).where(
            FinanceMatch.tenant_id == tenant_id,
            FinanceMatch.status == "review",
            (FinanceMatch.line_id == line_id) | (FinanceMatch.movement_id == movement_id),
        )
    )
    return set(rows)


def _audit(
    uow: UnitOfWork, actor: Actor, match_id: str, event: str, before: str | None, after: str
) -> None:
    attempt = Attempt("finance_match", match_id, event, Outcome.APPLIED, before, after)
    record_attempt(uow.session, actor, attempt, now=uow.clock.now())


def _out(row: FinanceMatch) -> MatchOut:
    return MatchOut.model_validate(row, from_attributes=True)
