"""Only what is known 12 h before the promised delivery reaches the delay model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from oms.risk.delay.dataset import read_history, read_parcels
from oms.risk.delay.features import FEATURES, KNOWN_ONLY_AFTER, build_features
from oms.risk.delay.model import train_model
from oms.risk.delay.weather import FileWeatherProvider, fill_weather
from tests.unit.risk.delay_history import history_frame, write


def test_the_trained_model_sees_exactly_the_declared_features_and_nothing_after_delivery(
    tmp_path: Path,
) -> None:
    parcels = read_history(write(history_frame(), tmp_path / "h.csv"))
    training = train_model(parcels)
    seen = training.model.booster.feature_name()
    assert seen == [f.name for f in FEATURES] == training.card["features"]
    assert not KNOWN_ONLY_AFTER.intersection(seen)
    assert not any("deliver" in name or name == "late" for name in seen)


def test_the_training_matrix_does_not_change_when_delivery_times_change(tmp_path: Path) -> None:
    """If anything derived from delivered_at entered the features, scrambling it would show."""
    frame = history_frame()
    scrambled = frame.assign(
        delivered_at=frame["delivered_at"].sample(frac=1, random_state=3).values
    )
    a = read_history(write(frame, tmp_path / "a.csv")).frame
    b = read_history(write(scrambled, tmp_path / "b.csv")).frame
    assert not (a["late"] == b["late"]).all()  # the scramble did change the labels
    pd.testing.assert_frame_equal(build_features(a), build_features(b))


def test_a_parcel_not_shipped_at_the_cutoff_looks_the_same_whenever_it_ships_later(
    tmp_path: Path,
) -> None:
    frame = history_frame(3).drop(columns=["delivered_at"])
    frame.loc[:, "promised_at"] = "2026-03-02T18:00:00+08:00"
    frame.loc[0, "shipped_at"] = "2026-03-02T08:00:00+08:00"  # 10 h before: after the cut-off
    frame.loc[1, "shipped_at"] = "2026-03-02T15:30:00+08:00"
    frame.loc[2, "shipped_at"] = "2026-03-01T18:00:00+08:00"  # 24 h before: known
    frame.loc[:, ["carrier", "service", "dest_city", "outlet_id", "outlet_load"]] = frame.loc[
        0, ["carrier", "service", "dest_city", "outlet_id", "outlet_load"]
    ].to_numpy()
    matrix = build_features(read_parcels(write(frame, tmp_path / "x.csv")).frame)
    pd.testing.assert_series_equal(matrix.iloc[0], matrix.iloc[1], check_names=False)
    assert matrix["is_shipped_by_cutoff"].tolist() == [0.0, 0.0, 1.0]
    assert matrix.loc[2, "promised_lead_h"] == 24.0
    assert np.isnan(matrix.loc[0, "promised_lead_h"])


def test_hours_and_weekdays_are_local_to_the_written_offset(tmp_path: Path) -> None:
    frame = history_frame(2).drop(columns=["delivered_at"])
    frame.loc[0, "promised_at"] = "2026-03-02T23:30:00+08:00"  # Monday 23:30 in Shanghai
    frame.loc[1, "promised_at"] = "2026-03-02T15:30:00Z"  # the same instant, written in UTC
    frame.loc[:, "shipped_at"] = "2026-02-27T10:00:00+08:00"
    matrix = build_features(read_parcels(write(frame, tmp_path / "x.csv")).frame)
    assert matrix["promised_hour"].tolist() == [23.0, 15.0]
    assert matrix["promised_weekday"].tolist() == [0.0, 0.0]


def test_weather_comes_from_the_latest_forecast_issued_by_the_cutoff(tmp_path: Path) -> None:
    frame = history_frame(1).drop(columns=["delivered_at"])
    frame.loc[0, ["dest_city", "promised_at"]] = ["Beijing", "2026-03-02T18:20:00+08:00"]
    frame.loc[0, "shipped_at"] = "2026-03-01T09:00:00+08:00"
    forecasts = pd.DataFrame(
        {
            "city": ["Beijing", "Beijing", "Beijing", "Shanghai"],
            "issued_at": [
                "2026-03-01T00:00:00+08:00",
                "2026-03-02T05:00:00+08:00",  # latest issued by the cut-off (06:20)
                "2026-03-02T17:00:00+08:00",  # after the cut-off: what happened, not forecast
                "2026-03-02T05:00:00+08:00",
            ],
            "valid_at": ["2026-03-02T18:00:00+08:00"] * 4,
            "weather_code": ["3", "63", "65", "0"],
            "rain_mm": [0.0, 6.5, 25.0, 0.0],
            "temp_c": [4.0, 3.0, 2.0, 10.0],
        }
    )
    provider = FileWeatherProvider(write(forecasts, tmp_path / "w.csv"))
    parcels = read_parcels(write(frame, tmp_path / "x.csv")).frame
    filled = fill_weather(
        parcels, provider, known_by=parcels["promised_at"] - pd.Timedelta(hours=12)
    )
    assert filled.loc[0, ["weather_code", "rain_mm", "temp_c"]].tolist() == ["63", 6.5, 3.0]
