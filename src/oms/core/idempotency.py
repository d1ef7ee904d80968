"""Idempotency keys: a retried POST gets the first answer again, with no second effect.

A key belongs to one caller, the principal (``apikey:<id>``, ``user:<id>``) within its tenant:
another caller sending the same key and body runs its own request and is checked on its own
permissions, it never receives someone else's answer. The first request claims the key
(``in_progress``, with a lease), runs, and stores its answer; a retry with the same fingerprint
replays that answer, a different body is refused, and a retry while the first is still running
is told so. A server error releases the key, because nothing was committed and the client
should be able to retry. If a process dies mid-request, the lease runs out and the key can be
claimed again.

Stored answers may carry a secret shown once (a new API key, a webhook signing secret), so
every stored body is sealed with ``OMS_SECRET_KEY`` (AES-GCM, bound to tenant, principal and
key) and opened only to be replayed to the same caller. The permissions the first run was
checked against are kept with it; the caller must still hold them for a replay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from oms.core.errors import IdempotencyInProgress, IdempotencyKeyReused
from oms.core.models import IdempotencyRecord
from oms.core.secrets import SecretBox
from oms.core.uow import Database

__all__ = [
    "Claimed",
    "IdempotencyScope",
    "StoredResponse",
    "claim_key",
    "release_key",
    "store_response",
]

_IN_PROGRESS = "in_progress"
_COMPLETED = "completed"


@dataclass(frozen=True, slots=True)
class IdempotencyScope:
    """Whose key this is: a key is unique per tenant and principal, never per tenant alone."""

    tenant_id: str
    principal: str
    key: str

    @property
    def seal_context(self) -> str:
        # A sealed answer copied to another caller's row does not open.
        return f"idempotency:{self.tenant_id}:{self.principal}:{self.key}"


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    # The permissions the first run was checked against (see core.auth.checking_permissions).
    permissions: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Claimed:
    """The key is ours: run the request, then store or release."""


def claim_key(
    db: Database,
    box: SecretBox,
    scope: IdempotencyScope,
    *,
    fingerprint: str,
    ttl: timedelta,
    lease: timedelta,
) -> Claimed | StoredResponse:
    """Claim the scoped key for this request, or return the answer stored for it.

    Raises: ERR_IDEMPOTENCY_KEY_REUSED, ERR_IDEMPOTENCY_IN_PROGRESS, ERR_SECRET_UNREADABLE.
    """
    try:
        return _claim_once(db, box, scope, fingerprint, ttl, lease)
    except IntegrityError:
        # Another request inserted the same key between our read and our insert.
        raise IdempotencyInProgress(key=scope.key) from None


def _where(scope: IdempotencyScope) -> tuple[object, ...]:
    return (
        IdempotencyRecord.tenant_id == scope.tenant_id,
        IdempotencyRecord.principal == scope.principal,
        IdempotencyRecord.key == scope.key,
    )


def _claim_once(
    db: Database,
    box: SecretBox,
    scope: IdempotencyScope,
    fingerprint: str,
    ttl: timedelta,
    lease: timedelta,
) -> Claimed | StoredResponse:
    with db.uow() as uow:
        now = uow.clock.now()
        stmt = select(IdempotencyRecord).where(*_where(scope))  # type: ignore[arg-type]
        if uow.is_postgres:
            stmt = stmt.with_for_update()
        record = uow.session.scalars(stmt).first()
        if record is not None and record.expires_at <= now:
            uow.session.delete(record)
            uow.session.flush()
            record = None
        if record is None:
            uow.session.add(
                IdempotencyRecord(
                    tenant_id=scope.tenant_id,
                    principal=scope.principal,
                    key=scope.key,
                    fingerprint=fingerprint,
                    state=_IN_PROGRESS,
                    locked_until=now + lease,
                    created_at=now,
                    expires_at=now + ttl,
                )
            )
            uow.commit()
            return Claimed()
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused(key=scope.key)
        if record.state == _COMPLETED:
            assert record.response_status is not None
            body = record.response_body
            return StoredResponse(
                record.response_status,
                dict(record.response_headers or {}),
                box.open_bytes(body, context=scope.seal_context) if body else b"",
                tuple(record.permissions or ()),
            )
        if record.locked_until > now:
            raise IdempotencyInProgress(key=scope.key)
        record.locked_until = now + lease  # the first holder died: take over its lease
        uow.commit()
        return Claimed()


def store_response(
    db: Database, box: SecretBox, scope: IdempotencyScope, response: StoredResponse
) -> None:
    """Keep the answer, sealed, so the same caller's retries replay it."""
    sealed = box.seal_bytes(response.body, context=scope.seal_context) if response.body else b""
    with db.uow() as uow:
        uow.session.execute(
            update(IdempotencyRecord)
            .where(*_where(scope))  # type: ignore[arg-type]
            .values(
                state=_COMPLETED,
                response_status=response.status,
                response_headers=response.headers,
                response_body=sealed,
                permissions=sorted(response.permissions),
            )
        )
        uow.commit()


def release_key(db: Database, scope: IdempotencyScope) -> None:
    """Forget a claim whose request failed on our side, so the client can retry it."""
    with db.uow() as uow:
        uow.session.execute(
            delete(IdempotencyRecord).where(
                *_where(scope),  # type: ignore[arg-type]
                IdempotencyRecord.state == _IN_PROGRESS,
            )
        )
        uow.commit()
