"""Reads of the accounting domain: a tenant's connection and its documents."""

from __future__ import annotations

from oms.accounting.errors import AccountingNotConnected, DocumentNotFound
from oms.accounting.models import AccountingConnection, AccountingDocument
from oms.accounting.schemas import ConnectionOut, DocumentOut
from oms.core.paging import Page, PageRequest, fetch_items
from oms.core.repo import scoped
from oms.core.shapes import project
from oms.core.uow import Database

__all__ = ["connection_out", "document_out", "document_page", "get_connection", "get_document"]


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
    page: PageRequest = PageRequest(),
) -> Page[DocumentOut]:
    """One page of the tenant's documents, newest first, optionally of one status."""
    stmt = scoped(AccountingDocument, tenant_id, status=status)
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
