"""Shapes of the accounting domain: a connection (never its token) and a document."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

__all__ = ["ConnectionIn", "ConnectionOut", "ConnectionState", "DocumentOut"]


class ConnectionIn(BaseModel):
    """What ``oms accounting connect`` sets; ``token`` is sealed before it is stored."""

    sink: str
    company_id: str | None
    token: str | None
    base_url: str
    item_ref: str
    account_ref: str | None = None
    settings: dict[str, str] = {}
    refresh_token: str | None = None  # QuickBooks: sealed with the client secret
    client_secret: str | None = None


class ConnectionOut(BaseModel):
    tenant_id: str
    sink: str
    company_id: str
    base_url: str
    item_ref: str
    account_ref: str | None
    settings: dict[str, Any]
    has_token: bool
    has_refresh_token: bool
    token_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ConnectionState(BaseModel):
    """What the console shows of a connection: ``state`` is configured, file, expiring,
    expired (no refresh token) or refreshes (expiring, oms refreshes it before the send)."""

    sink: str
    company_id: str
    state: str
    has_refresh_token: bool
    token_expires_at: datetime | None
    updated_at: datetime


class DocumentOut(BaseModel):
    id: str
    sink: str
    kind: str
    source_id: str
    order_id: str
    order_no: str
    reference: str | None
    amount: int
    currency: str
    txn_date: date
    status: str
    attempts: int
    external_id: str | None
    last_error: str | None
    ticket_id: str | None
    created_at: datetime
    sent_at: datetime | None
