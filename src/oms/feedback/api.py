"""Feedback figures over HTTP."""

from __future__ import annotations

from fastapi import APIRouter

from oms.feedback import queries
from oms.feedback.schemas import FeedbackSummary
from oms.http.deps import CurrentPrincipal, Db, requires

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/refunds/feedback", tags=["refunds"])


@router.get("/summary", dependencies=[requires("refunds:read")])
def summary(principal: CurrentPrincipal, db: Db) -> FeedbackSummary:
    """Feedback per review group and per agent (the principal who approved)."""
    return queries.feedback_summary(db, principal.tenant_id)
