"""Per-tenant read-only PostgreSQL roles for BI tools (Tableau, Power BI, Metabase).

``grant_role`` creates ``oms_bi_<tenant id without dashes>`` (or gives it a new password),
able to log in, read the ``bi`` schema's views and nothing else: SELECT only on the base-table
columns those views use (read from ``information_schema.view_column_usage``, so the views in
the migration are the one list), every transaction read-only, at most a few connections. Row-level
security (migration ``0029_bi_views``) limits it to its tenant. The password is printed once
and reaches PostgreSQL only as a SCRAM-SHA-256 verifier computed here, so it is in no statement
the server could log. The grant is on the audit log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Any

from sqlalchemy import Connection, text

from oms.core.audit import Attempt, Outcome, record_attempt
from oms.core.auth import get_tenant
from oms.core.context import Actor
from oms.core.db import is_postgres
from oms.core.uow import Database
from oms.intelligence.exports.errors import BiRolesUnsupported

__all__ = ["grant_role", "revoke_role", "role_name", "scram_verifier"]

_CONNECTION_LIMIT = 5
_SCRAM_ITERATIONS = 4096
_HEX_ID = re.compile(r"[0-9a-f]{32}")


def role_name(tenant_id: str) -> str:
    """The role of the tenant: ``oms_bi_`` and its id's 32 hex digits (what the policy reads)."""
    digits = tenant_id.replace("-", "").lower()
    if not _HEX_ID.fullmatch(digits) or len(tenant_id) != 36:
        raise BiRolesUnsupported("a BI role needs a UUID-shaped tenant id", tenant_id=tenant_id)
    return f"oms_bi_{digits}"


def scram_verifier(password: str, *, salt: bytes | None = None) -> str:
    """PostgreSQL's stored form of ``password`` (RFC 5802 / 7677 SCRAM-SHA-256)."""
    salt = salt or secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _SCRAM_ITERATIONS)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${_SCRAM_ITERATIONS}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def grant_role(db: Database, tenant_id: str, *, actor: str) -> dict[str, Any]:
    """Create or re-key the tenant's role; its name, a new password (shown once) and grants.

    Raises: ERR_NOT_FOUND (the tenant), ERR_BI_ROLES_UNSUPPORTED (not PostgreSQL).
    """
    _require_postgres(db)
    get_tenant(db, tenant_id)
    name = role_name(tenant_id)
    password = secrets.token_urlsafe(24)
    with db.uow() as uow:
        conn = uow.session.connection()
        existed = _role_exists(conn, name)
        verb = "ALTER" if existed else "CREATE"
        # DDL takes no bind parameters; the name is ours (hex) and the verifier is base64.
        conn.exec_driver_sql(
            f"{verb} ROLE {name} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT "
            f"NOREPLICATION CONNECTION LIMIT {_CONNECTION_LIMIT} "
            f"PASSWORD '{scram_verifier(password)}'"
        )
        conn.exec_driver_sql(f"ALTER ROLE {name} SET default_transaction_read_only = on")
        columns = _grant_reads(conn, name)
        _audit(
            uow.session,
            tenant_id,
            actor,
            "bi.role_rekeyed" if existed else "bi.role_granted",
            now=uow.clock.now(),
        )
        uow.commit()
    database = db.engine.url.database
    return {
        "tenant_id": tenant_id,
        "role": name,
        "password": password,
        "database": database,
        "schema": "bi",
        "views": sorted({view for view, _table, _column in columns}),
    }


def revoke_role(db: Database, tenant_id: str, *, actor: str = "cli") -> dict[str, Any]:
    """Drop the tenant's role (its sessions end at their next statement's permission check)."""
    _require_postgres(db)
    name = role_name(tenant_id)
    with db.uow() as uow:
        conn = uow.session.connection()
        dropped = _role_exists(conn, name)
        if dropped:
            conn.exec_driver_sql(f"REVOKE ALL ON ALL TABLES IN SCHEMA bi FROM {name}")
            conn.exec_driver_sql(f"REVOKE USAGE ON SCHEMA bi FROM {name}")
            for table, column_list in _base_columns(conn).items():
                # Quoted catalogue names and our own role name, not input.
                revoke = f"REVOKE SELECT ({column_list}) ON public.{table} FROM {name}"  # noqa: S608
                conn.exec_driver_sql(revoke)
            conn.exec_driver_sql(f"DROP ROLE {name}")
            _audit(uow.session, tenant_id, actor, "bi.role_revoked", now=uow.clock.now())
        uow.commit()
    return {"tenant_id": tenant_id, "role": name, "dropped": dropped}


def _require_postgres(db: Database) -> None:
    if not is_postgres(db.engine):
        raise BiRolesUnsupported()


def _role_exists(conn: Connection, name: str) -> bool:
    found = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :name"), {"name": name})
    return found.first() is not None


def _view_columns(conn: Connection) -> list[tuple[str, str, str]]:
    rows = conn.execute(
        text(
            "SELECT view_name, table_name, column_name FROM information_schema.view_column_usage"
            " WHERE view_schema = 'bi' AND table_schema = 'public' ORDER BY 1, 2, 3"
        )
    )
    return [(str(view), str(table), str(column)) for view, table, column in rows]


def _base_columns(conn: Connection) -> dict[str, str]:
    """Per base table (quoted), the quoted list of the columns the ``bi`` views read."""
    quote = conn.dialect.identifier_preparer.quote
    by_table: dict[str, list[str]] = {}
    for _view, table, column in _view_columns(conn):
        columns = by_table.setdefault(quote(table), [])
        if quote(column) not in columns:
            columns.append(quote(column))
    return {table: ", ".join(columns) for table, columns in by_table.items()}


def _grant_reads(conn: Connection, name: str) -> list[tuple[str, str, str]]:
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA bi TO {name}")
    conn.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA bi TO {name}")
    # security_invoker views read the base tables as the caller: only the columns they use.
    for table, column_list in _base_columns(conn).items():
        grant = f"GRANT SELECT ({column_list}) ON public.{table} TO {name}"
        conn.exec_driver_sql(grant)
    return _view_columns(conn)


def _audit(session: Any, tenant_id: str, actor: str, event: str, *, now: Any) -> None:
    record_attempt(
        session,
        Actor(tenant_id=tenant_id, principal=actor, role="admin"),
        Attempt(
            aggregate_type="bi_role", aggregate_id=tenant_id, event=event, outcome=Outcome.APPLIED
        ),
        now=now,
    )
