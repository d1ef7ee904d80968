"""The inventory sweep: release reservations that expired where no order path looked."""

from __future__ import annotations

from oms.config import Settings
from oms.core.jobs import JobRegistry
from oms.inventory.service import sweep_expired_reservations

__all__ = ["register"]


def register(registry: JobRegistry, settings: Settings) -> None:
    """Run the expiry sweep (once per cluster per interval)."""
    registry.every(
        "reservation-expiry", settings.sweep_interval_seconds, sweep_expired_reservations
    )
