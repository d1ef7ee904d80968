"""The stall sweep: a parcel without a new scan beyond its threshold opens ``delivery_stalled``.

Runs every ``OMS_SWEEP_INTERVAL_SECONDS`` on one worker of the cluster. Age counts from the
newest scan's own time (``shipments.last_scan_at``), not from when the push arrived. The ticket
(with an alert, raised by tickets.open_ticket) names suggested actions; it is resolved by the
intake when scans resume (effects.on_new_scans). Parcels delivered, returned, expired, waiting
in a locker or station (the buyer's move, not the carrier's) or already in exception are not
watched.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from oms.core.models import Tenant
from oms.core.uow import Database, UnitOfWork
from oms.fulfilment.models import Shipment
from oms.fulfilment.states import ShipmentStatus
from oms.fulfilment.tracking.models import ShipmentScan
from oms.fulfilment.tracking.normalise import TrackingStatus
from oms.fulfilment.tracking.protocols import canonical_carrier
from oms.fulfilment.tracking.thresholds import Gap, Threshold, Thresholds, learn
from oms.tickets.service import open_ticket
from oms.tickets.states import TicketKind

__all__ = ["HISTORY", "SUGGESTED_ACTIONS", "sweep_stalls", "tenant_thresholds"]

# How far back a tenant's own gaps are learned from.
HISTORY = timedelta(days=30)
SUGGESTED_ACTIONS = ("switch_carrier", "rebook_delivery_window", "contact_outlet")
_NOT_WATCHED = frozenset(
    {
        TrackingStatus.DELIVERED,
        TrackingStatus.RETURNED,
        TrackingStatus.EXPIRED,
        TrackingStatus.AVAILABLE_FOR_PICKUP,
        TrackingStatus.EXCEPTION,
    }
)


def sweep_stalls(db: Database) -> int:
    """Open a ticket for every watched parcel past its threshold; return how many opened."""
    opened = 0
    for tenant_id in _tenants_with_parcels(db):
        with db.uow() as uow:
            opened += _sweep_tenant(uow, tenant_id)
            uow.commit()
    return opened


def _tenants_with_parcels(db: Database) -> list[str]:
    with db.reader() as session:
        return list(
            session.scalars(
                select(Shipment.tenant_id)
                .where(
                    Shipment.last_scan_at.is_not(None),
                    Shipment.tracking_status.not_in([str(s) for s in _NOT_WATCHED]),
                )
                .distinct()
            )
        )


def _zone(uow: UnitOfWork, tenant_id: str) -> ZoneInfo:
    tenant = uow.session.get(Tenant, tenant_id)
    return ZoneInfo(tenant.timezone if tenant is not None else "Asia/Shanghai")


def _sweep_tenant(uow: UnitOfWork, tenant_id: str) -> int:
    now = uow.clock.now()
    zone = _zone(uow, tenant_id)
    thresholds = tenant_thresholds(uow, tenant_id, now=now, zone=zone)
    watched = uow.session.scalars(
        select(Shipment).where(
            Shipment.tenant_id == tenant_id,
            Shipment.status == ShipmentStatus.ACCEPTED,
            Shipment.last_scan_at.is_not(None),
            Shipment.tracking_status.not_in([str(s) for s in _NOT_WATCHED]),
        )
    )
    opened = 0
    for shipment in watched:
        assert shipment.last_scan_at is not None
        assert shipment.tracking_status is not None
        threshold = thresholds.for_scan(
            canonical_carrier(shipment.carrier),
            shipment.tracking_status,
            shipment.last_scan_at.astimezone(zone).hour,
        )
        if now - shipment.last_scan_at > threshold.limit:
            _open(uow, shipment, threshold, now)
            opened += 1
    return opened


def tenant_thresholds(
    uow: UnitOfWork, tenant_id: str, *, now: datetime, zone: ZoneInfo
) -> Thresholds:
    """Thresholds learned from the tenant's gaps between consecutive scans of each parcel."""
    return learn(_gaps(uow, tenant_id, now - HISTORY, zone))


def _gaps(uow: UnitOfWork, tenant_id: str, since: datetime, zone: ZoneInfo) -> Iterator[Gap]:
    scan = ShipmentScan
    rows = uow.session.execute(
        select(scan.shipment_id, scan.at, scan.tracking_status, Shipment.carrier)
        .join(
            Shipment,
            (Shipment.tenant_id == ShipmentScan.tenant_id)
            & (Shipment.id == ShipmentScan.shipment_id),
        )
        .where(ShipmentScan.tenant_id == tenant_id, ShipmentScan.at >= since)
        .order_by(ShipmentScan.shipment_id, ShipmentScan.at)
    )
    previous = None
    for shipment_id, at, status, carrier in rows:
        if previous is not None and previous[0] == shipment_id and at > previous[1]:
            hour = previous[1].astimezone(zone).hour
            seconds = (at - previous[1]).total_seconds()
            yield Gap(canonical_carrier(carrier), previous[2], hour, seconds)
        previous = (shipment_id, at, status)


def _open(uow: UnitOfWork, shipment: Shipment, threshold: Threshold, now: datetime) -> None:
    assert shipment.last_scan_at is not None
    hours = (now - shipment.last_scan_at).total_seconds() / 3600
    open_ticket(
        uow,
        tenant_id=shipment.tenant_id,
        kind=TicketKind.DELIVERY_STALLED,
        order_id=shipment.order_id,
        assignee_role="ops",
        title_code="delivery_stalled",
        title_params={
            "carrier": shipment.carrier,
            "tracking_no": shipment.tracking_no,
            "hours": f"{hours:.1f}",
        },
        details={
            "shipment_id": shipment.id,
            "carrier": shipment.carrier,
            "tracking_no": shipment.tracking_no,
            "tracking_status": shipment.tracking_status,
            "last_scan_at": shipment.last_scan_at.isoformat(),
            "threshold_seconds": int(threshold.limit.total_seconds()),
            "threshold_basis": threshold.basis,
            "threshold_gaps": threshold.gaps,
            "assignee": "the region's delivery manager",
            "suggested_actions": list(SUGGESTED_ACTIONS),
        },
        now=now,
    )
