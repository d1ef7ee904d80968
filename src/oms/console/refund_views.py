"""Console refunds: the review queue with approve / reject, and the SLA board (时效看板).

A decision the refunds service refuses (not in the review group, already decided, gone) comes
back to the queue as a flash message rather than an error page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from oms.console import forms, refund_desk
from oms.console.deps import Db, Flashed, actor_of, flash_after
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
BOARD = "/console/refunds/sla"


class DecisionForm(BaseModel):
    """The form of both decisions: the reviewer's note, and the page it was made on."""

    note: str = Field(default="", max_length=2000)
    back: str = Field(default="", max_length=64)

    @property
    def answer_at(self) -> str:
        """Where a decision's answer is shown: the queue, or the SLA board it was made on."""
        return BOARD if self.back == BOARD else QUEUE


Decision = Annotated[DecisionForm, Form()]


@router.get("/refunds", response_class=HTMLResponse)
def refunds_queue(request: Request, db: Db, user: RefundsReader, notice: Flashed) -> HTMLResponse:
    """Requested refunds of the groups this user may decide, oldest first."""
    queue = refund_queries.review_queue(
        db, user.tenant_id, principal=f"user:{user.user_id}", all_groups=user.role == "admin"
    )
    help = None if queue else refund_desk.queue_help(db, user)
    return render(
        request,
        "refunds.html",
        user=user,
        active="refunds",
        notice=notice,
        queue=queue,
        help=help,
        now=db.clock.now(),
    )


@router.post("/refunds/{refund_id}/approve")
def approve_refund(
    request: Request, db: Db, user: RefundsReviewer, refund_id: str, form: Decision
) -> RedirectResponse:
    """同意退款: approve and queue the gateway refund."""
    decision = DecisionIn(note=form.note.strip() or None)
    actor = actor_of(request, user)
    return flash_after(
        form.answer_at, "approved", lambda: refunds.approve_refund(db, actor, refund_id, decision)
    )


@router.post("/refunds/{refund_id}/reject")
def reject_refund(
    request: Request, db: Db, user: RefundsReviewer, refund_id: str, form: Decision
) -> RedirectResponse:
    """拒绝退款: reject, with a note saying why (required)."""
    actor = actor_of(request, user)

    def decide() -> object:
        decision = DecisionIn(note=forms.required_text(form.note, field="note"))
        return refunds.reject_refund(db, actor, refund_id, decision)

    return flash_after(form.answer_at, "rejected", decide)


@router.get("/refunds/sla", response_class=HTMLResponse)
def sla_board(request: Request, db: Db, user: RefundsBoard, notice: Flashed) -> HTMLResponse:
    """Open refunds by age colour, with the compensation incurred and at risk; requested ones
    can be decided from their row."""
    board = sla.sla_board(db, user.tenant_id)
    return render(
        request, "refunds_sla.html", user=user, active="refunds_sla", notice=notice, board=board
    )
