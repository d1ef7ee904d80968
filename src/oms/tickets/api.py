"""Exception tickets over HTTP: the queue, assign, comment, resolve."""

from __future__ import annotations

from fastapi import APIRouter

from oms.core.paging import Page, Paging
from oms.http.deps import CurrentActor, CurrentPrincipal, Db, requires
from oms.tickets import service
from oms.tickets.schemas import AssignIn, CommentIn, ResolveIn, TicketOut

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])


@router.get("", dependencies=[requires("tickets:read")])
def list_tickets(
    principal: CurrentPrincipal,
    db: Db,
    page: Paging,
    status: str | None = None,
    kind: str | None = None,
    order_id: str | None = None,
) -> Page[TicketOut]:
    """The queue, oldest first, paged by cursor."""
    return service.ticket_page(
        db, principal.tenant_id, status=status, kind=kind, order_id=order_id, page=page
    )


@router.get("/{ticket_id}", dependencies=[requires("tickets:read")])
def read_ticket(ticket_id: str, principal: CurrentPrincipal, db: Db) -> TicketOut:
    """One ticket with its comments."""
    return service.get_ticket(db, principal.tenant_id, ticket_id)


@router.post("/{ticket_id}/assign", dependencies=[requires("tickets:write")])
def assign(ticket_id: str, body: AssignIn, actor: CurrentActor, db: Db) -> TicketOut:
    return service.assign_ticket(db, actor, ticket_id, body.assignee)


@router.post("/{ticket_id}/comments", dependencies=[requires("tickets:write")])
def comment(ticket_id: str, body: CommentIn, actor: CurrentActor, db: Db) -> TicketOut:
    return service.add_comment(db, actor, ticket_id, body.body)


@router.post("/{ticket_id}/resolve", dependencies=[requires("tickets:write")])
def resolve(ticket_id: str, body: ResolveIn, actor: CurrentActor, db: Db) -> TicketOut:
    """Resolve, posting stock corrections as explicit movements in the same transaction."""
    return service.resolve_ticket(db, actor, ticket_id, body)
