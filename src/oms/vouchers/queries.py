"""Reading the chain: verification and exports for the accounting system. Never writes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from oms.core.uow import Database
from oms.vouchers.errors import UnknownExportFormat
from oms.vouchers.models import Voucher, VoucherChainHead
from oms.vouchers.schemas import VerifyReport, VoucherOut
from oms.vouchers.signing import GENESIS_HASH, digest, is_signature_valid, load_public_key

__all__ = ["CSV_COLUMNS", "FORMATS", "export_vouchers", "latest_vouchers", "verify_chain"]

FORMATS = ("jsonl", "csv")
CSV_COLUMNS = (
    "seq",
    "voucher_id",
    "issued_at",
    "order_id",
    "order_no",
    "refund_id",
    "amount",
    "currency",
    "reason",
    "gateway",
    "trade_no",
    "gateway_app_id",
    "gateway_mch_id",
    "refunded_at",
    "prev_hash",
    "hash",
    "signature",
)


def verify_chain(db: Database, tenant_id: str) -> VerifyReport:
    """Recompute every hash, check signatures, sequence continuity and prev-hash links."""
    with db.reader() as session:
        public_key = load_public_key(session, tenant_id)
        head = session.get(VoucherChainHead, tenant_id)
        rows = _ordered(session, tenant_id)
        count, last, problem = _walk(rows, public_key)
    if problem is None and head is not None and (head.last_seq, head.last_hash) != last:
        problem = (last[0] + 1, "missing")  # vouchers were removed from the end
    return VerifyReport(
        tenant_id=tenant_id,
        is_valid=problem is None,
        count=count,
        last_seq=last[0],
        first_bad_seq=problem[0] if problem else None,
        problem=problem[1] if problem else None,
    )


def latest_vouchers(db: Database, tenant_id: str, *, limit: int = 20) -> list[VoucherOut]:
    """The tenant's newest vouchers, highest sequence number first."""
    stmt = (
        select(Voucher)
        .where(Voucher.tenant_id == tenant_id)
        .order_by(Voucher.seq.desc())
        .limit(limit)
    )
    with db.reader() as session:
        return [_listed(row) for row in session.scalars(stmt)]


def _listed(row: Voucher) -> VoucherOut:
    """A tampered document still lists (verification says what is wrong with it)."""
    try:
        doc = json.loads(row.document)
        order, refund = doc.get("order", {}), doc.get("refund", {})
    except (ValueError, AttributeError):
        order, refund = {}, {}
    return VoucherOut(
        seq=row.seq,
        voucher_id=row.id,
        order_no=str(order.get("order_no", "")),
        refund_id=row.refund_id,
        amount=int(refund.get("amount", 0)),
        currency=str(refund.get("currency", "")),
        issued_at=row.issued_at,
    )


def _ordered(session: Session, tenant_id: str) -> list[Voucher]:
    stmt = select(Voucher).where(Voucher.tenant_id == tenant_id).order_by(Voucher.seq)
    return list(session.scalars(stmt))


def _walk(
    rows: list[Voucher], public_key: Ed25519PublicKey | None
) -> tuple[int, tuple[int, str], tuple[int, str] | None]:
    """Count, (last good seq, its hash), and the first (seq, problem) found."""
    last = (0, GENESIS_HASH)
    for count, row in enumerate(rows):
        expected = last[0] + 1
        problem = _check(row, expected, last[1], public_key)
        if problem is not None:
            return count, last, (expected, problem)
        last = (row.seq, row.hash)
    return len(rows), last, None


def _check(row: Voucher, seq: int, prev: str, public_key: Ed25519PublicKey | None) -> str | None:
    if row.seq != seq:
        return "missing"
    if digest(row.document) != row.hash:
        return "hash_mismatch"
    if public_key is None or not is_signature_valid(public_key, row.hash, row.signature):
        return "bad_signature"
    document = json.loads(row.document)
    if document.get("seq") != seq:
        return "out_of_order"
    if document.get("prev_hash") != prev or row.prev_hash != prev:
        return "prev_hash_mismatch"
    return None


def export_vouchers(db: Database, tenant_id: str, fmt: str) -> Iterator[str]:
    """The tenant's vouchers in seq order as JSON lines or CSV (header first).

    Raises: ERR_VOUCHER_UNKNOWN_FORMAT.
    """
    if fmt not in FORMATS:
        raise UnknownExportFormat(f"unknown format {fmt[:20]!r}", allowed=list(FORMATS))
    with db.reader() as session:
        records = [_record(row) for row in _ordered(session, tenant_id)]
    if fmt == "jsonl":
        return (json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)
    return _csv(records)


def _record(row: Voucher) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "document": json.loads(row.document),
        "hash": row.hash,
        "prev_hash": row.prev_hash,
        "signature": row.signature,
    }


def _csv(records: list[dict[str, Any]]) -> Iterator[str]:
    yield _csv_line(CSV_COLUMNS)
    for record in records:
        yield _csv_line([_flat(record).get(column) for column in CSV_COLUMNS])


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    doc = record["document"]
    return {
        **{k: record[k] for k in ("seq", "prev_hash", "hash", "signature")},
        "voucher_id": doc["voucher_id"],
        "issued_at": doc["issued_at"],
        "order_id": doc["order"]["id"],
        "order_no": doc["order"]["order_no"],
        "refund_id": doc["refund"]["id"],
        "amount": doc["refund"]["amount"],
        "currency": doc["refund"]["currency"],
        "reason": doc["refund"]["reason"],
        "gateway": doc["gateway"]["name"],
        "trade_no": doc["gateway"]["trade_no"],
        "gateway_app_id": doc["accounts"]["gateway_app_id"],
        "gateway_mch_id": doc["accounts"]["gateway_mch_id"],
        "refunded_at": doc["timestamps"]["refunded_at"],
    }


def _csv_line(values: Any) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(["" if v is None else v for v in values])
    return buffer.getvalue()
