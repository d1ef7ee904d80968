"""Console exception tickets: the queue by status, kind and age; one ticket; assign, comment,
resolve (with at most one stock correction, for roles that also write stock)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from oms.console import forms
from oms.console import queries as console_queries
from oms.console.deps import Db, Flashed, actor_of, see_other
from oms.console.render import render
from oms.console.session import permitted, posting_permitted
from oms.core.errors import ValidationFailed
from oms.tickets import service as tickets
from oms.users import directory
from oms.users.schemas import SessionUser

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)
TicketsReader = Annotated[SessionUser, Depends(permitted("tickets:read"))]
TicketsWriter = Annotated[SessionUser, Depends(posting_permitted("tickets:write"))]


def _done(ticket_id: str, what: str) -> RedirectResponse:
    return see_other(f"/console/tickets/{ticket_id}", done=what)


@router.get("/tickets", response_class=HTMLResponse)
def tickets_list(
    request: Request,
    db: Db,
    user: TicketsReader,
    status: str | None = None,
    kind: str | None = None,
    order_id: str | None = None,
) -> HTMLResponse:
    """The queue, oldest first: unresolved tickets unless another status is chosen."""
    flt = forms.ticket_filter(status=status, kind=kind, order_id=order_id)
    queue = console_queries.ticket_queue(db, user, flt)
    filters = {k: v for k, v in request.query_params.items() if v}
    return render(
        request, "tickets.html", user=user, active="tickets", queue=queue, filters=filters
    )


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket_page(
    request: Request, db: Db, user: TicketsReader, ticket_id: str, notice: Flashed
) -> HTMLResponse:
    """One ticket: what happened, its comments, and the forms the role may use."""
    detail = console_queries.ticket_detail(db, user, ticket_id)
    return render(request, "ticket.html", user=user, active="tickets", notice=notice, detail=detail)


@router.post("/tickets/{ticket_id}/assign")
def assign_ticket(
    request: Request,
    db: Db,
    user: TicketsWriter,
    ticket_id: str,
    assignee: Annotated[str, Form(max_length=128)],
) -> RedirectResponse:
    """Give the ticket to one of the tenant's users (picked by e-mail address).

    Raises: ERR_VALIDATION (blank, or not a user of the tenant).
    """
    name = forms.required_text(assignee, field="assignee")
    if name not in {u.email for u in directory.tenant_users(db, user.tenant_id)}:
        raise ValidationFailed("not a user of this tenant", field="assignee")
    tickets.assign_ticket(db, actor_of(request, user), ticket_id, name)
    return _done(ticket_id, "assigned")


@router.post("/tickets/{ticket_id}/comments")
def comment_ticket(
    request: Request,
    db: Db,
    user: TicketsWriter,
    ticket_id: str,
    body: Annotated[str, Form(max_length=5000)],
) -> RedirectResponse:
    """Add a comment to the ticket's history."""
    text = forms.required_text(body, field="body")
    tickets.add_comment(db, actor_of(request, user), ticket_id, text)
    return _done(ticket_id, "commented")


@router.post("/tickets/{ticket_id}/resolve")
def resolve_ticket(
    request: Request,
    db: Db,
    user: TicketsWriter,
    ticket_id: str,
    resolution: Annotated[str, Form(max_length=5000)],
    sku: Annotated[str, Form(max_length=64)] = "",
    warehouse: Annotated[str, Form(max_length=64)] = "",
    kind: Annotated[str, Form(max_length=32)] = "inbound",
    qty: Annotated[str, Form(max_length=16)] = "",
) -> RedirectResponse:
    """Resolve; a correction row, when filled in, is posted in the same transaction."""
    command = forms.resolve_command(
        resolution=resolution, sku=sku, warehouse=warehouse, kind=kind, qty=qty
    )
    tickets.resolve_ticket(db, actor_of(request, user), ticket_id, command)
    return _done(ticket_id, "resolved")
