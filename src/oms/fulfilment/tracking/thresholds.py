"""Stall thresholds learned from a tenant's own inter-scan gaps. Pure Python.

A gap is the time from one scan of a parcel to the next, keyed by the carrier, the tracking
status of the earlier scan and the hour of day (tenant's zone) it was made. A fixed 4 h rule
fires on every night trunk leg (22:00 to 06:00, 6 to 10 h between scans), so the threshold of
a key is a high quantile (p95) of its gaps with 25 % headroom, never below a floor (2 h). A
key with too little history (fewer than ``MIN_GAPS``) borrows from the carrier's gaps at that
hour across statuses, and failing that the default 4 h applies.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

__all__ = [
    "DEFAULT",
    "FLOOR",
    "HEADROOM",
    "MIN_GAPS",
    "QUANTILE",
    "Gap",
    "Threshold",
    "Thresholds",
    "learn",
]

DEFAULT = timedelta(hours=4)
FLOOR = timedelta(hours=2)
QUANTILE = 0.95
# Headroom over the quantile: by definition 5 % of normal legs pass p95, and every one of
# them would be a false alarm; rare real stalls in the history barely move p95 (unlike p99).
HEADROOM = 1.25
MIN_GAPS = 20


@dataclass(frozen=True, slots=True)
class Gap:
    carrier: str
    status: str
    hour: int
    seconds: float


@dataclass(frozen=True, slots=True)
class Threshold:
    """How long a parcel may go without a scan, and what the figure rests on."""

    limit: timedelta
    basis: str  # "learned", "learned_carrier_hour" or "default"
    gaps: int


def _quantile(values: list[float], q: float) -> float:
    """Nearest-rank quantile: the smallest value with at least ``q`` of the values at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _limit(values: list[float]) -> timedelta:
    return max(FLOOR, timedelta(seconds=_quantile(values, QUANTILE) * HEADROOM))


@dataclass(frozen=True)
class Thresholds:
    exact: dict[tuple[str, str, int], list[float]]
    by_hour: dict[tuple[str, int], list[float]]

    def for_scan(self, carrier: str, status: str, hour: int) -> Threshold:
        """The threshold after a scan of ``status`` by ``carrier`` at ``hour``."""
        exact = self.exact.get((carrier, status, hour), [])
        if len(exact) >= MIN_GAPS:
            return Threshold(_limit(exact), "learned", len(exact))
        by_hour = self.by_hour.get((carrier, hour), [])
        if len(by_hour) >= MIN_GAPS:
            return Threshold(_limit(by_hour), "learned_carrier_hour", len(by_hour))
        return Threshold(DEFAULT, "default", len(exact))


def learn(gaps: Iterable[Gap]) -> Thresholds:
    """Group the gaps by key; quantiles are taken when a threshold is asked for."""
    exact: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    by_hour: dict[tuple[str, int], list[float]] = defaultdict(list)
    for gap in gaps:
        exact[(gap.carrier, gap.status, gap.hour)].append(gap.seconds)
        by_hour[(gap.carrier, gap.hour)].append(gap.seconds)
    return Thresholds(dict(exact), dict(by_hour))
