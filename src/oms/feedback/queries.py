"""Reading feedback: the page a link opens, and the summary per group and agent."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select

from oms.core.uow import Database
from oms.feedback.errors import FeedbackAlreadyRecorded, FeedbackLinkInvalid
from oms.feedback.models import FeedbackRequest
from oms.feedback.schemas import FeedbackSummary, FeedbackTally, PageState, PageView
from oms.feedback.tokens import read_token

__all__ = ["feedback_page", "feedback_summary"]

_NO_AGENT = "(none)"


def feedback_page(db: Database, token: str) -> PageView:
    """What a feedback link shows: the question, or why it cannot be answered."""
    claims = read_token(token, now=db.clock.now())
    if claims is None:
        return PageView(PageState.INVALID, error_code=FeedbackLinkInvalid.code)
    with db.reader() as session:
        row = session.get(FeedbackRequest, (claims.tenant_id, claims.refund_id))
    if row is None:
        return PageView(PageState.INVALID, error_code=FeedbackLinkInvalid.code)
    if row.answered_at is not None:
        return PageView(PageState.ALREADY_RECORDED, row.order_no, FeedbackAlreadyRecorded.code)
    return PageView(PageState.OPEN, row.order_no)


def feedback_summary(db: Database, tenant_id: str) -> FeedbackSummary:
    """Requests, answers and "yes" counts per review group and per agent (the approver)."""
    with db.reader() as session:
        by_group = _tally(session, tenant_id, FeedbackRequest.review_group)
        by_agent = _tally(session, tenant_id, func.coalesce(FeedbackRequest.agent, _NO_AGENT))
    return FeedbackSummary(by_group=by_group, by_agent=by_agent)


def _tally(session: Any, tenant_id: str, key: Any) -> list[FeedbackTally]:
    def yes(column: Any) -> Any:
        return func.sum(case((column.is_(True), 1), else_=0))

    stmt = (
        select(
            key.label("key"),
            func.count().label("requested"),
            func.count(FeedbackRequest.answered_at).label("answered"),
            yes(FeedbackRequest.is_handled_promptly).label("prompt"),
            yes(FeedbackRequest.is_arrived_fast).label("fast"),
        )
        .where(FeedbackRequest.tenant_id == tenant_id)
        .group_by(key)
        .order_by(key)
    )
    return [_row(r) for r in session.execute(stmt)]


def _row(r: Any) -> FeedbackTally:
    answered = int(r.answered)
    return FeedbackTally(
        key=r.key,
        requested=int(r.requested),
        answered=answered,
        handled_promptly=int(r.prompt or 0),
        arrived_fast=int(r.fast or 0),
        handled_promptly_rate=round(int(r.prompt or 0) / answered, 4) if answered else None,
        arrived_fast_rate=round(int(r.fast or 0) / answered, 4) if answered else None,
    )
