"""Console accounting (记账): the documents sent to the merchant's accounting system, what the
system answered to a rejected one, a resend that never books twice, and each sink's state."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from oms.accounting import queries as accounting_queries
from oms.accounting import service as accounting
from oms.accounting.errors import DocumentNotFound
from oms.console.deps import Cursor, Db, Flashed, FormId, actor_of, flash_after, next_url
from oms.console.render import render
from oms.console.session import permitted, posting_permitted
from oms.core.paging import PageRequest
from oms.users.schemas import SessionUser

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)
AccountingReader = Annotated[SessionUser, Depends(permitted("accounting:read"))]
AccountingResender = Annotated[SessionUser, Depends(posting_permitted("accounting:resend"))]
StatusFilter = Annotated[str | None, Query(pattern="^(pending|sent|rejected)?$")]
SinkFilter = Annotated[str | None, Query(pattern="^(quickbooks|kingdee|u8)?$")]
PAGE_SIZE = 50


@router.get("/accounting", response_class=HTMLResponse)
def accounting_page(
    request: Request,
    db: Db,
    user: AccountingReader,
    notice: Flashed,
    status: StatusFilter = None,
    sink: SinkFilter = None,
    cursor: Cursor = None,
    confirm: Annotated[str | None, Query(max_length=36)] = None,
) -> HTMLResponse:
    """The documents (a page, by status and sink), the sinks' state, a resend to confirm."""
    status, sink = status or None, sink or None  # the filter form's "all" is empty
    documents = accounting_queries.document_page(
        db, tenant_id=user.tenant_id, status=status, sink=sink, page=PageRequest(PAGE_SIZE, cursor)
    )
    filters = [(k, v) for k, v in (("status", status), ("sink", sink)) if v]
    confirming = None
    if confirm:
        try:
            confirming = accounting_queries.get_document(db, user.tenant_id, confirm)
        except DocumentNotFound:
            confirming = None
    return render(
        request,
        "accounting.html",
        user=user,
        active="accounting",
        notice=notice,
        documents=documents,
        connections=accounting_queries.connection_states(db, user.tenant_id),
        next_url=next_url("/console/accounting", documents.next_cursor, filters),
        status=status,
        sink=sink,
        confirming=confirming,
        sinks=("quickbooks", "kingdee", "u8"),
    )


@router.post("/accounting/resend")
def resend_document(
    request: Request, db: Db, user: AccountingResender, document_id: FormId
) -> RedirectResponse:
    """Send a rejected document again under its own id: the system books it once."""
    actor = actor_of(request, user)
    return flash_after(
        "/console/accounting",
        "resent",
        lambda: accounting.resend_document(db, actor, document_id=document_id),
    )
