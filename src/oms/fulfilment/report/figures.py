"""The monthly fulfilment figures, computed by pure functions over plain rows.

A month's population is the tenant's accepted parcels shipped in the month (tenant's zone).
Each figure's definition is in docs/fulfilment.md ("Monthly health report").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

__all__ = [
    "OUTBOUND_BUCKETS",
    "UNKNOWN_OUTLET",
    "Bucket",
    "Cause",
    "Incident",
    "MonthFigures",
    "OnTime",
    "Outbound",
    "ParcelRow",
    "Rate",
    "ScanRow",
    "Targets",
    "month_figures",
]

#: The outlet of a stall whose scans name no location.
UNKNOWN_OUTLET = "—"
#: Upper bounds (hours) of the outbound distribution's buckets; the last is open.
OUTBOUND_BUCKETS = (1.0, 2.0, 3.0, 4.0, 6.0, 12.0, 24.0, 48.0)


@dataclass(frozen=True, slots=True)
class ScanRow:
    at: datetime
    tracking_status: str
    location: str | None


@dataclass(frozen=True, slots=True)
class ParcelRow:
    """One accepted parcel shipped in the month, with its order's payment and its scans."""

    shipment_id: str
    order_id: str
    carrier: str
    shipped_at: datetime
    paid_at: datetime | None
    scans: Sequence[ScanRow] = ()


@dataclass(frozen=True, slots=True)
class Incident:
    """A stall or exception ticket naming a parcel (``at``: the scan it followed, if known)."""

    shipment_id: str
    cause: str
    last_scan_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Targets:
    outbound_hours: float = 2.3
    on_time_rate: float = 0.95
    stall_rate: float = 0.03
    exception_rate: float = 0.01


@dataclass(frozen=True, slots=True)
class Bucket:
    upper_hours: float | None  # None: the open last bucket
    parcels: int


@dataclass(frozen=True, slots=True)
class Outbound:
    """Hours from the order's payment to the parcel's shipment (parcels of paid orders)."""

    parcels: int
    median_hours: float | None
    p90_hours: float | None
    distribution: list[Bucket]


@dataclass(frozen=True, slots=True)
class OnTime:
    """Parcels delivered by the promise (paid + promise hours); pending ones are not counted."""

    on_time: int
    late: int
    pending: int
    rate: float | None


@dataclass(frozen=True, slots=True)
class Rate:
    key: str
    stalled: int
    parcels: int
    rate: float


@dataclass(frozen=True, slots=True)
class Cause:
    cause: str
    tickets: int


@dataclass(frozen=True, slots=True)
class MonthFigures:
    month: str
    parcels: int
    outbound: Outbound
    on_time: OnTime
    stalled: int
    stall_rate: float | None
    stall_by_carrier: list[Rate]
    stall_by_outlet: list[Rate]
    exception_parcels: int
    exception_rate: float | None
    exceptions_by_cause: list[Cause] = field(default_factory=list)


def month_figures(
    month: str,
    parcels: Sequence[ParcelRow],
    *,
    stalls: Sequence[Incident],
    exceptions: Sequence[Incident],
    promise: timedelta,
    now: datetime,
) -> MonthFigures:
    """Every figure of one month from its parcels and the tickets that name them."""
    known = {p.shipment_id for p in parcels}
    stalls = [s for s in stalls if s.shipment_id in known]
    exceptions = [e for e in exceptions if e.shipment_id in known]
    exception_parcels = len({e.shipment_id for e in exceptions})
    stalled = {s.shipment_id for s in stalls}
    causes = Counter(e.cause for e in exceptions)
    return MonthFigures(
        month=month,
        parcels=len(parcels),
        outbound=_outbound(parcels),
        on_time=_on_time(parcels, promise, now),
        stalled=len(stalled),
        stall_rate=_share(len(stalled), len(parcels)),
        stall_by_carrier=_by_carrier(parcels, stalled),
        stall_by_outlet=_by_outlet(parcels, stalls),
        exception_parcels=exception_parcels,
        exception_rate=_share(exception_parcels, len(parcels)),
        exceptions_by_cause=[Cause(c, n) for c, n in sorted(causes.items(), key=_most)],
    )


def _most(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _outbound(parcels: Sequence[ParcelRow]) -> Outbound:
    hours = [
        (p.shipped_at - p.paid_at).total_seconds() / 3600 for p in parcels if p.paid_at is not None
    ]
    if not hours:
        return Outbound(0, None, None, _distribution([]))
    # Linear interpolation between closest ranks (numpy's default, Excel's PERCENTILE.INC).
    median, p90 = (float(q) for q in np.quantile(np.array(hours), [0.5, 0.9]))
    return Outbound(len(hours), median, p90, _distribution(hours))


def _distribution(hours: list[float]) -> list[Bucket]:
    counts = [0] * (len(OUTBOUND_BUCKETS) + 1)
    for value in hours:
        index = next((i for i, b in enumerate(OUTBOUND_BUCKETS) if value <= b), -1)
        counts[index] += 1
    uppers: list[float | None] = [*OUTBOUND_BUCKETS, None]
    return [Bucket(upper, n) for upper, n in zip(uppers, counts, strict=True)]


def _delivered_at(parcel: ParcelRow) -> datetime | None:
    times = [s.at for s in parcel.scans if s.tracking_status == "delivered"]
    return min(times) if times else None


def _on_time(parcels: Sequence[ParcelRow], promise: timedelta, now: datetime) -> OnTime:
    on_time = late = pending = 0
    for parcel in parcels:
        if parcel.paid_at is None:
            continue
        due, delivered = parcel.paid_at + promise, _delivered_at(parcel)
        if delivered is not None:
            on_time, late = (on_time + 1, late) if delivered <= due else (on_time, late + 1)
        elif now > due:
            late += 1
        else:
            pending += 1
    return OnTime(on_time, late, pending, _share(on_time, on_time + late))


def _rates(stalled: Counter[str], parcels: Counter[str]) -> list[Rate]:
    rows = [Rate(k, stalled[k], n, stalled[k] / n) for k, n in parcels.items() if n]
    return sorted(rows, key=lambda r: (-r.rate, -r.parcels, r.key))


def _by_carrier(parcels: Sequence[ParcelRow], stalled: set[str]) -> list[Rate]:
    total = Counter(p.carrier for p in parcels)
    hit = Counter(p.carrier for p in parcels if p.shipment_id in stalled)
    return _rates(hit, total)


def _outlet(location: str | None) -> str:
    return (location or "").strip() or UNKNOWN_OUTLET


def _by_outlet(parcels: Sequence[ParcelRow], stalls: Sequence[Incident]) -> list[Rate]:
    """Per scan location: parcels scanned there, and those that stalled after a scan there."""
    total: Counter[str] = Counter()
    for parcel in parcels:
        total.update({_outlet(s.location) for s in parcel.scans})
    scans = {p.shipment_id: p.scans for p in parcels}
    first: dict[str, Incident] = {}
    for stall in stalls:  # a parcel's first stall names its outlet
        first.setdefault(stall.shipment_id, stall)
    hit: Counter[str] = Counter()
    for shipment_id, ticket in first.items():
        outlet = _stall_outlet(scans[shipment_id], ticket.last_scan_at)
        hit[outlet] += 1
        total[outlet] = max(total[outlet], hit[outlet])
    return _rates(hit, total)


def _stall_outlet(scans: Sequence[ScanRow], last_scan_at: datetime | None) -> str:
    """Where the parcel was last scanned before it stalled (its newest scan at or before)."""
    before = [s for s in scans if last_scan_at is None or s.at <= last_scan_at]
    located = [s for s in before if _outlet(s.location) != UNKNOWN_OUTLET]
    if not located:
        return UNKNOWN_OUTLET
    return _outlet(max(located, key=lambda s: s.at).location)
