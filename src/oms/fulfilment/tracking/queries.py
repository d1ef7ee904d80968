"""Read-only tracking queries: scans of shipments, unmatched pushes."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from oms.core.models import InboxMessage
from oms.core.paging import Page, PageRequest, fetch_items
from oms.core.uow import Database
from oms.fulfilment.schemas import ScanOut
from oms.fulfilment.tracking.models import ShipmentScan
from oms.fulfilment.tracking.schemas import UnmatchedPushOut

__all__ = ["scans_of", "unmatched_pushes"]


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
