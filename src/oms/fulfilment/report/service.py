"""The monthly fulfilment health report: a month's figures, the previous month's, the trend
and the improvement items, for one tenant with month boundaries in the tenant's zone.

A read: it writes nothing. Shipments and scans are fulfilment's own tables; payment times come
from the orders domain's queries and tickets from the tickets service.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import select

from oms.config import Settings
from oms.core.auth import get_tenant
from oms.core.errors import ValidationFailed
from oms.core.uow import Database
from oms.fulfilment.errors import ReportMonthInvalid
from oms.fulfilment.models import Shipment
from oms.fulfilment.planning.service import DEFAULT_PROMISE_HOURS
from oms.fulfilment.report.figures import (
    Incident,
    MonthFigures,
    ParcelRow,
    Rate,
    ScanRow,
    Targets,
    month_figures,
)
from oms.fulfilment.states import ShipmentStatus
from oms.fulfilment.tracking.models import ShipmentScan
from oms.orders.queries import paid_times
from oms.tickets.service import tickets_of_orders
from oms.tickets.states import TicketKind

__all__ = [
    "FulfilmentReport",
    "Improvement",
    "Month",
    "TrendRow",
    "fulfilment_report",
    "improvements",
    "parse_month",
    "report_targets",
    "trend",
]

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_BATCH = 500


@dataclass(frozen=True, slots=True)
class Month:
    """A calendar month in a zone: ``start`` inclusive, ``end`` exclusive, both aware."""

    label: str
    start: datetime
    end: datetime

    def previous(self) -> Month:
        day = self.start.date() - timedelta(days=1)
        return _month(day.year, day.month, self.start.tzinfo)


def _month(year: int, month: int, zone: tzinfo | None) -> Month:
    start = datetime.combine(date(year, month, 1), time.min, zone)
    following = date(year + month // 12, month % 12 + 1, 1)
    return Month(f"{year:04d}-{month:02d}", start, datetime.combine(following, time.min, zone))


def parse_month(text: str, zone: ZoneInfo, *, now: datetime) -> Month:
    """``YYYY-MM`` as a month in ``zone``; it must have begun by ``now``.

    Raises: ERR_REPORT_MONTH_INVALID.
    """
    found = _MONTH.match(text.strip())
    if not found or not (2000 <= int(found[1]) <= 9999 and 1 <= int(found[2]) <= 12):
        raise ReportMonthInvalid("month must be YYYY-MM, e.g. 2026-01", month=text[:32])
    month = _month(int(found[1]), int(found[2]), zone)
    if month.start > now:
        raise ReportMonthInvalid("that month has not begun yet", month=month.label)
    return month


def report_targets(settings: Settings, *, outbound_hours: float | None = None) -> Targets:
    """The targets configured (``OMS_FULFILMENT_*``); ``outbound_hours`` overrides the benchmark.

    Raises: ERR_VALIDATION (a benchmark that is not a positive number of hours).
    """
    if outbound_hours is not None and not 0 < outbound_hours <= 720:
        message = "benchmark hours must be above 0 and at most 720"
        raise ValidationFailed(message, field="benchmark_hours")
    return Targets(
        outbound_hours=outbound_hours or settings.fulfilment_outbound_benchmark_hours,
        on_time_rate=settings.fulfilment_on_time_target,
        stall_rate=settings.fulfilment_stall_rate_target,
        exception_rate=settings.fulfilment_exception_rate_target,
    )


@dataclass(frozen=True, slots=True)
class TrendRow:
    """One figure this month, last month, and the change (None where either is missing)."""

    key: str
    unit: str  # "h", "ratio" or "count"
    value: float | None
    previous: float | None
    delta: float | None


@dataclass(frozen=True, slots=True)
class Improvement:
    """A figure that misses its target, and the days left in the month under way to meet it."""

    key: str
    subject: str | None  # the carrier, for a carrier's stall rate
    unit: str
    value: float
    target: float
    deadline: date
    days_left: int


@dataclass(frozen=True, slots=True)
class FulfilmentReport:
    tenant_id: str
    month: str
    timezone: str
    period_start: datetime
    period_end: datetime
    generated_at: datetime
    promise_hours: int
    targets: Targets
    current: MonthFigures
    previous: MonthFigures
    trend: list[TrendRow]
    improvements: list[Improvement]


def fulfilment_report(
    db: Database, tenant_id: str, month: str, *, targets: Targets = Targets()
) -> FulfilmentReport:
    """The tenant's report for ``month`` (YYYY-MM in the tenant's zone), with the month before.

    Raises: ERR_NOT_FOUND (no such tenant), ERR_REPORT_MONTH_INVALID.
    """
    zone_name = get_tenant(db, tenant_id).timezone
    now = db.clock.now()
    period = parse_month(month, ZoneInfo(zone_name), now=now)
    current = _figures(db, tenant_id, period, now)
    previous = _figures(db, tenant_id, period.previous(), now)
    return FulfilmentReport(
        tenant_id=tenant_id,
        month=period.label,
        timezone=zone_name,
        period_start=period.start,
        period_end=period.end,
        generated_at=now,
        promise_hours=DEFAULT_PROMISE_HOURS,
        targets=targets,
        current=current,
        previous=previous,
        trend=trend(current, previous),
        improvements=improvements(current, targets, now=now.astimezone(ZoneInfo(zone_name))),
    )


def _figures(db: Database, tenant_id: str, month: Month, now: datetime) -> MonthFigures:
    parcels = _parcels(db, tenant_id, month)
    order_ids = sorted({p.order_id for p in parcels})
    kinds = [TicketKind.DELIVERY_STALLED, TicketKind.DELIVERY_EXCEPTION]
    stalls: list[Incident] = []
    exceptions: list[Incident] = []
    for ticket in tickets_of_orders(db, tenant_id, order_ids, kinds):
        details = ticket.details or {}
        shipment_id = details.get("shipment_id")
        if not isinstance(shipment_id, str):
            continue
        if ticket.kind == TicketKind.DELIVERY_STALLED:
            last = details.get("last_scan_at")
            at = datetime.fromisoformat(last) if isinstance(last, str) else None
            stalls.append(Incident(shipment_id, "stalled", at))
        else:
            cause = details.get("tracking_sub_status") or "exception"
            exceptions.append(Incident(shipment_id, str(cause)))
    return month_figures(
        month.label,
        parcels,
        stalls=stalls,
        exceptions=exceptions,
        promise=timedelta(hours=DEFAULT_PROMISE_HOURS),
        now=now,
    )


def _parcels(db: Database, tenant_id: str, month: Month) -> list[ParcelRow]:
    with db.reader() as session:
        shipments = session.execute(
            select(Shipment.id, Shipment.order_id, Shipment.carrier, Shipment.shipped_at).where(
                Shipment.tenant_id == tenant_id,
                Shipment.status == ShipmentStatus.ACCEPTED,
                Shipment.shipped_at >= month.start,
                Shipment.shipped_at < month.end,
            )
        ).all()
        ids = [row.id for row in shipments]
        scans: dict[str, list[ScanRow]] = {i: [] for i in ids}
        for start in range(0, len(ids), _BATCH):
            rows = session.execute(
                select(
                    ShipmentScan.shipment_id,
                    ShipmentScan.at,
                    ShipmentScan.tracking_status,
                    ShipmentScan.location,
                )
                .where(
                    ShipmentScan.tenant_id == tenant_id,
                    ShipmentScan.shipment_id.in_(ids[start : start + _BATCH]),
                )
                .order_by(ShipmentScan.at)
            )
            for r in rows:
                scans[r.shipment_id].append(ScanRow(r.at, r.tracking_status, r.location))
    paid = paid_times(db, tenant_id, [row.order_id for row in shipments])
    return [
        ParcelRow(r.id, r.order_id, r.carrier, r.shipped_at, paid.get(r.order_id), scans[r.id])
        for r in shipments
    ]


def _pairs(figures: MonthFigures) -> dict[str, tuple[str, float | None]]:
    return {
        "parcels": ("count", float(figures.parcels)),
        "outbound_median": ("h", figures.outbound.median_hours),
        "outbound_p90": ("h", figures.outbound.p90_hours),
        "on_time_rate": ("ratio", figures.on_time.rate),
        "stall_rate": ("ratio", figures.stall_rate),
        "exception_rate": ("ratio", figures.exception_rate),
    }


def trend(current: MonthFigures, previous: MonthFigures) -> list[TrendRow]:
    """Each headline figure with the previous month's and the change."""
    before = _pairs(previous)
    rows = []
    for key, (unit, value) in _pairs(current).items():
        old = before[key][1]
        delta = value - old if value is not None and old is not None else None
        rows.append(TrendRow(key, unit, value, old, delta))
    return rows


def improvements(current: MonthFigures, targets: Targets, *, now: datetime) -> list[Improvement]:
    """An item per figure that misses its target, due at the end of the month under way.

    ``now`` is in the tenant's zone: the countdown counts today.
    """
    deadline = _month(now.year, now.month, now.tzinfo).end.date() - timedelta(days=1)
    days_left = (deadline - now.date()).days + 1
    found: list[tuple[str, str | None, str, float, float]] = []
    hours = targets.outbound_hours
    for key, value in (
        ("outbound_median", current.outbound.median_hours),
        ("outbound_p90", current.outbound.p90_hours),
    ):
        if value is not None and value > hours:
            found.append((key, None, "h", value, hours))
    on_time = current.on_time.rate
    if on_time is not None and on_time < targets.on_time_rate:
        found.append(("on_time_rate", None, "ratio", on_time, targets.on_time_rate))
    found += _over("stall_rate", current.stall_by_carrier, targets.stall_rate)
    if current.stall_rate is not None and current.stall_rate > targets.stall_rate:
        found.append(("stall_rate", None, "ratio", current.stall_rate, targets.stall_rate))
    rate = current.exception_rate
    if rate is not None and rate > targets.exception_rate:
        found.append(("exception_rate", None, "ratio", rate, targets.exception_rate))
    return [Improvement(*item, deadline=deadline, days_left=days_left) for item in found]


def _over(
    key: str, rates: Sequence[Rate], target: float
) -> list[tuple[str, str | None, str, float, float]]:
    return [(f"{key}_carrier", r.key, "ratio", r.rate, target) for r in rates if r.rate > target]
