"""The tracking sweep, registered by jobs_wiring."""

from __future__ import annotations

from oms.config import Settings
from oms.core.jobs import JobRegistry
from oms.fulfilment.eta.service import TRAIN_INTERVAL, train_all
from oms.fulfilment.tracking.stalls import sweep_stalls

__all__ = ["register"]


def register(registry: JobRegistry, settings: Settings) -> None:
    """Stall detection every sweep interval and ETA retraining every ``TRAIN_INTERVAL``, each
    by one worker of the cluster."""
    registry.every("tracking-stalls", settings.sweep_interval_seconds, sweep_stalls)
    registry.every("tracking-eta-train", TRAIN_INTERVAL.total_seconds(), train_all)
