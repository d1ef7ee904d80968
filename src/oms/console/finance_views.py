"""Console finance: statement import (银行流水), the matching review queue (待人工核对) with
confirm / reject, and the manual match of a line to an expected movement."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse

from oms.console import forms
from oms.console.deps import Db, actor_of, flash_after
from oms.console.render import render
from oms.console.session import permitted, posting_permitted
from oms.finance import queries as finance_queries
from oms.finance import service as finance
from oms.finance.schemas import ManualMatchIn
from oms.users.schemas import SessionUser

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)
FinanceReader = Annotated[SessionUser, Depends(permitted("finance:read"))]
FinanceWriter = Annotated[SessionUser, Depends(posting_permitted("finance:write"))]
PAGE = "/console/finance"
OPEN_LIMIT = 100


@router.get("/finance", response_class=HTMLResponse)
def finance_page(
    request: Request,
    db: Db,
    user: FinanceReader,
    done: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    """The review queue, and the open lines and movements a person may match by hand."""
    review = finance_queries.review_queue(db, user.tenant_id)
    lines = finance_queries.list_lines(db, user.tenant_id, status="unmatched", limit=OPEN_LIMIT)
    movements = finance_queries.list_movements(db, user.tenant_id, status="open", limit=OPEN_LIMIT)
    return render(
        request,
        "finance.html",
        user=user,
        active="finance",
        review=review,
        lines=lines,
        movements=movements,
        csrf_token=user.csrf_token,
        done=done,
        error_code=error,
    )


@router.post("/finance/statements")
def import_statement(
    request: Request,
    db: Db,
    user: FinanceWriter,
    file: Annotated[UploadFile, File()],
    format: Annotated[str, Form(max_length=16)],
) -> RedirectResponse:
    """Import a statement file (multipart), then match its lines."""
    actor = actor_of(request, user)
    data, name = file.file.read(), file.filename

    def run() -> str:
        result = finance.import_statement(db, actor, data=data, fmt=format, filename=name)
        return "duplicate" if result.is_duplicate_file else "imported"

    return flash_after(PAGE, "imported", run)


@router.post("/finance/matches/{match_id}/confirm")
def confirm_match(request: Request, db: Db, user: FinanceWriter, match_id: str) -> RedirectResponse:
    """Confirm a proposal (with the rest of its split or merged group)."""
    actor = actor_of(request, user)
    return flash_after(PAGE, "confirmed", lambda: finance.confirm_match(db, actor, match_id))


@router.post("/finance/matches/{match_id}/reject")
def reject_match(request: Request, db: Db, user: FinanceWriter, match_id: str) -> RedirectResponse:
    """Reject a proposal; its line and movement are open again."""
    actor = actor_of(request, user)
    return flash_after(PAGE, "rejected", lambda: finance.reject_match(db, actor, match_id))


@router.post("/finance/matches")
def manual_match(
    request: Request,
    db: Db,
    user: FinanceWriter,
    line_id: Annotated[str, Form(max_length=36)],
    movement_id: Annotated[str, Form(max_length=36)],
    note: Annotated[str, Form(max_length=500)] = "",
) -> RedirectResponse:
    """匹配 by hand: a statement line to an expected movement."""
    actor = actor_of(request, user)

    def run() -> object:
        line = forms.required_text(line_id, field="line_id")
        body = ManualMatchIn(
            movement_id=forms.required_text(movement_id, field="movement_id"),
            note=note.strip() or None,
        )
        return finance.match_line(db, actor, line, body)

    return flash_after(PAGE, "matched", run)
