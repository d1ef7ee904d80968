"""The job that sends one accounting document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from oms.core.outbox import Event

__all__ = ["AccountingDocumentDue"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountingDocumentDue(Event):
    """Send one document to its accounting system, outside any transaction."""

    topic: ClassVar[str] = "accounting.send"
    document_id: str
