"""Use cases of the accounting domain: connect a sink, take documents, send them once.

A confirmed payment (``payment.confirmed``) becomes a sales receipt and a paid-out refund
(``refund.succeeded``) a refund receipt, one per connected sink, recorded with an
``accounting.send`` job in one transaction; the send itself (a network call) runs in that job.
The document id is the system's idempotency key, so the job's retries and a person's resend
book the document once. A refusal moves the document to ``rejected`` with a finance ticket
that carries the system's message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select

from oms.accounting import tokens
from oms.accounting.errors import (
    AccountingUnavailable,
    DocumentNotFound,
    InvalidSettings,
    TokenRequired,
)
from oms.accounting.events import AccountingDocumentDue
from oms.accounting.models import AccountingConnection, AccountingDocument
from oms.accounting.queries import connection_out, document_out
from oms.accounting.schemas import ConnectionIn, ConnectionOut, DocumentOut
from oms.accounting.sinks.base import (
    AccountingSink,
    Booked,
    OutgoingDocument,
    Rejected,
    TokenExpired,
)
from oms.accounting.sinks.registry import sink_for
from oms.accounting.states import DOCUMENT_MACHINE, DocumentKind, DocumentStatus
from oms.core import audit, outbox
from oms.core.audit import Attempt, Outcome
from oms.core.context import Actor
from oms.core.errors import NotFound
from oms.core.ids import new_id
from oms.core.models import Tenant
from oms.core.repo import get_for_update
from oms.core.shapes import project
from oms.core.uow import Database, UnitOfWork
from oms.payments.events import PaymentConfirmed
from oms.refunds.events import RefundSucceeded
from oms.tickets.service import open_ticket
from oms.tickets.states import TicketKind

__all__ = [
    "connect_sink",
    "is_file_delivery",
    "move_document",
    "resend_document",
    "send_document",
    "take_payment",
    "take_refund",
]

log = structlog.get_logger(__name__)


def connect_sink(db: Database, *, tenant_id: str, given: ConnectionIn) -> ConnectionOut:
    """Set (or replace) the tenant's connection to a sink; the token is stored sealed.

    Raises: ERR_ACCOUNTING_UNKNOWN_SINK, ERR_ACCOUNTING_INVALID_COMPANY,
    ERR_ACCOUNTING_INVALID_SETTINGS, ERR_ACCOUNTING_TOKEN_REQUIRED, ERR_NOT_FOUND (no tenant).
    """
    sink = sink_for(given.sink)
    company_id = sink.check_company(given.company_id)
    settings = sink.check_settings(given.settings)
    refresh = _sealed_refresh(tenant_id, sink.name, given, settings)
    if not (given.token or "").strip() and not is_file_delivery(settings) and refresh is None:
        raise TokenRequired("give the access token or app secret", sink=given.sink)
    sealed = tokens.seal_token(given.token or "", tenant_id=tenant_id, sink=sink.name)
    with db.uow() as uow:
        if uow.session.get(Tenant, tenant_id) is None:
            raise NotFound("no such tenant", tenant_id=tenant_id)
        now = uow.clock.now()
        row = uow.session.get(AccountingConnection, (tenant_id, sink.name))
        if row is None:
            row = AccountingConnection(tenant_id=tenant_id, sink=sink.name, created_at=now)
            uow.session.add(row)
        row.company_id, row.base_url, row.token_sealed = company_id, given.base_url, sealed
        row.item_ref, row.account_ref, row.updated_at = given.item_ref, given.account_ref, now
        row.settings, row.refresh_sealed = settings, refresh
        # QuickBooks access tokens live an hour; one given without a token is expired already.
        lifetime = sink.token_lifetime
        if lifetime is not None and not (given.token or "").strip():
            lifetime = timedelta()
        row.token_expires_at = now + lifetime if lifetime is not None else None
        uow.commit()
        return connection_out(row)


def _sealed_refresh(
    tenant_id: str, sink: str, given: ConnectionIn, settings: Mapping[str, Any]
) -> str | None:
    if not (given.refresh_token or "").strip():
        return None
    if not (given.client_secret or "").strip() or not settings.get("client_id"):
        raise InvalidSettings(
            "a refresh token needs the OAuth client: --set client_id=… and the client secret",
            setting="client_id",
        )
    return tokens.seal_refresh(
        given.refresh_token or "", given.client_secret or "", tenant_id=tenant_id, sink=sink
    )


def take_payment(db: Database, event: PaymentConfirmed) -> list[str]:
    """Record the sales receipt of a confirmed payment for every connected sink, once."""
    facts = _Facts(
        DocumentKind.SALES_RECEIPT,
        event.payment_id,
        event.order_id,
        event.order_no,
        event.trade_no,
        event.amount,
        event.currency,
        event.paid_at,
    )
    return _take(db, event.tenant_id, facts)


def take_refund(db: Database, event: RefundSucceeded) -> list[str]:
    """Record the refund receipt of a paid-out refund for every connected sink, once.

    An orphan refund sends back money that never paid its order, so no sales receipt was
    booked for it and no refund receipt is either.
    """
    if event.scope == "orphan":
        return []
    facts = _Facts(
        DocumentKind.REFUND_RECEIPT,
        event.refund_id,
        event.order_id,
        event.order_no,
        event.trade_no,
        event.amount,
        event.currency,
        event.refunded_at,
    )
    return _take(db, event.tenant_id, facts)


@dataclass(frozen=True, slots=True)
class _Facts:
    """What a document is made of, whichever event it comes from."""

    kind: DocumentKind
    source_id: str
    order_id: str
    order_no: str
    reference: str | None
    amount: int
    currency: str
    occurred_at: datetime | None


def _take(db: Database, tenant_id: str, facts: _Facts) -> list[str]:
    with db.uow() as uow:
        sinks = list(
            uow.session.scalars(
                select(AccountingConnection.sink).where(AccountingConnection.tenant_id == tenant_id)
            )
        )
        taken = [
            _record(uow, tenant_id, sink, facts)
            for sink in sinks
            if not _exists(uow, tenant_id, sink, facts)
        ]
        uow.commit()
    return taken


def _exists(uow: UnitOfWork, tenant_id: str, sink: str, facts: _Facts) -> bool:
    found = uow.session.scalar(
        select(AccountingDocument.id).where(
            AccountingDocument.tenant_id == tenant_id,
            AccountingDocument.sink == sink,
            AccountingDocument.kind == facts.kind.value,
            AccountingDocument.source_id == facts.source_id,
        )
    )
    return found is not None


def _record(uow: UnitOfWork, tenant_id: str, sink: str, facts: _Facts) -> str:
    now = uow.clock.now()
    document_id = new_id()
    uow.session.add(
        AccountingDocument(
            tenant_id=tenant_id,
            id=document_id,
            sink=sink,
            kind=facts.kind.value,
            source_id=facts.source_id,
            order_id=facts.order_id,
            order_no=facts.order_no,
            reference=facts.reference,
            amount=facts.amount,
            currency=facts.currency,
            txn_date=_local_date(uow, tenant_id, facts.occurred_at or now),
            status=DocumentStatus.PENDING.value,
            attempts=0,
            created_at=now,
            updated_at=now,
        )
    )
    outbox.add(uow, AccountingDocumentDue(tenant_id=tenant_id, document_id=document_id), now=now)
    return document_id


def _local_date(uow: UnitOfWork, tenant_id: str, when: datetime) -> date:
    """The day in the tenant's time zone: the date the merchant's books file it under."""
    zone = uow.session.scalar(select(Tenant.timezone).where(Tenant.id == tenant_id))
    return when.astimezone(ZoneInfo(zone or "Asia/Shanghai")).date()


def send_document(
    db: Database, *, tenant_id: str, document_id: str, is_last_attempt: bool, timeout: float
) -> str:
    """Send one pending document to its sink; return the document's status.

    Raises (so the job retries): ERR_ACCOUNTING_UNAVAILABLE — except on the last attempt,
    which rejects the document with a ticket instead.
    """
    with db.reader() as session:
        row = session.get(AccountingDocument, (tenant_id, document_id))
        if row is None or row.status != DocumentStatus.PENDING:
            return row.status if row is not None else "missing"
        connection = session.get(AccountingConnection, (tenant_id, row.sink))
        document = project(OutgoingDocument, row, kind=DocumentKind(row.kind))
    if connection is None:
        return _settle(db, tenant_id, document_id, Rejected(f"no {row.sink} connection any more"))
    if is_file_delivery(connection.settings):
        return DocumentStatus.PENDING.value  # it waits for ``oms accounting export``
    sink = sink_for(connection.sink)
    try:
        outcome: Booked | Rejected = _send(db, sink, connection, document, timeout=timeout)
    except Rejected as refusal:
        outcome = refusal
    except AccountingUnavailable as error:
        if not is_last_attempt:
            raise
        outcome = Rejected(f"{error.message}; no answer after the last attempt")
    return _settle(db, tenant_id, document_id, outcome)


def is_file_delivery(settings: Mapping[str, Any] | None) -> bool:
    """Whether the connection's vouchers go out as import files, not over the API."""
    return (settings or {}).get("delivery") == "file"


def _send(
    db: Database,
    sink: AccountingSink,
    row: AccountingConnection,
    document: OutgoingDocument,
    *,
    timeout: float,
) -> Booked:
    """Send with a fresh token: refreshed first when expiring, and once more on a 401."""
    connection, now = tokens.opened(row), db.clock.now()
    if tokens.is_expiring(row, now):
        connection = (
            tokens.refresh_connection(db, row.tenant_id, connection, row.sink, timeout=timeout)
            or connection
        )
    try:
        return sink.send(connection, document, timeout=timeout, now=now)
    except TokenExpired:
        refreshed = tokens.refresh_connection(
            db, row.tenant_id, connection, row.sink, timeout=timeout
        )
        if refreshed is None:
            raise
        return sink.send(refreshed, document, timeout=timeout, now=now)


def _settle(db: Database, tenant_id: str, document_id: str, outcome: Booked | Rejected) -> str:
    with db.uow() as uow:
        row = get_for_update(uow, AccountingDocument, tenant_id, document_id)
        if row.status != DocumentStatus.PENDING:
            return row.status  # settled by another run of this job meanwhile
        now = uow.clock.now()
        row.attempts += 1
        if isinstance(outcome, Booked):
            row.external_id, row.last_error = outcome.external_id, None
            move_document(uow, row, DocumentStatus.SENT, reason=None, now=now)
        else:
            row.last_error = outcome.message[:4000]
            row.ticket_id = _ticket(uow, row, outcome, now=now)
            move_document(uow, row, DocumentStatus.REJECTED, reason=outcome.message, now=now)
        status = row.status
        uow.commit()
    log.info("accounting.settled", document_id=document_id, status=status)
    return status


def _ticket(uow: UnitOfWork, row: AccountingDocument, refusal: Rejected, *, now: datetime) -> str:
    what = "receipt" if row.kind == DocumentKind.SALES_RECEIPT else "refund"
    return open_ticket(
        uow,
        tenant_id=row.tenant_id,
        kind=TicketKind.ACCOUNTING_REJECTED,
        order_id=row.order_id,
        assignee_role="finance",
        title_code=f"accounting_{what}_rejected",
        title_params={"order_no": row.order_no, "sink": row.sink},
        details={
            "document_id": row.id,
            "sink": row.sink,
            "kind": row.kind,
            "amount": row.amount,
            "currency": row.currency,
            "message": refusal.message,
            "code": refusal.code,
            "detail": refusal.detail,
        },
        now=now,
    )


def move_document(
    uow: UnitOfWork,
    row: AccountingDocument,
    to: DocumentStatus,
    *,
    reason: str | None,
    now: datetime,
    actor: Actor | None = None,
) -> None:
    from_status = DOCUMENT_MACHINE.transition(row, to=to, now=now)
    attempt = Attempt(
        aggregate_type="accounting_document",
        aggregate_id=row.id,
        event="resend" if to == DocumentStatus.PENDING else f"send_{to.value}",
        outcome=Outcome.APPLIED,
        from_status=str(from_status),
        to_status=row.status,
        source=row.sink,
        reason=reason,
        details={"external_id": row.external_id} if row.external_id else {},
    )
    who = actor or Actor.system(row.tenant_id, "accounting")
    audit.record_attempt(uow.session, who, attempt, now=now)


def resend_document(db: Database, actor: Actor, *, document_id: str) -> DocumentOut:
    """Queue another send of a rejected (or still pending) document, under the same id.

    Raises: ERR_ACCOUNTING_DOCUMENT_NOT_FOUND, ERR_ACCOUNTING_INVALID_TRANSITION (sent).
    """
    missing = DocumentNotFound("no such accounting document", document_id=document_id)
    with db.uow() as uow:
        row = get_for_update(uow, AccountingDocument, actor.tenant_id, document_id, missing=missing)
        now = uow.clock.now()
        if row.status != DocumentStatus.PENDING:
            move_document(uow, row, DocumentStatus.PENDING, reason="resent", now=now, actor=actor)
        due = AccountingDocumentDue(tenant_id=actor.tenant_id, document_id=document_id)
        outbox.add(uow, due, now=now)
        uow.commit()
        return document_out(row)
