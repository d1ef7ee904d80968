"""The inventory sweep: release reservations that expired where no order path looked."""

from __future__ import annotations

from oms.config import Settings
from oms.core.jobs import register_periodic
from oms.inventory.service import sweep_expired_reservations

__all__ = ["register"]


def register(settings: Settings) -> None:
    """Run the expiry sweep from every worker."""
    register_periodic(
        "reservation-expiry", settings.sweep_interval_seconds, sweep_expired_reservations
    )
