"""Training, calibration, storage and scoring of a tenant's delay model.

The history is split by time (promised delivery): the oldest 70 % trains LightGBM, the next
10 % stops the boosting early and fits the isotonic calibration (scikit-learn), and the latest
20 % is only evaluated, as the model would have met it. The stored model is that one, so the
card describes exactly what ``predict`` runs. A model directory holds ``booster.txt``
(LightGBM's text format), ``model.json`` (feature levels, calibration curve, threshold) and the
model card; nothing is unpickled on loading.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.isotonic import IsotonicRegression

from oms.risk.delay.dataset import Parcels
from oms.risk.delay.errors import DelayInputInvalid
from oms.risk.delay.evaluation import Evaluation, evaluate
from oms.risk.delay.features import CATEGORICAL, FEATURES, build_features, cutoff
from oms.risk.delay.weather import WeatherProvider, fill_weather

__all__ = [
    "DEFAULT_CAPACITY",
    "DEFAULT_THRESHOLD",
    "MIN_ROWS",
    "DelayModel",
    "Training",
    "train_model",
]

DEFAULT_THRESHOLD = 0.85
DEFAULT_CAPACITY = 0.05
MIN_ROWS = 200
_SPLIT = (0.70, 0.80)  # train | calibrate | evaluate, by promised time


@dataclass(frozen=True)
class DelayModel:
    """A trained, calibrated model and what scoring needs besides it."""

    booster: lgb.Booster
    categories: dict[str, list[str]]
    curve_x: NDArray[np.float64]
    curve_y: NDArray[np.float64]
    threshold: float

    def features(self, frame: pd.DataFrame, weather: WeatherProvider | None) -> pd.DataFrame:
        """The feature matrix of checked parcels, weather filled from ``weather``."""
        filled = fill_weather(frame, weather, known_by=cutoff(frame))
        return build_features(filled, self.categories)

    def probabilities(self, matrix: pd.DataFrame) -> NDArray[np.float64]:
        """Calibrated probability of being late for each row of ``matrix``."""
        raw = np.asarray(self.booster.predict(matrix), dtype=np.float64)
        return np.interp(raw, self.curve_x, self.curve_y)


@dataclass(frozen=True)
class Training:
    """The outcome of :func:`train_model`: the model and its card's contents."""

    model: DelayModel
    card: dict[str, Any]


def train_model(
    parcels: Parcels,
    *,
    weather: WeatherProvider | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    capacity_share: float = DEFAULT_CAPACITY,
) -> Training:
    """Train, calibrate and evaluate on a time split. Raises: ERR_RISK_DELAY_INPUT_INVALID."""
    started = time.perf_counter()
    frame = parcels.frame
    frame = fill_weather(frame, weather, known_by=cutoff(frame))
    frame = frame.sort_values("promised_at", kind="stable").reset_index(drop=True)
    windows = _split(frame)
    fit, calibrate, test = windows
    x_fit = build_features(fit)
    categories = {n: [str(c) for c in x_fit[n].cat.categories] for n in CATEGORICAL}
    x_cal, x_test = (build_features(w, categories) for w in (calibrate, test))
    y_fit, y_cal, y_test = (w["late"].to_numpy(dtype=np.int8) for w in windows)
    booster = _boost(x_fit, y_fit, x_cal, y_cal)
    raw_cal = np.asarray(booster.predict(x_cal), dtype=np.float64)
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw_cal, y_cal)
    model = DelayModel(
        booster=booster,
        categories=categories,
        curve_x=np.asarray(iso.X_thresholds_, dtype=np.float64),
        curve_y=np.asarray(iso.y_thresholds_, dtype=np.float64),
        threshold=threshold,
    )
    figures = evaluate(
        y_test, model.probabilities(x_test), capacity_share=capacity_share, threshold=threshold
    )
    card = _card(
        windows,
        figures,
        booster,
        parcels,
        threshold=threshold,
        seconds=time.perf_counter() - started,
    )
    return Training(model=model, card=card)


def _split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    n = len(frame)
    if n < MIN_ROWS:
        raise DelayInputInvalid(
            f"the history has {n} delivered parcels; training needs at least {MIN_ROWS}",
            rows=n,
            minimum=MIN_ROWS,
        )
    a, b = (round(n * s) for s in _SPLIT)
    windows = (frame.iloc[:a], frame.iloc[a:b], frame.iloc[b:])
    for name, window in zip(("training", "calibration"), windows, strict=False):
        if window["late"].nunique() < 2:
            raise DelayInputInvalid(
                f"the {name} window has only {'late' if window['late'].iloc[0] else 'on-time'} "
                "parcels; the history needs both",
                window=name,
            )
    return windows


def _boost(
    x_fit: pd.DataFrame, y_fit: NDArray[np.int8], x_cal: pd.DataFrame, y_cal: NDArray[np.int8]
) -> lgb.Booster:
    params: dict[str, Any] = {
        "objective": "binary",
        "learning_rate": 0.1,
        "num_leaves": 31,
        "min_data_in_leaf": max(20, len(x_fit) // 5000),
        "max_bin": 63,
        "cat_smooth": 10.0,
        "max_cat_to_onehot": 8,
        "feature_fraction": 0.9,
        # One thread: on a machine whose cores are shared, OpenMP's spinning threads made each
        # round several times slower than one thread alone (and one thread is deterministic).
        "num_threads": 1,
        "seed": 7,
        "verbose": -1,
    }
    fit = lgb.Dataset(x_fit, label=y_fit, categorical_feature=list(CATEGORICAL))
    valid = lgb.Dataset(x_cal, label=y_cal, reference=fit)
    return lgb.train(
        params,
        fit,
        num_boost_round=400,
        valid_sets=[valid],
        callbacks=[lgb.early_stopping(20, verbose=False)],
    )


def _card(
    windows: tuple[pd.DataFrame, ...],
    figures: Evaluation,
    booster: lgb.Booster,
    parcels: Parcels,
    *,
    threshold: float,
    seconds: float,
) -> dict[str, Any]:
    def span(window: pd.DataFrame) -> dict[str, Any]:
        return {
            "rows": len(window),
            "from": window["promised_at"].iloc[0].isoformat(),
            "to": window["promised_at"].iloc[-1].isoformat(),
            "late_rate": float(window["late"].mean()),
        }

    return {
        "model": "LightGBM (binary) + isotonic calibration (scikit-learn)",
        "label": "late = delivered_at > promised_at",
        "scored_at": "12 h before promised_at",
        "features": [f.name for f in FEATURES],
        "feature_meanings": {f.name: f.meaning for f in FEATURES},
        "windows": dict(
            zip(("training", "calibration", "evaluation"), map(span, windows), strict=True)
        ),
        "rows_skipped_undelivered": parcels.skipped_undelivered,
        "boosting_rounds": booster.best_iteration or booster.current_iteration(),
        "threshold": threshold,
        "evaluation": figures.as_dict(),
        "training_seconds": round(seconds, 2),
    }
