"""Console refunds: the review queue with approve / reject, and the SLA board (时效看板).

A decision the refunds service refuses (not in the review group, already decided, gone) comes
back to the queue as a flash message rather than an error page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from oms.console import forms
from oms.console.deps import Db, actor_of, flash_after
from oms.console.render import render
from oms.console.session import permitted, posting_permitted
from oms.refunds import queries as refund_queries
from oms.refunds import service as refunds
from oms.refunds import sla
from oms.refunds.schemas import DecisionIn
from oms.users.schemas import SessionUser

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)
RefundsReader = Annotated[SessionUser, Depends(permitted("refunds:read"))]
RefundsBoard = Annotated[SessionUser, Depends(permitted("refunds:review"))]
RefundsReviewer = Annotated[SessionUser, Depends(posting_permitted("refunds:review"))]
QUEUE = "/console/refunds"


@router.get("/refunds", response_class=HTMLResponse)
def refunds_queue(
    request: Request,
    db: Db,
    user: RefundsReader,
    done: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    """Requested refunds of the groups this user may decide, oldest first."""
    queue = refund_queries.review_queue(
        db, user.tenant_id, principal=f"user:{user.user_id}", all_groups=user.role == "admin"
    )
    return render(
        request,
        "refunds.html",
        user=user,
        active="refunds",
        queue=queue,
        now=db.clock.now(),
        csrf_token=user.csrf_token,
        done=done,
        error_code=error,
    )


@router.post("/refunds/{refund_id}/approve")
def approve_refund(
    request: Request,
    db: Db,
    user: RefundsReviewer,
    refund_id: str,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> RedirectResponse:
    """同意退款: approve and queue the gateway refund."""
    decision = DecisionIn(note=note.strip() or None)
    actor = actor_of(request, user)
    return flash_after(
        QUEUE, "approved", lambda: refunds.approve_refund(db, actor, refund_id, decision)
    )


@router.post("/refunds/{refund_id}/reject")
def reject_refund(
    request: Request,
    db: Db,
    user: RefundsReviewer,
    refund_id: str,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> RedirectResponse:
    """拒绝退款: reject, with a note saying why (required)."""
    actor = actor_of(request, user)

    def decide() -> object:
        decision = DecisionIn(note=forms.required_text(note, field="note"))
        return refunds.reject_refund(db, actor, refund_id, decision)

    return flash_after(QUEUE, "rejected", decide)


@router.get("/refunds/sla", response_class=HTMLResponse)
def sla_board(request: Request, db: Db, user: RefundsBoard) -> HTMLResponse:
    """Open refunds by age colour, with the compensation incurred and at risk."""
    board = sla.sla_board(db, user.tenant_id)
    return render(request, "refunds_sla.html", user=user, active="refunds_sla", board=board)
