"""Issuing vouchers: an operation in the caller's unit of work (it never commits).

The refund's move to ``refunded`` and its voucher commit together. The chain head row is
locked (``FOR UPDATE`` on PostgreSQL; SQLite serialises writers with ``BEGIN IMMEDIATE``)
before the previous hash is read, so concurrent refunds append one after the other and the
chain never forks.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from oms.core.db import table
from oms.core.ids import new_id
from oms.core.uow import UnitOfWork
from oms.vouchers.models import Voucher, VoucherChainHead
from oms.vouchers.schemas import RefundFacts
from oms.vouchers.signing import GENESIS_HASH, canonical, digest, rfc3339, signing_key

__all__ = ["issue_voucher"]


def issue_voucher(uow: UnitOfWork, facts: RefundFacts) -> int:
    """Append the signed voucher of a completed refund to its tenant's chain; return its seq.

    Idempotent: a refund that already has a voucher gets no second one.
    """
    session = uow.session
    head = _lock_head(uow, facts.tenant_id)
    existing = session.scalar(
        select(Voucher.seq).where(
            Voucher.tenant_id == facts.tenant_id, Voucher.refund_id == facts.refund_id
        )
    )
    if existing is not None:
        return existing
    now = uow.clock.now()
    key = signing_key(session, facts.tenant_id, now=now)
    seq, voucher_id = head.last_seq + 1, new_id()
    text = canonical(_document(facts, voucher_id=voucher_id, seq=seq, prev=head.last_hash, now=now))
    hashed = digest(text)
    signature = base64.b64encode(key.sign(bytes.fromhex(hashed))).decode()
    session.add(
        Voucher(
            tenant_id=facts.tenant_id,
            seq=seq,
            id=voucher_id,
            refund_id=facts.refund_id,
            document=text,
            prev_hash=head.last_hash,
            hash=hashed,
            signature=signature,
            issued_at=now,
        )
    )
    head.last_seq, head.last_hash, head.updated_at = seq, hashed, now
    session.flush()
    return seq


def _lock_head(uow: UnitOfWork, tenant_id: str) -> VoucherChainHead:
    """Create the tenant's chain head if missing (racing creators are harmless), then lock it."""
    values = dict(
        tenant_id=tenant_id, last_seq=0, last_hash=GENESIS_HASH, updated_at=uow.clock.now()
    )
    if uow.is_postgres:
        uow.session.execute(pg_insert(table(VoucherChainHead)).on_conflict_do_nothing(), values)
    else:
        uow.session.execute(sqlite_insert(table(VoucherChainHead)).on_conflict_do_nothing(), values)
    query = select(VoucherChainHead).where(VoucherChainHead.tenant_id == tenant_id)
    if uow.is_postgres:
        query = query.with_for_update()
    # populate_existing: the row may be cached in this session from before the lock.
    head = uow.session.scalars(query.execution_options(populate_existing=True)).one()
    return head


def _document(
    facts: RefundFacts, *, voucher_id: str, seq: int, prev: str, now: datetime
) -> dict[str, Any]:
    return {
        "voucher_id": voucher_id,
        "tenant_id": facts.tenant_id,
        "seq": seq,
        "prev_hash": prev,
        "issued_at": rfc3339(now),
        "order": {"id": facts.order_id, "order_no": facts.order_no},
        "refund": {
            "id": facts.refund_id,
            "amount": facts.amount,
            "currency": facts.currency,
            "reason": facts.reason,
        },
        "gateway": {
            "name": facts.gateway or "channel",
            "payment_id": facts.payment_id,
            "trade_no": facts.trade_no,
            "out_request_no": facts.refund_id,
            "result": facts.gateway_result,
        },
        "accounts": {
            "tenant_id": facts.tenant_id,
            "gateway_app_id": facts.gateway_app_id,
            "gateway_mch_id": facts.gateway_mch_id,
        },
        "timestamps": {
            "requested_at": rfc3339(facts.requested_at),
            "reviewed_at": rfc3339(facts.reviewed_at),
            "refunded_at": rfc3339(facts.refunded_at),
        },
    }
