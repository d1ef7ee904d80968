"""Delay-risk use cases behind ``oms risk delay train`` and ``oms risk delay predict``.

Both check the whole input before writing anything, and write through temporary files, so bad
input (``ERR_RISK_DELAY_INPUT_INVALID``) leaves no output behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oms.risk.delay import store
from oms.risk.delay.dataset import read_history, read_parcels
from oms.risk.delay.flags import flag_parcels
from oms.risk.delay.model import DEFAULT_CAPACITY, DEFAULT_THRESHOLD, train_model
from oms.risk.delay.weather import FileWeatherProvider, WeatherProvider

__all__ = ["Prediction", "predict", "train"]


@dataclass(frozen=True)
class Prediction:
    """What ``predict`` wrote: how many parcels, how many flagged, and where."""

    rows: int
    flagged: int
    threshold: float
    out: str
    flags_out: str | None


def train(
    history: Path,
    out: Path,
    *,
    weather: Path | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    capacity_share: float = DEFAULT_CAPACITY,
) -> dict[str, Any]:
    """Train a model on ``history`` into ``out``; return the card.

    Raises: ERR_RISK_DELAY_INPUT_INVALID.
    """
    provider = _provider(weather)
    training = train_model(
        read_history(history),
        weather=provider,
        threshold=threshold,
        capacity_share=capacity_share,
    )
    store.save_model(training, out)
    return training.card


def predict(
    model_dir: Path,
    input_path: Path,
    out: Path,
    *,
    weather: Path | None = None,
    flags_out: Path | None = None,
    threshold: float | None = None,
) -> Prediction:
    """Score ``input_path`` into ``out`` (``parcel_id,p_late``); flagged ones into ``flags_out``.

    Raises: ERR_RISK_DELAY_INPUT_INVALID, ERR_RISK_DELAY_MODEL_INVALID.
    """
    model = store.load_model(model_dir)
    provider = _provider(weather)
    frame = read_parcels(input_path).frame
    matrix = model.features(frame, provider)
    p_late = model.probabilities(matrix)
    flagged = flag_parcels(model, frame["parcel_id"], matrix, p_late, threshold=threshold)
    store.write_csv(
        pd.DataFrame({"parcel_id": frame["parcel_id"], "p_late": np.round(p_late, 6)}), out
    )
    if flags_out is not None:
        store.write_csv(flagged, flags_out)
    return Prediction(
        rows=len(frame),
        flagged=len(flagged),
        threshold=model.threshold if threshold is None else threshold,
        out=str(out),
        flags_out=None if flags_out is None else str(flags_out),
    )


def _provider(path: Path | None) -> WeatherProvider | None:
    return None if path is None else FileWeatherProvider(path)
