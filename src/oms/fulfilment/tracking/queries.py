"""Read-only tracking queries: scans of shipments, unmatched pushes, and the fulfilment
desk's reads (parcels counted and listed by tracking status, open stall and exception tickets).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oms.core.errors import ValidationFailed
from oms.core.models import InboxMessage
from oms.core.paging import Page, PageRequest, fetch_items
from oms.core.uow import Database
from oms.fulfilment.models import Shipment
from oms.fulfilment.schemas import ScanOut
from oms.fulfilment.tracking.models import ShipmentScan
from oms.fulfilment.tracking.normalise import TABLE, TrackingStatus
from oms.fulfilment.tracking.protocols import canonical_carrier
from oms.fulfilment.tracking.schemas import InterventionOut, ParcelOut, UnmatchedPushOut
from oms.tickets import service as tickets
from oms.tickets.schemas import TicketOut
from oms.tickets.states import TicketKind, TicketStatus

__all__ = [
    "INTERVENTION_KINDS",
    "NOT_SCANNED",
    "SUB_STATUSES",
    "Interventions",
    "ParcelCounts",
    "ParcelFilter",
    "open_interventions",
    "parcel_counts",
    "parcel_filter",
    "parcel_page",
    "scans_of",
    "unmatched_pushes",
]

#: The status filter's value for parcels no carrier has scanned yet (tracking status null).
NOT_SCANNED = "not_scanned"
#: Every sub-status the normalisation table can give, and ``unmapped`` for unknown codes.
SUB_STATUSES = tuple(dict.fromkeys([sub for _, sub in TABLE.values()] + ["unmapped"]))
#: Tickets the desk shows as interventions besides the stalls.
INTERVENTION_KINDS = (TicketKind.DELIVERY_EXCEPTION, TicketKind.DELIVERY_RETURNED)
_CARRIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
_UNRESOLVED = (TicketStatus.OPEN, TicketStatus.ASSIGNED)


def scans_of(
    session: Session, tenant_id: str, shipment_ids: Sequence[str]
) -> dict[str, list[ScanOut]]:
    """Each shipment's scans, oldest first (by the scan's own time)."""
    found: dict[str, list[ScanOut]] = {i: [] for i in shipment_ids}
    if not shipment_ids:
        return found
    rows = session.scalars(
        select(ShipmentScan)
        .where(ShipmentScan.tenant_id == tenant_id, ShipmentScan.shipment_id.in_(shipment_ids))
        .order_by(ShipmentScan.at, ShipmentScan.created_at, ShipmentScan.id)
    )
    for row in rows:
        found[row.shipment_id].append(ScanOut.model_validate(row, from_attributes=True))
    return found


def unmatched_pushes(
    db: Database, tenant_id: str, *, page: PageRequest = PageRequest()
) -> Page[UnmatchedPushOut]:
    """One page of the tenant's pushes that matched no shipment, newest first."""
    stmt = select(InboxMessage).where(
        InboxMessage.tenant_id == tenant_id,
        InboxMessage.source.like("tracking:%"),
        InboxMessage.outcome == "unmatched",
    )
    keys = (InboxMessage.received_at, InboxMessage.id)
    with db.reader() as session:
        return fetch_items(
            session, stmt, keys, page, _unmatched, scope="tracking:unmatched", descending=True
        )


def _unmatched(row: InboxMessage) -> UnmatchedPushOut:
    return UnmatchedPushOut(
        inbox_id=row.id,
        source=row.source,
        received_at=row.received_at,
        deliveries=row.deliveries,
        parcels=list((row.details or {}).get("parcels", [])),
    )


@dataclass(frozen=True, slots=True)
class ParcelFilter:
    """The parcel list's filters; None means "any"."""

    status: str | None = None
    sub_status: str | None = None
    carrier: str | None = None


def parcel_filter(
    *, status: str | None, sub_status: str | None, carrier: str | None
) -> ParcelFilter:
    """Check the filters against the codes oms knows; blank means "any".

    Raises: ERR_VALIDATION (an unknown status or sub-status, a carrier code that is no code).
    """
    status, sub_status, carrier = (v.strip() if v else None for v in (status, sub_status, carrier))
    known = {str(s) for s in TrackingStatus} | {NOT_SCANNED}
    if status and status not in known:
        raise ValidationFailed(f"not a tracking status: {status[:64]!r}", field="status")
    if sub_status and sub_status not in SUB_STATUSES:
        raise ValidationFailed(f"not a sub-status: {sub_status[:64]!r}", field="sub_status")
    if carrier and not _CARRIER.match(carrier):
        raise ValidationFailed(f"not a carrier code: {carrier[:64]!r}", field="carrier")
    return ParcelFilter(
        status or None, sub_status or None, canonical_carrier(carrier or "") or None
    )


@dataclass(frozen=True, slots=True)
class ParcelCounts:
    """How many of the tenant's accepted parcels are in each status and sub-status."""

    by_status: dict[str, int]
    by_sub_status: dict[tuple[str, str], int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    def sub_statuses(self, status: str | None) -> list[tuple[tuple[str, str], int]]:
        """((status, sub-status), count) of one status (all when None), most parcels first."""
        rows = [(k, n) for k, n in self.by_sub_status.items() if status in (None, k[0])]
        return sorted(rows, key=lambda row: (-row[1], row[0]))


def parcel_counts(db: Database, tenant_id: str, *, carrier: str | None = None) -> ParcelCounts:
    """Parcels per (status, sub-status); unscanned parcels count under ``not_scanned``."""
    stmt = (
        select(Shipment.tracking_status, Shipment.tracking_sub_status, func.count())
        .where(Shipment.tenant_id == tenant_id, Shipment.status == "accepted")
        .group_by(Shipment.tracking_status, Shipment.tracking_sub_status)
    )
    if carrier:
        stmt = stmt.where(Shipment.carrier == carrier)
    by_status: dict[str, int] = {}
    by_sub: dict[tuple[str, str], int] = {}
    with db.reader() as session:
        for status, sub_status, count in session.execute(stmt):
            key = status or NOT_SCANNED
            by_status[key] = by_status.get(key, 0) + int(count)
            if status:
                by_sub[(key, sub_status or "unmapped")] = int(count)
    return ParcelCounts(by_status, by_sub)


def parcel_page(
    db: Database, tenant_id: str, flt: ParcelFilter, *, page: PageRequest = PageRequest()
) -> Page[ParcelOut]:
    """One page of the tenant's accepted parcels, newest shipped first, with each one's newest
    scan text. Raises: ERR_VALIDATION (a cursor another list made)."""
    stmt = select(Shipment).where(Shipment.tenant_id == tenant_id, Shipment.status == "accepted")
    if flt.status == NOT_SCANNED:
        stmt = stmt.where(Shipment.tracking_status.is_(None))
    elif flt.status:
        stmt = stmt.where(Shipment.tracking_status == flt.status)
    if flt.sub_status:
        stmt = stmt.where(Shipment.tracking_sub_status == flt.sub_status)
    if flt.carrier:
        stmt = stmt.where(Shipment.carrier == flt.carrier)
    keys = (Shipment.shipped_at, Shipment.id)
    with db.list_reader() as session:
        found = fetch_items(
            session, stmt, keys, page, _parcel, scope="tracking:parcels", descending=True
        )
        texts = _newest_texts(session, tenant_id, [p.shipment_id for p in found.items])
    for parcel in found.items:
        parcel.last_scan_text = texts.get(parcel.shipment_id)
    return found


def _parcel(row: Shipment) -> ParcelOut:
    return ParcelOut(
        shipment_id=row.id,
        order_id=row.order_id,
        carrier=row.carrier,
        tracking_no=row.tracking_no,
        tracking_status=row.tracking_status,
        tracking_sub_status=row.tracking_sub_status,
        raw_code=row.raw_code,
        shipped_at=row.shipped_at,
        last_scan_at=row.last_scan_at,
    )


def _newest_texts(session: Session, tenant_id: str, shipment_ids: list[str]) -> dict[str, str]:
    """Each shipment's newest scan text (by the scan's own time), for one page of parcels."""
    if not shipment_ids:
        return {}
    rows = session.execute(
        select(ShipmentScan.shipment_id, ShipmentScan.text)
        .where(ShipmentScan.tenant_id == tenant_id, ShipmentScan.shipment_id.in_(shipment_ids))
        .order_by(ShipmentScan.at, ShipmentScan.created_at, ShipmentScan.id)
    )
    # Oldest first, so the newest of each shipment is written last.
    return {shipment_id: text for shipment_id, text in rows}


@dataclass(frozen=True, slots=True)
class Interventions:
    """Unresolved tickets of the desk's kinds, oldest first; ``is_truncated`` past the limit."""

    items: list[InterventionOut]
    is_truncated: bool


def open_interventions(
    db: Database, tenant_id: str, kinds: Sequence[TicketKind], *, limit: int = 100
) -> Interventions:
    """Open or assigned tickets of ``kinds`` (stalls, exceptions, returns), oldest first.

    Read through the tickets service (its tables are its own), one read per kind and status.
    """
    found: list[TicketOut] = []
    for kind in kinds:
        for status in _UNRESOLVED:
            found += tickets.list_tickets(
                db, tenant_id, status=str(status), kind=str(kind), limit=limit + 1
            )
    found.sort(key=lambda t: (t.created_at, t.id))
    items = [_intervention(t) for t in found[:limit]]
    return Interventions(items, len(found) > limit)


def _intervention(ticket: TicketOut) -> InterventionOut:
    details: dict[str, Any] = ticket.details or {}
    last_scan = details.get("last_scan_at")
    return InterventionOut(
        ticket_id=ticket.id,
        kind=ticket.kind,
        status=ticket.status,
        order_id=ticket.order_id,
        title=ticket.title,
        opened_at=ticket.created_at,
        carrier=details.get("carrier"),
        tracking_no=details.get("tracking_no"),
        tracking_status=details.get("tracking_status"),
        tracking_sub_status=details.get("tracking_sub_status"),
        last_scan_at=datetime.fromisoformat(last_scan) if isinstance(last_scan, str) else None,
        threshold_seconds=details.get("threshold_seconds"),
        suggested_actions=list(details.get("suggested_actions") or []),
    )
