"""Life of an accounting document: the one place its status changes.

pending → sent when the system books it; pending → rejected when the system refuses it (a
ticket for finance carries its message); rejected → pending when a person resends it after a
fix. Sent is final: a resend of a sent document is refused, and the system's own idempotency
(the document id as ``requestid``) makes a repeated send of a pending one book nothing twice.
"""

from __future__ import annotations

from enum import StrEnum

from oms.core.errors import Conflict
from oms.core.states import Machine, refusal

__all__ = ["DOCUMENT_MACHINE", "DOCUMENT_TRANSITIONS", "DocumentKind", "DocumentStatus"]


class DocumentStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    REJECTED = "rejected"


class DocumentKind(StrEnum):
    SALES_RECEIPT = "sales_receipt"  # a confirmed payment
    REFUND_RECEIPT = "refund_receipt"  # a refund the gateway paid out


S = DocumentStatus

DOCUMENT_TRANSITIONS: dict[DocumentStatus, frozenset[DocumentStatus]] = {
    S.PENDING: frozenset({S.SENT, S.REJECTED}),
    S.SENT: frozenset(),
    S.REJECTED: frozenset({S.PENDING}),
}


class InvalidDocumentTransition(Conflict):
    code = "ERR_ACCOUNTING_INVALID_TRANSITION"
    title = "The accounting document cannot make this move"


DOCUMENT_MACHINE: Machine[DocumentStatus] = Machine(
    name="accounting document",
    status=DocumentStatus,
    table=DOCUMENT_TRANSITIONS,
    error=refusal(InvalidDocumentTransition, facts=("current",)),
    stamps={S.SENT: ("sent_at",)},
)
