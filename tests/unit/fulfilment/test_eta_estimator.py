"""The ETA estimator: coverage of its windows on a seeded LaDe-shaped set, backoff to coarser
keys, the default with little history, conditional windows for late parcels, serialisation."""

from __future__ import annotations

from datetime import datetime, timedelta

from bench.lade_data import COLUMNS, generate
from oms.fulfilment.eta.estimator import (
    DEFAULT_WINDOW,
    MIN_HISTORY,
    MIN_SAMPLES,
    EtaModel,
    Sample,
    learn,
)


def _samples(seed: int, parcels: int) -> list[Sample]:
    rows = generate(seed=seed, parcels=parcels, days=28, start=datetime(2026, 3, 2))
    return [
        Sample(
            r.carrier,
            f"{r.from_province}>{r.city_province}",
            r.ship_time.hour,
            (r.delivered_at - r.ship_time).total_seconds() / 3600,
            r.ship_time.timestamp(),
        )
        for r in rows
    ]


def test_the_generator_draws_ladeds_columns_and_later_deliveries_than_shipping() -> None:
    rows = generate(seed=1, parcels=50, days=7)
    assert all(tuple(r.values) == COLUMNS for r in rows)
    assert all(r.delivered_at > r.ship_time for r in rows)


def test_windows_cover_at_least_90_percent_of_later_parcels() -> None:
    samples = _samples(seed=11, parcels=8000)
    cut = samples[0].at + timedelta(days=21).total_seconds()
    model = learn([s for s in samples if s.at < cut])
    assert model is not None
    judged = [s for s in samples if s.at >= cut]
    windows = [model.window(s.carrier, s.route, s.hour) for s in judged]
    hits = sum(w.from_hours <= s.hours <= w.to_hours for w, s in zip(windows, judged, strict=True))
    assert hits / len(judged) >= 0.90
    # Narrower than the one window that covers everyone (the default).
    mean_width = sum(w.width for w in windows) / len(windows)
    assert mean_width < DEFAULT_WINDOW[1] - DEFAULT_WINDOW[0]
    assert all(w.from_hours == int(w.from_hours) and w.to_hours == int(w.to_hours) for w in windows)


def test_too_little_history_gives_no_model_and_the_default_window() -> None:
    few = [Sample("jd", "浙江省>上海市", 10, 20.0, float(i)) for i in range(MIN_HISTORY - 1)]
    assert learn(few) is None
    model = learn([*few, Sample("jd", "浙江省>上海市", 10, 20.0, 1e6)])
    assert model is not None
    unknown = model.window("yunda", "广东省>吉林省", 3)
    assert (unknown.basis, unknown.samples) == ("all", MIN_HISTORY)
    empty = EtaModel({}, 0.0, 0, 0.0).window("jd", "?>?", 1)
    assert (empty.from_hours, empty.to_hours, empty.basis) == (*DEFAULT_WINDOW, "default")


def test_a_thin_key_backs_off_to_the_carrier_and_route() -> None:
    day = [Sample("jd", "浙江省>上海市", 10, 20.0 + i % 5, float(i)) for i in range(200)]
    night = [Sample("jd", "浙江省>上海市", 23, 30.0, 1e6 + i) for i in range(MIN_SAMPLES - 1)]
    model = learn(day + night)
    assert model is not None
    assert model.window("jd", "浙江省>上海市", 10).basis == "carrier_route_hour"
    assert model.window("jd", "浙江省>上海市", 23).basis == "carrier_route"


def test_a_late_parcel_gets_a_window_after_the_time_already_passed() -> None:
    samples = _samples(seed=5, parcels=3000)
    model = learn(samples)
    assert model is not None
    first = samples[0]
    fresh = model.window(first.carrier, first.route, first.hour)
    late = model.window(first.carrier, first.route, first.hour, elapsed_hours=fresh.to_hours + 3)
    assert late.from_hours >= fresh.to_hours + 3
    assert late.to_hours > late.from_hours


def test_the_model_survives_its_json_form() -> None:
    model = learn(_samples(seed=3, parcels=1000))
    assert model is not None
    again = EtaModel.from_json(model.to_json())
    assert again.window("jd", "浙江省>上海市", 14) == model.window("jd", "浙江省>上海市", 14)
