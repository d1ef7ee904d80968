"""Idempotency keys: a retried POST gets the first answer again, with no second effect.

A key belongs to a tenant. The first request claims it (``in_progress``, with a lease), runs,
and stores its answer; a retry with the same fingerprint replays that answer, a different body
is refused, and a retry while the first is still running is told so. A server error releases
the key, because nothing was committed and the client should be able to retry. If a process
dies mid-request, the lease runs out and the key can be claimed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from oms.core.errors import IdempotencyInProgress, IdempotencyKeyReused
from oms.core.models import IdempotencyRecord
from oms.core.uow import Database

__all__ = ["Claimed", "StoredResponse", "claim_key", "release_key", "store_response"]

_IN_PROGRESS = "in_progress"
_COMPLETED = "completed"


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Claimed:
    """The key is ours: run the request, then store or release."""


def claim_key(
    db: Database,
    *,
    tenant_id: str,
    key: str,
    fingerprint: str,
    ttl: timedelta,
    lease: timedelta,
) -> Claimed | StoredResponse:
    """Claim ``key`` for this request, or return the answer stored for it.

    Raises: ERR_IDEMPOTENCY_KEY_REUSED, ERR_IDEMPOTENCY_IN_PROGRESS.
    """
    try:
        return _claim_once(db, tenant_id, key, fingerprint, ttl, lease)
    except IntegrityError:
        # Another request inserted the same key between our read and our insert.
        raise IdempotencyInProgress(key=key) from None


def _claim_once(
    db: Database, tenant_id: str, key: str, fingerprint: str, ttl: timedelta, lease: timedelta
) -> Claimed | StoredResponse:
    with db.uow() as uow:
        now = uow.clock.now()
        stmt = select(IdempotencyRecord).where(
            IdempotencyRecord.tenant_id == tenant_id, IdempotencyRecord.key == key
        )
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
                    tenant_id=tenant_id,
                    key=key,
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
            raise IdempotencyKeyReused(key=key)
        if record.state == _COMPLETED:
            assert record.response_status is not None
            return StoredResponse(
                record.response_status,
                dict(record.response_headers or {}),
                record.response_body or b"",
            )
        if record.locked_until > now:
            raise IdempotencyInProgress(key=key)
        record.locked_until = now + lease  # the first holder died: take over its lease
        uow.commit()
        return Claimed()


def store_response(db: Database, *, tenant_id: str, key: str, response: StoredResponse) -> None:
    """Keep the answer so retries replay it."""
    with db.uow() as uow:
        uow.session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.tenant_id == tenant_id, IdempotencyRecord.key == key)
            .values(
                state=_COMPLETED,
                response_status=response.status,
                response_headers=response.headers,
                response_body=response.body,
            )
        )
        uow.commit()


def release_key(db: Database, *, tenant_id: str, key: str) -> None:
    """Forget a claim whose request failed on our side, so the client can retry it."""
    with db.uow() as uow:
        uow.session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.tenant_id == tenant_id,
                IdempotencyRecord.key == key,
                IdempotencyRecord.state == _IN_PROGRESS,
            )
        )
        uow.commit()
