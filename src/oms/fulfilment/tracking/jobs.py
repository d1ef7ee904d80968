"""Tracking jobs, registered by jobs_wiring: the stall sweep, and pushes that came early."""

from __future__ import annotations

from oms.config import Settings
from oms.core.jobs import JobRegistry, JobRun
from oms.core.uow import Database
from oms.fulfilment.eta.service import TRAIN_INTERVAL, train_all
from oms.fulfilment.events import ShipmentRecorded
from oms.fulfilment.tracking.service import replay_unmatched
from oms.fulfilment.tracking.stalls import sweep_stalls

__all__ = ["register"]


def _shipment_recorded(db: Database, event: ShipmentRecorded, _run: JobRun) -> None:
    """Apply the pushes that named this parcel before it was recorded."""
    replay_unmatched(db, event.tenant_id, event.carrier, event.tracking_no)


def register(registry: JobRegistry, settings: Settings) -> None:
    """Stall detection every sweep interval and ETA retraining every ``TRAIN_INTERVAL``, each
    by one worker of the cluster; pushes that came before their shipment, when it is recorded."""
    registry.every("tracking-stalls", settings.sweep_interval_seconds, sweep_stalls)
    registry.every("tracking-eta-train", TRAIN_INTERVAL.total_seconds(), train_all)
    registry.subscribe(ShipmentRecorded, "tracking.replay_unmatched", _shipment_recorded)
