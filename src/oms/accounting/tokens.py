"""A connection's secrets: sealed at rest, opened only to send, refreshed when they expire.

The access token (or app secret) is sealed in ``token_sealed``; QuickBooks's OAuth client
secret and rotating refresh token together in ``refresh_sealed``; both with
``core.secrets`` under a context naming the tenant and sink, never logged or returned. A
QuickBooks access token lives an hour: a send refreshes it first when it expires within five
minutes, and once more when QuickBooks answers 401. The refreshed tokens are stored in a
transaction of their own, before the send goes on.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import structlog

from oms.accounting.models import AccountingConnection
from oms.accounting.sinks.base import SinkConnection
from oms.accounting.sinks.oauth import INTUIT_TOKEN_URL, refresh_tokens
from oms.core.secrets import secret_box
from oms.core.shapes import project
from oms.core.uow import Database

__all__ = [
    "EXPIRY_MARGIN",
    "is_expiring",
    "opened",
    "refresh_connection",
    "seal_refresh",
    "seal_token",
]

log = structlog.get_logger(__name__)

EXPIRY_MARGIN = timedelta(minutes=5)


def seal_token(token: str, *, tenant_id: str, sink: str) -> str:
    return secret_box().seal(token, context=f"accounting:{tenant_id}:{sink}:token")


def seal_refresh(refresh_token: str, client_secret: str, *, tenant_id: str, sink: str) -> str:
    both = json.dumps({"refresh_token": refresh_token, "client_secret": client_secret})
    return secret_box().seal(both, context=f"accounting:{tenant_id}:{sink}:refresh")


def opened(row: AccountingConnection) -> SinkConnection:
    """The connection with its secrets opened, for one send."""
    box = secret_box()
    token = box.open(row.token_sealed, context=f"accounting:{row.tenant_id}:{row.sink}:token")
    refresh: dict[str, str] = {}
    if row.refresh_sealed:
        context = f"accounting:{row.tenant_id}:{row.sink}:refresh"
        refresh = json.loads(box.open(row.refresh_sealed, context=context))
    return project(
        SinkConnection,
        row,
        token=token,
        settings=row.settings or {},
        refresh_token=refresh.get("refresh_token"),
        client_secret=refresh.get("client_secret"),
    )


def is_expiring(row: AccountingConnection, now: datetime) -> bool:
    """Whether the access token expires within the margin (and can be refreshed)."""
    return (
        row.refresh_sealed is not None
        and row.token_expires_at is not None
        and row.token_expires_at <= now + EXPIRY_MARGIN
    )


def refresh_connection(
    db: Database, tenant_id: str, connection: SinkConnection, sink: str, *, timeout: float
) -> SinkConnection | None:
    """Refresh the access token and store both new tokens; None when it cannot be refreshed.

    Raises: Rejected (the endpoint refused: a finance ticket), ERR_ACCOUNTING_UNAVAILABLE.
    """
    if not (connection.refresh_token and connection.client_secret):
        return None
    settings = connection.settings
    fresh = refresh_tokens(
        str(settings.get("token_url") or INTUIT_TOKEN_URL),
        client_id=str(settings.get("client_id", "")),
        client_secret=connection.client_secret,
        refresh_token=connection.refresh_token,
        timeout=timeout,
    )
    with db.uow() as uow:
        row = uow.session.get(AccountingConnection, (tenant_id, sink), with_for_update=True)
        if row is None:
            return None
        now = uow.clock.now()
        row.token_sealed = seal_token(fresh.access_token, tenant_id=tenant_id, sink=sink)
        row.refresh_sealed = seal_refresh(
            fresh.refresh_token, connection.client_secret, tenant_id=tenant_id, sink=sink
        )
        row.token_expires_at = now + timedelta(seconds=fresh.expires_in)
        row.updated_at = now
        uow.commit()
    log.info("accounting.token_refreshed", tenant_id=tenant_id, sink=sink)
    return SinkConnection(
        connection.company_id,
        connection.base_url,
        fresh.access_token,
        connection.item_ref,
        connection.account_ref,
        settings,
        refresh_token=fresh.refresh_token,
        client_secret=connection.client_secret,
    )
