"""Exception tickets: opened by other domains inside their transaction, worked by people."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, insert, select, update

from oms.alerts.events import AlertRaised
from oms.core import outbox
from oms.core.auth import ROLE_PERMISSIONS
from oms.core.context import Actor
from oms.core.errors import Forbidden
from oms.core.ids import new_id
from oms.core.paging import Page, PageRequest, fetch_all, fetch_items, from_attributes
from oms.core.repo import get_for_update, scoped
from oms.core.uow import Database, UnitOfWork
from oms.inventory.service import apply_manual_movement
from oms.tickets import texts
from oms.tickets.errors import TicketNotFound
from oms.tickets.models import ExceptionTicket, TicketComment
from oms.tickets.schemas import CommentOut, ResolveIn, TicketOut
from oms.tickets.states import MACHINE, TicketKind, TicketStatus, check_ticket_transition

__all__ = [
    "add_comment",
    "add_note",
    "assign_ticket",
    "count_unresolved",
    "get_ticket",
    "list_tickets",
    "open_ticket",
    "open_ticket_ids",
    "resolve_for_order",
    "resolve_ticket",
    "ticket_page",
    "tickets_of_orders",
]


def open_ticket(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    kind: TicketKind,
    order_id: str | None,
    assignee_role: str,
    title_code: str,
    title_params: dict[str, Any],
    details: dict[str, Any],
    now: datetime,
) -> str:
    """Open a ticket (or return the open one of the same kind for the order) and raise an alert.

    The title is a code of ``texts.TITLES`` with its parameters, rendered in the reader's
    language by the console; its English rendering is stored in ``title`` too.
    An operation: it runs in the caller's unit of work.
    """
    title = texts.title_text(title_code, title_params)
    if order_id is not None:
        existing = open_ticket_ids(uow, tenant_id, order_id, kind)
        if existing:
            return existing[0]
    ticket_id = new_id()
    uow.session.execute(
        insert(ExceptionTicket).values(
            tenant_id=tenant_id,
            id=ticket_id,
            kind=kind.value,
            status=TicketStatus.OPEN.value,
            order_id=order_id,
            assignee_role=assignee_role,
            assignee=None,
            title=title,
            title_code=title_code,
            title_params=title_params,
            details=details,
            created_at=now,
            updated_at=now,
        )
    )
    alert = AlertRaised(
        tenant_id=tenant_id,
        type=f"ticket.{kind.value}",
        severity="high",
        title=title,
        details={
            "ticket_id": ticket_id,
            "order_id": order_id,
            "title_code": title_code,
            "title_params": title_params,
        },
    )
    outbox.add(uow, alert, now=now)
    return ticket_id


def open_ticket_ids(uow: UnitOfWork, tenant_id: str, order_id: str, kind: TicketKind) -> list[str]:
    """Unresolved tickets of ``kind`` for an order (an operation, in the caller's transaction)."""
    found = uow.session.scalars(
        select(ExceptionTicket.id).where(
            ExceptionTicket.tenant_id == tenant_id,
            ExceptionTicket.order_id == order_id,
            ExceptionTicket.kind == kind.value,
            ExceptionTicket.status != TicketStatus.RESOLVED.value,
        )
    )
    return list(found)


def resolve_for_order(
    uow: UnitOfWork,
    actor: Actor,
    *,
    order_id: str,
    kind: TicketKind,
    code: str,
    params: dict[str, Any],
    now: datetime,
) -> list[str]:
    """Resolve the order's unresolved tickets of ``kind`` (the cause went away by itself).

    ``code`` (of ``texts.COMMENTS``) with ``params`` says why; its English rendering is the
    resolution. An operation, in the caller's transaction; returns the tickets it resolved.
    """
    resolved = []
    for ticket_id in open_ticket_ids(uow, actor.tenant_id, order_id, kind):
        ticket = _ticket(uow, actor.tenant_id, ticket_id)
        MACHINE.transition(ticket, to=TicketStatus.RESOLVED, now=now)
        ticket.resolution = texts.comment_text(code, params)
        _system_comment(uow, actor, ticket_id, code, params)
        resolved.append(ticket_id)
    return resolved


def list_tickets(
    db: Database,
    tenant_id: str,
    *,
    status: str | None = None,
    kind: str | None = None,
    order_id: str | None = None,
    limit: int = 100,
) -> list[TicketOut]:
    """Tickets oldest first (the queue order), optionally filtered."""
    stmt, item = _tickets_where(tenant_id, status, kind, order_id), from_attributes(TicketOut)
    with db.reader() as session:
        return fetch_all(session, stmt, _TICKET_KEYS, item, limit=limit)


def tickets_of_orders(
    db: Database, tenant_id: str, order_ids: Sequence[str], kinds: Sequence[TicketKind]
) -> list[TicketOut]:
    """Every ticket of ``kinds`` on the given orders, whatever its status, oldest first."""
    found: list[TicketOut] = []
    unique, wanted = sorted(set(order_ids)), [k.value for k in kinds]
    item = from_attributes(TicketOut)
    with db.reader() as session:
        for start in range(0, len(unique), 500):
            rows = session.scalars(
                scoped(ExceptionTicket, tenant_id).where(
                    ExceptionTicket.order_id.in_(unique[start : start + 500]),
                    ExceptionTicket.kind.in_(wanted),
                )
            )
            found += [item(row) for row in rows]
    found.sort(key=lambda t: (t.created_at, t.id))
    return found


#: The queue order, of the list and the page alike: oldest first.
_TICKET_KEYS = (ExceptionTicket.created_at, ExceptionTicket.id)


def _tickets_where(
    tenant_id: str, status: str | None, kind: str | None, order_id: str | None
) -> Select[ExceptionTicket]:
    """The tenant's tickets, narrowed by each filter that is given (the list and the page)."""
    # An empty filter (``?status=``) means "any", as an absent one does.
    return scoped(
        ExceptionTicket,
        tenant_id,
        status=status or None,
        kind=kind or None,
        order_id=order_id or None,
    )


def ticket_page(
    db: Database,
    tenant_id: str,
    *,
    status: str | None = None,
    kind: str | None = None,
    order_id: str | None = None,
    page: PageRequest = PageRequest(),
) -> Page[TicketOut]:
    """One page of tickets oldest first (the queue order), optionally filtered."""
    stmt, item = _tickets_where(tenant_id, status, kind, order_id), from_attributes(TicketOut)
    with db.list_reader() as session:
        return fetch_items(session, stmt, _TICKET_KEYS, page, item, scope="tickets")


def count_unresolved(db: Database, tenant_id: str) -> int:
    """How many of the tenant's tickets are open or assigned (not yet resolved)."""
    stmt = (
        select(func.count())
        .select_from(ExceptionTicket)
        .where(
            ExceptionTicket.tenant_id == tenant_id,
            ExceptionTicket.status != str(TicketStatus.RESOLVED),
        )
    )
    with db.reader() as session:
        return int(session.scalar(stmt) or 0)


def get_ticket(db: Database, tenant_id: str, ticket_id: str) -> TicketOut:
    """One ticket with its comments. Raises: ERR_TICKET_NOT_FOUND."""
    with db.reader() as session:
        ticket = session.get(ExceptionTicket, (tenant_id, ticket_id))
        if ticket is None:
            raise TicketNotFound(ticket_id=ticket_id)
        comments = session.scalars(
            select(TicketComment)
            .where(TicketComment.tenant_id == tenant_id, TicketComment.ticket_id == ticket_id)
            .order_by(TicketComment.created_at, TicketComment.id)
        )
        out = TicketOut.model_validate(ticket, from_attributes=True)
        out.comments = [CommentOut.model_validate(c, from_attributes=True) for c in comments]
    return out


def assign_ticket(db: Database, actor: Actor, ticket_id: str, assignee: str) -> TicketOut:
    """Give the ticket to someone. Raises: ERR_TICKET_NOT_FOUND, ERR_TICKET_INVALID_TRANSITION."""
    with db.uow() as uow:
        ticket = _ticket(uow, actor.tenant_id, ticket_id)
        MACHINE.transition(ticket, to=TicketStatus.ASSIGNED, now=uow.clock.now())
        ticket.assignee = assignee
        _system_comment(uow, actor, ticket_id, "assigned", {"assignee": assignee})
        uow.commit()
    return get_ticket(db, actor.tenant_id, ticket_id)


def add_comment(db: Database, actor: Actor, ticket_id: str, body: str) -> TicketOut:
    """Comment on a ticket. Raises: ERR_TICKET_NOT_FOUND."""
    with db.uow() as uow:
        ticket = _ticket(uow, actor.tenant_id, ticket_id)
        ticket.updated_at = uow.clock.now()
        _comment(uow, actor, ticket_id, body)
        uow.commit()
    return get_ticket(db, actor.tenant_id, ticket_id)


def resolve_ticket(db: Database, actor: Actor, ticket_id: str, data: ResolveIn) -> TicketOut:
    """Close a ticket, posting its stock corrections as explicit movements in the same commit.

    Raises: ERR_TICKET_NOT_FOUND, ERR_TICKET_INVALID_TRANSITION, and the stock errors of
    the corrections.
    """
    with db.uow() as uow:
        now = uow.clock.now()
        ticket = _ticket(uow, actor.tenant_id, ticket_id)
        check_ticket_transition(ticket.status, TicketStatus.RESOLVED)
        if data.corrections and actor.role not in ROLE_PERMISSIONS["stock:write"]:
            raise Forbidden("stock corrections need a role that writes stock")
        for correction in data.corrections:
            apply_manual_movement(uow, actor, correction, reference=f"ticket:{ticket_id}")
        MACHINE.transition(ticket, to=TicketStatus.RESOLVED, now=now)
        ticket.resolution = data.resolution
        _system_comment(uow, actor, ticket_id, "resolved", {"resolution": data.resolution})
        uow.commit()
    return get_ticket(db, actor.tenant_id, ticket_id)


def add_note(
    uow: UnitOfWork, actor: Actor, ticket_id: str, code: str, params: dict[str, Any]
) -> None:
    """Comment on a ticket inside the caller's unit of work (an operation for other domains).

    The comment is a code of ``texts.COMMENTS`` with its parameters, shown in the reader's
    language."""
    _system_comment(uow, actor, ticket_id, code, params)
    uow.session.execute(
        update(ExceptionTicket)
        .where(ExceptionTicket.tenant_id == actor.tenant_id, ExceptionTicket.id == ticket_id)
        .values(updated_at=uow.clock.now())
    )


def _ticket(uow: UnitOfWork, tenant_id: str, ticket_id: str) -> ExceptionTicket:
    missing = TicketNotFound(ticket_id=ticket_id)
    return get_for_update(uow, ExceptionTicket, tenant_id, ticket_id, missing=missing)


def _system_comment(
    uow: UnitOfWork, actor: Actor, ticket_id: str, code: str, params: dict[str, Any]
) -> None:
    """A comment oms writes: its code and parameters, and their English rendering as body."""
    body = texts.comment_text(code, params)
    _comment(uow, actor, ticket_id, body, code=code, params=params)


def _comment(
    uow: UnitOfWork,
    actor: Actor,
    ticket_id: str,
    body: str,
    *,
    code: str | None = None,
    params: dict[str, Any] | None = None,
) -> None:
    uow.session.add(
        TicketComment(
            tenant_id=actor.tenant_id,
            id=new_id(),
            ticket_id=ticket_id,
            author=actor.principal,
            body=body,
            code=code,
            params=params,
            created_at=uow.clock.now(),
        )
    )
