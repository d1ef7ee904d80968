"""ETA use cases: train a tenant's model from its own deliveries; fill shipments' windows.

The model is a row of ``eta_models`` (the serialised estimator), so every process reads the
same one. It is retrained by the ``tracking-eta-train`` sweep (every ``TRAIN_INTERVAL``) or
``oms tracking eta train --tenant``. Windows are computed **on read** (``fill_windows``, called
by ``GET /api/v1/orders/{id}/shipments``, the console and the tracking page) from the stored
model, the parcel's shipping time and the clock, so a late parcel's window moves on with time
and a retrained model applies at once. No model yet: the documented default window.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from oms.core.errors import NotFound
from oms.core.models import Tenant
from oms.core.uow import Database
from oms.fulfilment.eta.estimator import EtaModel, Sample, Window, default_window, learn
from oms.fulfilment.eta.models import EtaModelRow
from oms.fulfilment.models import Shipment
from oms.fulfilment.schemas import ShipmentOut
from oms.fulfilment.states import ShipmentStatus
from oms.fulfilment.tracking.models import ShipmentScan
from oms.fulfilment.tracking.normalise import TrackingStatus
from oms.fulfilment.tracking.protocols import canonical_carrier

__all__ = ["HISTORY", "TRAIN_INTERVAL", "TrainResult", "fill_windows", "train_all", "train_tenant"]

# Deliveries older than this are not learned from: carriers' networks change.
HISTORY = timedelta(days=90)
TRAIN_INTERVAL = timedelta(hours=6)
_ENDED = frozenset({TrackingStatus.DELIVERED, TrackingStatus.RETURNED, TrackingStatus.RETURNING})


@dataclass(frozen=True, slots=True)
class TrainResult:
    tenant_id: str
    samples: int
    is_trained: bool  # False: too little history, the default window applies
    margin_hours: float = 0.0
    calibration_coverage: float = 0.0


def route_of(origin: str | None, destination: str | None) -> str:
    """The route key: ``浙江省>上海市``; ``?`` for a province not known."""
    return f"{origin or '?'}>{destination or '?'}"


def _zone(session: Session, tenant_id: str) -> ZoneInfo:
    tenant = session.get(Tenant, tenant_id)
    return ZoneInfo(tenant.timezone if tenant is not None else "Asia/Shanghai")


def _samples(session: Session, tenant_id: str, since: datetime, zone: ZoneInfo) -> Iterator[Sample]:
    delivered_at = func.min(ShipmentScan.at).label("delivered_at")
    rows = session.execute(
        select(
            Shipment.carrier,
            Shipment.origin_province,
            Shipment.destination_province,
            Shipment.shipped_at,
            delivered_at,
        )
        .join(
            ShipmentScan,
            (ShipmentScan.tenant_id == Shipment.tenant_id)
            & (ShipmentScan.shipment_id == Shipment.id),
        )
        .where(
            Shipment.tenant_id == tenant_id,
            Shipment.status == ShipmentStatus.ACCEPTED,
            Shipment.shipped_at >= since,
            ShipmentScan.tracking_status == TrackingStatus.DELIVERED,
        )
        .group_by(
            Shipment.id,
            Shipment.carrier,
            Shipment.origin_province,
            Shipment.destination_province,
            Shipment.shipped_at,
        )
    )
    for carrier, origin, destination, shipped_at, delivered in rows:
        hours = (delivered - shipped_at).total_seconds() / 3600
        if hours >= 0:
            yield Sample(
                canonical_carrier(carrier),
                route_of(origin, destination),
                shipped_at.astimezone(zone).hour,
                hours,
                shipped_at.timestamp(),
            )


def train_tenant(db: Database, tenant_id: str) -> TrainResult:
    """Learn the tenant's model from its deliveries of the last ``HISTORY`` and store it
    (too little history: the stored model is removed and the default applies).

    Raises: ERR_NOT_FOUND (no such tenant).
    """
    with db.uow() as uow:
        if uow.session.get(Tenant, tenant_id) is None:
            raise NotFound("no such tenant", tenant_id=tenant_id)
        now = uow.clock.now()
        samples = list(
            _samples(uow.session, tenant_id, now - HISTORY, _zone(uow.session, tenant_id))
        )
        model = learn(samples)
        uow.session.execute(delete(EtaModelRow).where(EtaModelRow.tenant_id == tenant_id))
        if model is not None:
            uow.session.add(
                EtaModelRow(
                    tenant_id=tenant_id,
                    model=model.to_json(),
                    samples=model.samples,
                    margin_seconds=round(model.margin_hours * 3600),
                    calibration_coverage_bp=round(model.calibration_coverage * 10_000),
                    trained_at=now,
                )
            )
        uow.commit()
    if model is None:
        return TrainResult(tenant_id, len(samples), is_trained=False)
    return TrainResult(
        tenant_id, model.samples, True, model.margin_hours, model.calibration_coverage
    )


def train_all(db: Database) -> int:
    """Retrain every tenant that has delivered parcels; return how many models were stored."""
    with db.reader() as session:
        tenants = list(
            session.scalars(
                select(Shipment.tenant_id)
                .where(Shipment.tracking_status == TrackingStatus.DELIVERED)
                .distinct()
            )
        )
    return sum(train_tenant(db, tenant_id).is_trained for tenant_id in tenants)


def _model(session: Session, tenant_id: str) -> EtaModel | None:
    row = session.get(EtaModelRow, tenant_id)
    return EtaModel.from_json(row.model) if row is not None else None


def window_for(
    model: EtaModel | None, shipment: ShipmentOut, *, now: datetime, zone: ZoneInfo
) -> Window:
    """The window (hours after shipping) of one parcel on its way."""
    if model is None:
        return default_window()
    elapsed = max(0.0, (now - shipment.shipped_at).total_seconds() / 3600)
    return model.window(
        canonical_carrier(shipment.carrier),
        route_of(shipment.origin_province, shipment.destination_province),
        shipment.shipped_at.astimezone(zone).hour,
        elapsed_hours=elapsed,
    )


def _floor_hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def _ceil_hour(at: datetime) -> datetime:
    floor = _floor_hour(at)
    return floor if floor == at else floor + timedelta(hours=1)


def fill_windows(
    session: Session, tenant_id: str, shipments: Sequence[ShipmentOut], *, now: datetime
) -> None:
    """Set ``eta_from``/``eta_to``/``eta_basis`` of the parcels still on their way (delivered,
    returned and mismatched parcels keep none)."""
    moving = [
        s
        for s in shipments
        if s.status == ShipmentStatus.ACCEPTED and s.tracking_status not in _ENDED
    ]
    if not moving:
        return
    model, zone = _model(session, tenant_id), _zone(session, tenant_id)
    for shipment in moving:
        window = window_for(model, shipment, now=now, zone=zone)
        shipment.eta_from = _floor_hour(shipment.shipped_at + timedelta(hours=window.from_hours))
        shipment.eta_to = _ceil_hour(shipment.shipped_at + timedelta(hours=window.to_hours))
        shipment.eta_basis = window.basis
        shipment.eta_samples = window.samples
