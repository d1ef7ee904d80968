"""Reads of the accounting domain: a tenant's connection and its documents."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from oms.accounting.errors import AccountingNotConnected, DocumentNotFound
from oms.accounting.models import AccountingConnection, AccountingDocument
from oms.accounting.schemas import ConnectionOut, ConnectionState, DocumentOut
from oms.core.paging import Page, PageRequest, fetch_items
from oms.core.repo import scoped
from oms.core.shapes import project
from oms.core.uow import Database

__all__ = [
    "connection_out",
    "connection_states",
    "document_out",
    "document_page",
    "get_connection",
    "get_document",
]

EXPIRING = timedelta(minutes=10)


def get_connection(db: Database, tenant_id: str, sink: str) -> ConnectionOut:
    """The tenant's connection to ``sink``, without its token.

    Raises: ERR_ACCOUNTING_NOT_CONNECTED.
    """
    with db.reader() as session:
        row = session.get(AccountingConnection, (tenant_id, sink))
        if row is None:
            raise AccountingNotConnected(f"no {sink} connection", sink=sink)
        return connection_out(row)


def document_page(
    db: Database,
    *,
    tenant_id: str,
    status: str | None = None,
    sink: str | None = None,
    page: PageRequest = PageRequest(),
) -> Page[DocumentOut]:
    """One page of the tenant's documents, newest first, optionally of one status or sink."""
    stmt = scoped(AccountingDocument, tenant_id, status=status, sink=sink)
    keys = (AccountingDocument.created_at, AccountingDocument.id)
    with db.list_reader() as session:
        return fetch_items(
            session, stmt, keys, page, document_out, scope="accounting", descending=True
        )


def get_document(db: Database, tenant_id: str, document_id: str) -> DocumentOut:
    """One document. Raises: ERR_ACCOUNTING_DOCUMENT_NOT_FOUND."""
    with db.reader() as session:
        row = session.get(AccountingDocument, (tenant_id, document_id))
        if row is None:
            raise DocumentNotFound("no such accounting document", document_id=document_id)
        return document_out(row)


def connection_states(db: Database, tenant_id: str) -> list[ConnectionState]:
    """Every sink the tenant connected, whether it is usable and whether its token expires."""
    with db.reader() as session:
        rows = session.scalars(
            select(AccountingConnection)
            .where(AccountingConnection.tenant_id == tenant_id)
            .order_by(AccountingConnection.sink)
        ).all()
        now = db.clock.now()
        return [_status(row, now) for row in rows]


def _status(row: AccountingConnection, now: datetime) -> ConnectionState:
    settings = row.settings or {}
    expires = row.token_expires_at
    if settings.get("delivery") == "file":
        state = "file"
    elif expires is not None and expires <= now:
        state = "expired" if not row.refresh_sealed else "refreshes"
    elif expires is not None and expires <= now + EXPIRING:
        state = "expiring" if not row.refresh_sealed else "refreshes"
    else:
        state = "configured"
    return ConnectionState(
        sink=row.sink,
        company_id=row.company_id,
        state=state,
        has_refresh_token=bool(row.refresh_sealed),
        token_expires_at=expires,
        updated_at=row.updated_at,
    )


def connection_out(row: AccountingConnection) -> ConnectionOut:
    return project(
        ConnectionOut,
        row,
        has_token=bool(row.token_sealed),
        has_refresh_token=bool(row.refresh_sealed),
        settings=row.settings or {},
    )


def document_out(row: AccountingDocument) -> DocumentOut:
    return project(DocumentOut, row)
