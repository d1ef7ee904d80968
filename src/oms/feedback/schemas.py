"""What the feedback domain takes in and gives out."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel

__all__ = ["FeedbackSubject", "FeedbackSummary", "FeedbackTally", "PageState", "PageView"]


@dataclass(frozen=True, slots=True)
class FeedbackSubject:
    """A refund that has just completed, as the refunds domain describes it."""

    tenant_id: str
    refund_id: str
    order_id: str
    order_no: str
    review_group: str
    agent: str | None


class PageState(StrEnum):
    OPEN = "open"
    RECORDED = "recorded"
    ALREADY_RECORDED = "already_recorded"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class PageView:
    """What the feedback page shows; ``error_code`` is set for invalid or repeated answers."""

    state: PageState
    order_no: str | None = None
    error_code: str | None = None


class FeedbackTally(BaseModel):
    """Answers of one review group or agent; rates are None until someone answers."""

    key: str
    requested: int
    answered: int
    handled_promptly: int
    arrived_fast: int
    handled_promptly_rate: float | None
    arrived_fast_rate: float | None


class FeedbackSummary(BaseModel):
    by_group: list[FeedbackTally]
    by_agent: list[FeedbackTally]
