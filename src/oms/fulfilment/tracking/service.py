"""Tracking use cases: configure a push protocol for a tenant, take in a carrier push.

A push is recorded raw in the inbox first (verified or rejected, its own commit), so a
refusal leaves a trace and a redelivery is recognised. Then, in one transaction, its parcels
are matched to shipments by (carrier, tracking number), new scans are stored (the same scan
again is one row, so a Kuaidi100 full snapshot upserts the trace), the shipment mirrors its
newest scan, the effects run, and the inbox row is closed. A push for a parcel oms does not
know is kept: the inbox row says ``unmatched`` and names the parcels (GET
/api/v1/tracking/unmatched).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from oms.core import outbox
from oms.core.errors import AppError, NotFound, PayloadTooLarge
from oms.core.ids import new_id
from oms.core.inbox import Inbound, record_inbound
from oms.core.models import InboxMessage, Tenant
from oms.core.repo import insert_ignore
from oms.core.secrets import SecretUnreadable, secret_box
from oms.core.uow import Database, UnitOfWork
from oms.fulfilment.models import Shipment
from oms.fulfilment.tracking import effects
from oms.fulfilment.tracking.errors import (
    ProtocolUnknown,
    PushMalformed,
    PushRejected,
    TrackingNotConfigured,
    TrackingTenantUnknown,
)
from oms.fulfilment.tracking.events import ShipmentTrackingChanged
from oms.fulfilment.tracking.models import ShipmentScan, TrackingConfig, UnmatchedParcel
from oms.fulfilment.tracking.normalise import Normalised, TrackingStatus, normalise
from oms.fulfilment.tracking.protocols import (
    Adapter,
    Delivery,
    Keys,
    ParcelPush,
    Push,
    adapter_for,
    canonical_carrier,
    known_protocols,
)

__all__ = [
    "Answer",
    "ConfigureResult",
    "configure",
    "receive_push",
    "replay_unmatched",
    "source_of",
]

_DROPPED_HEADERS = frozenset({"authorization", "cookie"})


def source_of(protocol: str) -> str:
    """The inbox source of a protocol: ``tracking:kuaidi100``."""
    return f"tracking:{protocol[:40]}"


def _context(tenant_id: str, protocol: str, what: str) -> str:
    return f"tenant:{tenant_id}:tracking:{protocol}:{what}"


@dataclass(frozen=True, slots=True)
class ConfigureResult:
    tenant_id: str
    carrier: str
    push_path: str
    signed_push_path: str | None
    updated_at: datetime


def configure(
    db: Database,
    tenant_id: str,
    protocol: str,
    *,
    secret: str,
    checkword: str | None = None,
    app_key: str | None = None,
) -> ConfigureResult:
    """Seal and store a protocol's secrets for a tenant; return the path to give the carrier.

    For SF the secret is the URL token of its unsigned format (the path carries it), and the
    checkword verifies the signed envelope (the path without a token).
    Raises: ERR_TRACKING_PROTOCOL_UNKNOWN, ERR_TRACKING_SECRET_INVALID, ERR_NOT_FOUND (tenant).
    """
    adapter = _adapter(protocol)
    adapter.check_keys(Keys(secret, checkword, app_key))
    box = secret_box()
    sealed = box.seal(secret, context=_context(tenant_id, protocol, "secret"))
    sealed_checkword = (
        box.seal(checkword, context=_context(tenant_id, protocol, "checkword"))
        if checkword
        else None
    )
    with db.uow() as uow:
        now = uow.clock.now()
        if uow.session.get(Tenant, tenant_id) is None:
            raise NotFound("no such tenant", tenant_id=tenant_id)
        config = uow.session.get(TrackingConfig, (tenant_id, protocol))
        if config is None:
            config = TrackingConfig(tenant_id=tenant_id, protocol=protocol, created_at=now)
            uow.session.add(config)
        config.secret_sealed = sealed
        config.checkword_sealed = sealed_checkword
        config.app_key = app_key
        config.updated_at = now
        uow.commit()
    path = f"/api/v1/tracking/{protocol}/{tenant_id}"
    if protocol == "sf":
        return ConfigureResult(tenant_id, protocol, f"{path}?token={secret}", path, now)
    return ConfigureResult(tenant_id, protocol, path, None, now)


@dataclass(frozen=True, slots=True)
class Answer:
    """The reply to give the carrier: HTTP status, body in its format, the refusal if any."""

    status: int
    body: dict[str, Any]
    error: AppError | None = None


def receive_push(
    db: Database,
    *,
    protocol: str,
    tenant_id: str,
    headers: Mapping[str, str],
    body: bytes,
    query: Mapping[str, str],
    truncated: bool = False,
) -> Answer:
    """Record, verify, deduplicate and apply one carrier push; answer in its format.

    Refusals (ERR_TRACKING_PROTOCOL_UNKNOWN, _TENANT_UNKNOWN, _NOT_CONFIGURED,
    _SIGNATURE_MISSING, _SIGNATURE_INVALID, _TIMESTAMP_OUT_OF_TOLERANCE, _MALFORMED_PUSH,
    ERR_PAYLOAD_TOO_LARGE, ERR_SECRET_UNREADABLE) are recorded raw and answered, not raised.
    """
    kept = {k.lower(): v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS}
    delivery = Delivery(kept, body, dict(query))
    adapter = adapter_for(protocol)
    push, notes, error = _check(db, adapter, protocol, tenant_id, delivery, truncated)
    if error is not None or push is None:
        assert error is not None
        _record_rejection(db, protocol, tenant_id, delivery, error)
        failure = adapter.failure(error) if adapter else {}
        return Answer(error.http_status, failure, error)
    assert adapter is not None
    inbox_id, done = _record_verified(db, protocol, tenant_id, delivery, push, notes)
    if not done:
        _apply(db, tenant_id, protocol, push, inbox_id)
    return Answer(200, adapter.ok())


def _check(
    db: Database,
    adapter: Adapter | None,
    protocol: str,
    tenant_id: str,
    delivery: Delivery,
    truncated: bool,
) -> tuple[Push | None, dict[str, Any], AppError | None]:
    try:
        if adapter is None:
            raise ProtocolUnknown(protocol=protocol[:40], known=known_protocols())
        if truncated:
            raise PayloadTooLarge(limit_bytes=len(delivery.body))
        with db.reader() as session:
            keys = _keys(session, tenant_id, protocol)
        notes = adapter.verify(keys, delivery, now=db.clock.now())
        return adapter.parse(delivery), notes, None
    except (PushRejected, PayloadTooLarge, SecretUnreadable) as error:
        return None, {}, error
    except (KeyError, TypeError, ValueError) as error:
        # A shape the adapter did not foresee is still the sender's bad input, never a 500.
        return None, {}, PushMalformed(f"the push cannot be read: {type(error).__name__}")


def _keys(session: Session, tenant_id: str, protocol: str) -> Keys:
    if session.get(Tenant, tenant_id[:36]) is None:
        raise TrackingTenantUnknown(tenant_id=tenant_id[:64])
    config = session.get(TrackingConfig, (tenant_id, protocol))
    if config is None:
        raise TrackingNotConfigured(
            f"configure it with oms tracking configure --carrier {protocol}", protocol=protocol
        )
    box = secret_box()
    secret = box.open(config.secret_sealed, context=_context(tenant_id, protocol, "secret"))
    checkword = (
        box.open(config.checkword_sealed, context=_context(tenant_id, protocol, "checkword"))
        if config.checkword_sealed
        else None
    )
    return Keys(secret, checkword, config.app_key)


def _record_rejection(
    db: Database, protocol: str, tenant_id: str, delivery: Delivery, error: AppError
) -> None:
    # Filed under a key of its own: under the id it claims, a forgery would take the genuine
    # push's place or inflate its count.
    message = Inbound(
        tenant_id=tenant_id[:64],
        source=source_of(protocol),
        message_id=f"rejected:{new_id()}",
        headers=dict(delivery.headers),
        body=delivery.body,
        verification="rejected",
        error_code=error.code,
        details={"message": error.message, "query_keys": sorted(delivery.query)},
    )
    with db.uow() as uow:
        record_inbound(uow.session, message, now=uow.clock.now())
        uow.commit()


def _record_verified(
    db: Database,
    protocol: str,
    tenant_id: str,
    delivery: Delivery,
    push: Push,
    notes: dict[str, Any],
) -> tuple[str, bool]:
    """Store the verified push once; return its inbox id and whether it was processed."""
    message = Inbound(
        tenant_id=tenant_id,
        source=source_of(protocol),
        message_id=push.message_id[:200],
        headers=dict(delivery.headers),
        body=delivery.body,
        verification="verified",
        topic=push.topic[:100],
        details=notes | push.details,
    )
    with db.uow() as uow:
        recorded = record_inbound(uow.session, message, now=uow.clock.now())
        processed = uow.session.execute(
            select(InboxMessage.processed_at).where(
                InboxMessage.tenant_id == tenant_id, InboxMessage.id == recorded.id
            )
        ).scalar()
        uow.commit()
    return recorded.id, processed is not None


def _apply(db: Database, tenant_id: str, protocol: str, push: Push, inbox_id: str) -> None:
    """Store the push's scans, mirror them on the shipments, run effects, close the inbox row."""
    with db.uow() as uow:
        parcels = [_apply_parcel(uow, tenant_id, protocol, p, inbox_id) for p in push.parcels]
        unmatched = [p for p in parcels if p.get("unmatched")]
        outcome = "unmatched" if unmatched and len(unmatched) == len(parcels) else "applied"
        row = uow.session.get(InboxMessage, (tenant_id, inbox_id))
        details = dict(row.details or {}) if row is not None else {}
        uow.session.execute(
            update(InboxMessage)
            .where(InboxMessage.tenant_id == tenant_id, InboxMessage.id == inbox_id)
            .values(
                outcome=outcome,
                processed_at=uow.clock.now(),
                details=details | {"parcels": parcels},
            )
        )
        uow.commit()


def _apply_parcel(
    uow: UnitOfWork, tenant_id: str, protocol: str, parcel: ParcelPush, inbox_id: str
) -> dict[str, Any]:
    summary: dict[str, Any] = {"carrier": parcel.carriers[0], "tracking_no": parcel.tracking_no}
    shipment = _match(uow, tenant_id, parcel)
    if shipment is None:
        _remember_unmatched(uow, tenant_id, protocol, parcel, inbox_id)
        return summary | {"unmatched": True, "scans": len(parcel.scans)}
    previous = shipment.last_scan_at
    was_status = shipment.tracking_status
    was_delivered = was_status == TrackingStatus.DELIVERED
    new = _store_scans(uow, shipment, protocol, parcel, inbox_id)
    newest = _mirror_newest(uow, shipment)
    current = [scan for at, scan in new if previous is None or at >= previous]
    if current and newest is not None and newest.tracking_status != was_status:
        _publish_change(uow, shipment, newest, was_status)
    found = effects.on_new_scans(uow, shipment, parcel.scheme, current, was_delivered=was_delivered)
    return summary | {"shipment_id": shipment.id, "new_scans": len(new)} | found


def _remember_unmatched(
    uow: UnitOfWork, tenant_id: str, protocol: str, parcel: ParcelPush, inbox_id: str
) -> None:
    values = {
        "tenant_id": tenant_id,
        "id": new_id(),
        "inbox_id": inbox_id,
        "protocol": protocol,
        "carrier": canonical_carrier(parcel.carriers[0])[:64],
        "tracking_no": parcel.tracking_no[:64],
        "received_at": uow.clock.now(),
        "replayed_at": None,
    }
    insert_ignore(uow, UnmatchedParcel, values)


def replay_unmatched(db: Database, tenant_id: str, carrier: str, tracking_no: str) -> int:
    """Apply again the kept pushes that named this parcel before it was recorded.

    Applying is idempotent (a stored scan is one row, effects run for new scans only), so a
    replay interrupted before its row is marked is simply done again. Returns how many
    pushes were applied.
    """
    wanted = canonical_carrier(carrier)
    with db.reader() as session:
        waiting = session.scalars(
            select(UnmatchedParcel).where(
                UnmatchedParcel.tenant_id == tenant_id,
                UnmatchedParcel.tracking_no == tracking_no,
                UnmatchedParcel.replayed_at.is_(None),
            )
        ).all()
        pushes = [
            (row, session.get(InboxMessage, (tenant_id, row.inbox_id)))
            for row in waiting
            if row.carrier == wanted
        ]
    replayed = 0
    for row, message in pushes:
        adapter = adapter_for(row.protocol)
        if message is not None and adapter is not None:
            push = adapter.parse(Delivery(dict(message.headers), message.body, {}))
            _apply(db, tenant_id, row.protocol, push, message.id)
            replayed += 1
        with db.uow() as uow:
            uow.session.execute(
                update(UnmatchedParcel)
                .where(UnmatchedParcel.tenant_id == tenant_id, UnmatchedParcel.id == row.id)
                .values(replayed_at=uow.clock.now())
            )
            uow.commit()
    return replayed


def _match(uow: UnitOfWork, tenant_id: str, parcel: ParcelPush) -> Shipment | None:
    """The shipment recorded under (carrier, tracking number), the carrier in any of its names."""
    wanted = {canonical_carrier(c) for c in parcel.carriers}
    candidates = uow.session.scalars(
        select(Shipment)
        .where(Shipment.tenant_id == tenant_id, Shipment.tracking_no == parcel.tracking_no)
        .order_by(Shipment.created_at, Shipment.id)
        .with_for_update()
    ).all()
    return next((s for s in candidates if canonical_carrier(s.carrier) in wanted), None)


def _dedup_key(at: datetime, raw_code: str, text: str) -> str:
    return hashlib.sha256(f"{at.isoformat()}\x1f{raw_code}\x1f{text}".encode()).hexdigest()


def _store_scans(
    uow: UnitOfWork, shipment: Shipment, protocol: str, parcel: ParcelPush, inbox_id: str
) -> list[tuple[datetime, Normalised]]:
    """Insert the scans not stored yet; return the new ones (time and reading), oldest first."""
    now = uow.clock.now()
    new = []
    for scan in sorted(parcel.scans, key=lambda s: s.at):
        read = normalise(parcel.scheme, scan.code)
        values = {
            "tenant_id": shipment.tenant_id,
            "id": new_id(),
            "shipment_id": shipment.id,
            "at": scan.at,
            "tracking_status": str(read.status),
            "tracking_sub_status": read.sub_status,
            "raw_code": read.raw_code,
            "text": scan.text,
            "location": scan.location,
            "protocol": protocol,
            "dedup_key": _dedup_key(scan.at, read.raw_code, scan.text),
            "inbox_id": inbox_id,
            "created_at": now,
        }
        if insert_ignore(uow, ShipmentScan, values):
            new.append((scan.at, read))
    return new


def _publish_change(
    uow: UnitOfWork, shipment: Shipment, newest: ShipmentScan, was_status: str | None
) -> None:
    """``shipment.tracking_changed`` (buyer notifications subscribe to it)."""
    outbox.add(
        uow,
        ShipmentTrackingChanged(
            tenant_id=shipment.tenant_id,
            shipment_id=shipment.id,
            order_id=shipment.order_id,
            carrier=shipment.carrier,
            tracking_no=shipment.tracking_no,
            from_status=was_status,
            to_status=newest.tracking_status,
            sub_status=newest.tracking_sub_status,
            location=newest.location,
            text=newest.text[:500],
            at=newest.at.isoformat(),
        ),
    )


def _mirror_newest(uow: UnitOfWork, shipment: Shipment) -> ShipmentScan | None:
    """The shipment shows its newest scan by the scan's own time (pushes arrive out of order)."""
    newest = uow.session.scalars(
        select(ShipmentScan)
        .where(
            ShipmentScan.tenant_id == shipment.tenant_id,
            ShipmentScan.shipment_id == shipment.id,
        )
        .order_by(ShipmentScan.at.desc(), ShipmentScan.created_at.desc(), ShipmentScan.id.desc())
        .limit(1)
    ).first()
    if newest is None:
        return None
    shipment.tracking_status = newest.tracking_status
    shipment.tracking_sub_status = newest.tracking_sub_status
    shipment.raw_code = newest.raw_code
    shipment.last_scan_at = newest.at
    uow.session.flush()
    return newest


def _adapter(protocol: str) -> Adapter:
    adapter = adapter_for(protocol)
    if adapter is None:
        raise ProtocolUnknown(protocol=protocol[:40], known=known_protocols())
    return adapter
