"""Events of the finance domain: the statement pull job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from oms.core.outbox import Event

__all__ = ["StatementPullDue"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementPullDue(Event):
    """Fetch one source's statement of one day (``bill_date`` is written ``YYYY-MM-DD``)."""

    topic: ClassVar[str] = "finance.pull"
    source_id: str
    bill_date: date
