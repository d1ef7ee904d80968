"""The monthly report's figures as pure functions: quantiles, the promise, stalls per carrier
and outlet, exceptions by cause, the trend, the improvement items' countdown, month bounds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from oms.config import Settings
from oms.core.errors import ValidationFailed
from oms.fulfilment.errors import ReportMonthInvalid
from oms.fulfilment.report.figures import (
    UNKNOWN_OUTLET,
    Incident,
    ParcelRow,
    Rate,
    ScanRow,
    Targets,
    month_figures,
)
from oms.fulfilment.report.service import improvements, parse_month, report_targets, trend

T0 = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")
PROMISE = timedelta(hours=72)


def _parcel(
    n: int, hours: float, carrier: str = "shunfeng", scans: list[ScanRow] | None = None
) -> ParcelRow:
    return ParcelRow(f"s{n}", f"o{n}", carrier, T0 + timedelta(hours=hours), T0, scans or [])


def _scan(hours: float, status: str = "in_transit", location: str | None = None) -> ScanRow:
    return ScanRow(T0 + timedelta(hours=hours), status, location)


def test_outbound_median_and_p90_interpolate_between_ranks() -> None:
    parcels = [_parcel(i, h) for i, h in enumerate([1, 2, 3, 4, 10])]
    figures = month_figures("2026-01", parcels, stalls=[], exceptions=[], promise=PROMISE, now=T0)
    assert figures.outbound.median_hours == 3.0
    assert figures.outbound.p90_hours == pytest.approx(7.6)
    assert [b.parcels for b in figures.outbound.distribution] == [1, 1, 1, 1, 0, 1, 0, 0, 0]


def test_a_parcel_of_an_unpaid_order_counts_as_shipped_but_not_in_outbound_or_on_time() -> None:
    unpaid = ParcelRow("s9", "o9", "jd", T0, None, [_scan(1, "delivered")])
    figures = month_figures("2026-01", [unpaid], stalls=[], exceptions=[], promise=PROMISE, now=T0)
    assert (figures.parcels, figures.outbound.parcels, figures.outbound.median_hours) == (
        1,
        0,
        None,
    )
    assert (figures.on_time.on_time, figures.on_time.late, figures.on_time.rate) == (0, 0, None)


def test_on_time_is_delivery_by_paid_plus_promise_and_undelivered_parcels_wait_until_due() -> None:
    parcels = [
        _parcel(1, 1, scans=[_scan(72, "delivered")]),  # exactly at the promise: on time
        _parcel(2, 1, scans=[_scan(72.5, "delivered")]),
        _parcel(3, 1),  # not delivered, due at T0 + 72 h
    ]
    before_due = month_figures(
        "m", parcels, stalls=[], exceptions=[], promise=PROMISE, now=T0 + timedelta(hours=71)
    )
    assert (before_due.on_time.on_time, before_due.on_time.late, before_due.on_time.pending) == (
        1,
        1,
        1,
    )
    assert before_due.on_time.rate == 0.5
    after_due = month_figures(
        "m", parcels, stalls=[], exceptions=[], promise=PROMISE, now=T0 + timedelta(hours=73)
    )
    assert (after_due.on_time.late, after_due.on_time.pending) == (2, 0)


def test_stalls_count_per_carrier_and_per_outlet_of_the_scan_before_the_stall() -> None:
    hub, station = "杭州转运中心", "杭州西湖区"
    parcels = [
        _parcel(1, 1, scans=[_scan(2, location=hub), _scan(9, "delivered", station)]),
        _parcel(2, 1, scans=[_scan(2, location=hub), _scan(3, location=station)]),
        _parcel(3, 1, "zhongtong", scans=[_scan(2, location=None)]),
        _parcel(4, 1, "zhongtong"),
    ]
    stalls = [
        Incident("s2", "stalled", T0 + timedelta(hours=2)),  # stalled after the hub scan
        Incident("s2", "stalled", T0 + timedelta(hours=3)),  # the same parcel again
        Incident("s3", "stalled", T0 + timedelta(hours=2)),
        Incident("elsewhere", "stalled", T0),  # not a parcel of the month
    ]
    figures = month_figures("m", parcels, stalls=stalls, exceptions=[], promise=PROMISE, now=T0)
    assert (figures.stalled, figures.stall_rate) == (2, 0.5)
    assert figures.stall_by_carrier == [
        Rate("shunfeng", 1, 2, 0.5),
        Rate("zhongtong", 1, 2, 0.5),
    ]
    assert figures.stall_by_outlet == [
        Rate(UNKNOWN_OUTLET, 1, 1, 1.0),
        Rate(hub, 1, 2, 0.5),
        Rate(station, 0, 2, 0.0),
    ]


def test_exceptions_are_counted_by_cause_and_parcel() -> None:
    parcels = [_parcel(1, 1), _parcel(2, 1), _parcel(3, 1), _parcel(4, 1)]
    exceptions = [Incident("s1", "damaged"), Incident("s2", "lost"), Incident("s1", "damaged")]
    figures = month_figures("m", parcels, stalls=[], exceptions=exceptions, promise=PROMISE, now=T0)
    assert [(c.cause, c.tickets) for c in figures.exceptions_by_cause] == [
        ("damaged", 2),
        ("lost", 1),
    ]
    assert (figures.exception_parcels, figures.exception_rate) == (2, 0.5)


def test_trend_gives_each_figure_with_last_months_and_the_change() -> None:
    now = month_figures(
        "b", [_parcel(1, 3), _parcel(2, 3)], stalls=[], exceptions=[], promise=PROMISE, now=T0
    )
    before = month_figures("a", [_parcel(1, 2)], stalls=[], exceptions=[], promise=PROMISE, now=T0)
    rows = {row.key: row for row in trend(now, before)}
    assert (rows["parcels"].value, rows["parcels"].previous, rows["parcels"].delta) == (2, 1, 1)
    assert rows["outbound_p90"].delta == pytest.approx(1.0)
    assert rows["on_time_rate"].delta is None  # no parcel was due yet in either month


def test_improvement_items_name_each_missed_target_and_the_days_left_in_the_month() -> None:
    parcels = [_parcel(1, 3.1, scans=[_scan(80, "delivered")]), _parcel(2, 1, "jd")]
    figures = month_figures(
        "m", parcels, stalls=[Incident("s2", "stalled")], exceptions=[], promise=PROMISE, now=T0
    )
    now = datetime(2026, 2, 2, 12, 0, tzinfo=SHANGHAI)
    items = improvements(figures, Targets(), now=now)
    assert [(i.key, i.subject) for i in items] == [
        ("outbound_p90", None),
        ("on_time_rate", None),
        ("stall_rate_carrier", "jd"),
        ("stall_rate", None),
    ]
    assert items[0].value == pytest.approx(2.89) and items[0].target == 2.3
    assert {(i.deadline, i.days_left) for i in items} == {(date(2026, 2, 28), 27)}
    assert (
        improvements(figures, Targets(outbound_hours=5, on_time_rate=0, stall_rate=1), now=now)
        == []
    )


def test_months_are_bounded_in_the_tenants_zone() -> None:
    now = datetime(2026, 2, 2, tzinfo=UTC)
    month = parse_month("2026-01", SHANGHAI, now=now)
    assert (month.start, month.end) == (
        datetime(2025, 12, 31, 16, 0, tzinfo=UTC),
        datetime(2026, 1, 31, 16, 0, tzinfo=UTC),
    )
    assert month.previous().label == "2025-12"
    assert parse_month("2025-12", SHANGHAI, now=now).end == month.start


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-1", "26-01", "2026/01", "", "1999-12", "2026-03"]
)
def test_a_month_that_is_malformed_or_not_yet_begun_is_refused(text: str) -> None:
    with pytest.raises(ReportMonthInvalid) as refused:
        parse_month(text, SHANGHAI, now=datetime(2026, 2, 2, tzinfo=UTC))
    assert refused.value.code == "ERR_REPORT_MONTH_INVALID"


def test_targets_come_from_the_settings_and_the_benchmark_can_be_overridden() -> None:
    settings = Settings(fulfilment_outbound_benchmark_hours=3.0, fulfilment_on_time_target=0.9)
    assert report_targets(settings) == Targets(3.0, 0.9, 0.03, 0.01)
    assert report_targets(settings, outbound_hours=1.5).outbound_hours == 1.5
    with pytest.raises(ValidationFailed):
        report_targets(settings, outbound_hours=0)
