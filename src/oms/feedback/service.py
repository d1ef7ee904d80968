"""Feedback use cases: ask when a refund completes, record the customer's answer once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from oms.core import outbox
from oms.core.uow import Database, UnitOfWork
from oms.feedback import events
from oms.feedback.errors import FeedbackAlreadyRecorded, FeedbackLinkInvalid
from oms.feedback.models import FeedbackRequest
from oms.feedback.schemas import FeedbackSubject, PageState, PageView
from oms.feedback.tokens import Claims, make_token, read_token

__all__ = ["LINK_DAYS", "answer_feedback", "link_path", "request_feedback"]

LINK_DAYS = 30


def link_path(token: str) -> str:
    """The page's path; a notifier prefixes the public base URL."""
    return f"/feedback/{token}"


def request_feedback(uow: UnitOfWork, subject: FeedbackSubject) -> str | None:
    """Create the feedback request and queue ``refund.feedback_requested`` with its link.

    An operation (the caller commits). Returns the link path; None when already requested.
    """
    session = uow.session
    if session.get(FeedbackRequest, (subject.tenant_id, subject.refund_id)) is not None:
        return None
    now = uow.clock.now()
    expires_at = now + timedelta(days=LINK_DAYS)
    session.add(
        FeedbackRequest(
            tenant_id=subject.tenant_id,
            refund_id=subject.refund_id,
            order_no=subject.order_no,
            review_group=subject.review_group,
            agent=subject.agent,
            expires_at=expires_at,
            created_at=now,
        )
    )
    path = link_path(make_token(Claims(subject.tenant_id, subject.refund_id, expires_at)))
    requested = events.FeedbackRequested(
        tenant_id=subject.tenant_id,
        refund_id=subject.refund_id,
        order_id=subject.order_id,
        order_no=subject.order_no,
        url=path,
        expires_at=expires_at.isoformat(),
    )
    outbox.add(uow, requested, now=now)
    return path


def answer_feedback(
    db: Database, token: str, *, is_handled_promptly: bool, is_arrived_fast: bool
) -> PageView:
    """Record the answer of a feedback link, once; a second answer changes nothing.

    Reports (on the page, not raised): ERR_FEEDBACK_LINK_INVALID, ERR_FEEDBACK_ALREADY_RECORDED.
    """
    with db.uow() as uow:
        claims = read_token(token, now=uow.clock.now())
        if claims is None:
            return PageView(PageState.INVALID, error_code=FeedbackLinkInvalid.code)
        row = uow.session.get(FeedbackRequest, (claims.tenant_id, claims.refund_id))
        if row is None:
            return PageView(PageState.INVALID, error_code=FeedbackLinkInvalid.code)
        recorded = uow.session.execute(
            update(FeedbackRequest)
            .where(
                FeedbackRequest.tenant_id == claims.tenant_id,
                FeedbackRequest.refund_id == claims.refund_id,
                FeedbackRequest.answered_at.is_(None),
            )
            .values(
                answered_at=uow.clock.now(),
                is_handled_promptly=is_handled_promptly,
                is_arrived_fast=is_arrived_fast,
            )
            .execution_options(synchronize_session=False)
        )
        uow.commit()
    if recorded.rowcount == 0:  # type: ignore[attr-defined]
        return PageView(PageState.ALREADY_RECORDED, row.order_no, FeedbackAlreadyRecorded.code)
    return PageView(PageState.RECORDED, row.order_no)
