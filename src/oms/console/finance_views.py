"""Console finance: statement import (银行流水), the matching review queue (待人工核对) with
confirm / reject, and the manual match of a line to an expected movement."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse

from oms.console import finance_desk, forms
from oms.console.deps import (
    Db,
    Flash,
    Flashed,
    FormId,
    Notice,
    actor_of,
    flash_after,
    see_other,
)
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
IMPORT_COUNTS = ("lines", "auto", "review", "unmatched")


@router.get("/finance", response_class=HTMLResponse)
def finance_page(
    request: Request,
    db: Db,
    user: FinanceReader,
    notice: Flashed,
    confirm: Annotated[str | None, Query(max_length=36)] = None,
    line: Annotated[str | None, Query(max_length=36)] = None,
    find: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    """The review queue, confirmed matches, and the open lines and movements a person may match
    by hand; ``confirm`` shows a match's warning step, ``line`` and ``find`` the picker."""
    page = finance_desk.finance_page(db, user, confirm=confirm, line=line, find=find)
    counts = {k: request.query_params[k] for k in IMPORT_COUNTS if k in request.query_params}
    warnings = finance_desk.warnings_of(page.warning, page.settings) if page.warning else []
    # An unknown match or line (or another tenant's) is a 404 that says which, not a page that
    # silently leaves the warning or the picker out.
    unknown = finance_desk.missing(page, confirm=confirm, line=line)
    if unknown:
        notice = Notice(error=unknown)
    return render(
        request,
        "finance.html",
        user=user,
        active="finance",
        notice=notice,
        page=page,
        review=page.review,
        lines=page.lines,
        movements=page.movements,
        warnings=warnings,
        counts=counts,
        status_code=404 if unknown else 200,
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

    def run() -> Flash:
        result = finance.import_statement(db, actor, data=data, fmt=format, filename=name)
        if result.is_duplicate_file:
            return Flash("duplicate")
        return Flash("imported", finance_desk.import_counts(result))

    return flash_after(PAGE, "imported", run)


@router.post("/finance/matches/{match_id}/confirm")
def confirm_match(
    request: Request,
    db: Db,
    user: FinanceWriter,
    match_id: str,
    acknowledged: Annotated[str, Form(max_length=4)] = "",
) -> RedirectResponse:
    """Confirm a proposal (with the rest of its split or merged group). A low score or an
    amount difference first shows the warning step, unless the form says it was seen."""
    item = finance_queries.review_item(db, user.tenant_id, match_id)
    settings = finance_queries.get_settings(db, user.tenant_id)
    if not finance_desk.check_acknowledged(item, settings, acknowledged):
        return see_other(f"{PAGE}?{urlencode({'confirm': match_id})}#confirm-warning")
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
    line_id: FormId,
    movement_id: FormId,
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
