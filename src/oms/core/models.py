"""Tables of the shared kernel: tenants, API keys, audit entries, outbox, idempotency keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from oms.core.db import Base, JSONType, TenantKeyed, UTCDateTime

__all__ = [
    "ApiKey",
    "AuditEntry",
    "IdempotencyRecord",
    "InboxMessage",
    "OutboxMessage",
    "Partner",
    "RateLimitCounter",
    "SweepLease",
    "Tenant",
]


class Partner(Base):
    """A SaaS integrator that provisions and acts for many tenants (see docs/partners.md).

    Cluster-wide, not tenant-owned. Like an API key, only the key's SHA-256 is stored.
    """

    __tablename__ = "partners"
    __table_args__ = (Index("ix_partners_key_hash", "key_hash", unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    hint: Mapped[str | None] = mapped_column(String(4), nullable=True)
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Tenant(Base):
    """A merchant: the root every other row hangs from.

    ``partner_id`` is the partner that provisioned it (None: created on the server), and
    ``partner_role`` the role that partner acts with on it through ``OMS-Tenant``.
    """

    __tablename__ = "tenants"
    __table_args__ = (
        ForeignKeyConstraint(["partner_id"], ["partners.id"]),
        Index("ix_tenants_partner", "partner_id", "created_at", "id"),
        # A partner's own reference for a tenant (or its Idempotency-Key): a retried
        # provisioning finds the tenant it made instead of making a second one.
        Index("ix_tenants_partner_ref", "partner_id", "external_ref", unique=True),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    payment_timeout_seconds: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # active or suspended (core.tenant_states): a suspended tenant's keys answer 403.
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    locale: Mapped[str] = mapped_column(String(16), default="zh-CN", server_default="zh-CN")
    partner_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    partner_role: Mapped[str | None] = mapped_column(String(32), nullable=True)
    external_ref: Mapped[str | None] = mapped_column(String(255), nullable=True)


class ApiKey(TenantKeyed, Base):
    """An API key; only its SHA-256 is stored, the key itself is shown once."""

    __tablename__ = "api_keys"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index("ix_api_keys_key_hash", "key_hash", unique=True),
    )

    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    prefix: Mapped[str] = mapped_column(String(16))
    # The key's last 4 characters, so a list can tell keys apart; never more of the key.
    hint: Mapped[str | None] = mapped_column(String(4), nullable=True)
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Refreshed at most once a minute per key (see core.auth), never a write per request.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AuditEntry(TenantKeyed, Base):
    """One attempt to change an aggregate, whatever its outcome. Append-only."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index(
            "ix_audit_entries_aggregate",
            "tenant_id",
            "aggregate_type",
            "aggregate_id",
            "recorded_at",
        ),
    )

    aggregate_type: Mapped[str] = mapped_column(String(32))
    aggregate_id: Mapped[str] = mapped_column(String(36))
    event: Mapped[str] = mapped_column(String(64))
    from_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    version_after: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str | None] = mapped_column(String(128), nullable=True)
    actor: Mapped[str | None] = mapped_column(String(128), nullable=True)
    client_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(512), nullable=True)
    body_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    trace_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxMessage(TenantKeyed, Base):
    """A message written with the change that caused it; also the job queue.

    ``status`` is the job runner's; ``relayed_at`` is the event relay's own (``oms relay``):
    when it passed the row, publishing it if it is a domain event. The partial index holds
    only the rows the relay has yet to pass, so its scan stays short.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index("ix_outbox_messages_due", "status", "available_at"),
        # Fair claims (core.claims) probe and read each tenant's due messages in order.
        Index("ix_outbox_messages_tenant_due", "tenant_id", "status", "available_at"),
        Index(
            "ix_outbox_messages_unrelayed",
            "id",
            postgresql_where=text("relayed_at IS NULL"),
            sqlite_where=text("relayed_at IS NULL"),
        ),
    )

    topic: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    locked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    traceparent: Mapped[str | None] = mapped_column(String(55), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class IdempotencyRecord(Base):
    """The answer given to a POST carrying an ``Idempotency-Key``, replayed on a retry.

    A key belongs to one caller (``principal``: ``apikey:<id>`` or ``user:<id>``), never to
    the whole tenant. The body is sealed with ``OMS_SECRET_KEY`` (it may carry a new API key
    or webhook secret); ``permissions`` are those the first run was checked against, checked
    again before any replay.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index("ix_idempotency_keys_expires_at", "expires_at"),
    )

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    principal: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JSONType, nullable=True)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    permissions: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InboxMessage(Base):
    """An inbound message stored raw before anything is decided about it. Append-only.

    No foreign key to tenants: deliveries for unknown tenants are recorded too.
    """

    __tablename__ = "inbox_messages"
    __table_args__ = (
        Index("uq_inbox_messages_message", "tenant_id", "source", "message_id", unique=True),
        Index("ix_inbox_messages_received", "tenant_id", "source", "received_at"),
    )

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str | None] = mapped_column(String(100), nullable=True)
    headers: Mapped[dict[str, str]] = mapped_column(JSONType)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    verification: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType)
    deliveries: Mapped[int] = mapped_column(Integer)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SweepLease(Base):
    """Which worker may run a periodic sweep, and when it last ran: one row per sweep.

    Cluster-wide, not tenant-owned: a sweep covers every tenant, and this row is what makes it
    run once per interval however many workers poll for it.
    """

    __tablename__ = "sweep_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(64), nullable=True)
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    runs: Mapped[int] = mapped_column(Integer, default=0)


class RateLimitCounter(Base):
    """One ``limits`` fixed-window counter kept in the database (``core.rate_limits``), so
    that every process counts the same hits. Cluster-wide: the key names its tenant."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
