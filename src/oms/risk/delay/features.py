"""The delay model's features: each one known at the cut-off, 12 h before the promised delivery.

Every feature declares the input columns it is computed from; :func:`build_features` hands the
computation only those columns (never ``delivered_at`` or the label), and a parcel not yet
shipped at the cut-off has its shipping features missing, because at the cut-off nobody knows
when it will ship. Hours and weekdays are the local ones of the time as written (its offset).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oms.risk.delay.dataset import DELIVERED_AT

__all__ = [
    "CATEGORICAL",
    "CUTOFF_HOURS",
    "FEATURES",
    "KNOWN_ONLY_AFTER",
    "Feature",
    "build_features",
    "cutoff",
]

CUTOFF_HOURS = 12
# Columns a parcel has only after its delivery; no feature may be computed from them.
KNOWN_ONLY_AFTER = frozenset({DELIVERED_AT, "late"})


@dataclass(frozen=True)
class Feature:
    """A model input, the columns it is computed from, and what it means (for the card)."""

    name: str
    sources: tuple[str, ...]
    meaning: str
    is_categorical: bool = False


FEATURES: tuple[Feature, ...] = (
    Feature("carrier", ("carrier",), "carrier", True),
    Feature("service", ("service",), "carrier's service level", True),
    Feature("origin_city", ("origin_city",), "origin city", True),
    Feature("dest_city", ("dest_city",), "destination city", True),
    Feature("route", ("origin_city", "dest_city"), "origin → destination", True),
    Feature("outlet_id", ("outlet_id",), "outlet", True),
    Feature("outlet_load", ("outlet_load",), "parcels in flight at the outlet at the cut-off"),
    Feature("promised_hour", ("promised_at", "promised_at_offset_min"), "local hour promised"),
    Feature("promised_weekday", ("promised_at", "promised_at_offset_min"), "weekday promised"),
    Feature("is_shipped_by_cutoff", ("shipped_at", "promised_at"), "shipped by the cut-off"),
    Feature(
        "promised_lead_h",
        ("shipped_at", "promised_at"),
        "hours from shipping to the promise (missing when not shipped by the cut-off)",
    ),
    Feature(
        "shipped_hour",
        ("shipped_at", "shipped_at_offset_min", "promised_at"),
        "local hour shipped (missing when not shipped by the cut-off)",
    ),
    Feature(
        "weather_code", ("weather_code",), "WMO weather code forecast at the destination", True
    ),
    Feature("rain_mm", ("rain_mm",), "rain forecast at the destination (mm)"),
    Feature("temp_c", ("temp_c",), "temperature forecast at the destination (°C)"),
)
CATEGORICAL = tuple(f.name for f in FEATURES if f.is_categorical)


def cutoff(frame: pd.DataFrame) -> pd.Series:
    """The instant each parcel is scored at: 12 h before its promised delivery."""
    return frame["promised_at"] - pd.Timedelta(hours=CUTOFF_HOURS)


def build_features(
    frame: pd.DataFrame, categories: dict[str, list[str]] | None = None
) -> pd.DataFrame:
    """The feature matrix, in :data:`FEATURES` order, computed only from declared sources.

    ``categories`` (from training) fixes each categorical feature's levels; a level unseen in
    training becomes missing. Without it the levels are learnt from ``frame``.
    """
    sources = sorted({s for f in FEATURES for s in f.sources})
    leaked = KNOWN_ONLY_AFTER.intersection(sources)
    if leaked:
        raise AssertionError(f"features computed from post-delivery columns: {sorted(leaked)}")
    known = frame[sources]
    columns = _computed(known)
    matrix = pd.DataFrame({f.name: columns[f.name] for f in FEATURES}, index=frame.index)
    for name in CATEGORICAL:
        levels = None if categories is None else categories[name]
        matrix[name] = pd.Categorical(matrix[name].astype("string"), categories=levels)
    return matrix


def _computed(known: pd.DataFrame) -> dict[str, pd.Series]:
    scored_at = cutoff(known)
    promised_local = _local(known["promised_at"], known["promised_at_offset_min"])
    shipped_local = _local(known["shipped_at"], known["shipped_at_offset_min"])
    is_shipped = known["shipped_at"] <= scored_at
    lead = (known["promised_at"] - known["shipped_at"]).dt.total_seconds() / 3600
    return {
        **{name: known[name] for name in ("carrier", "service", "origin_city", "dest_city")},
        "route": known["origin_city"] + "→" + known["dest_city"],
        "outlet_id": known["outlet_id"],
        "outlet_load": known["outlet_load"].astype("float64"),
        "promised_hour": promised_local.dt.hour.astype("float64"),
        "promised_weekday": promised_local.dt.day_of_week.astype("float64"),
        "is_shipped_by_cutoff": is_shipped.astype("float64"),
        "promised_lead_h": lead.where(is_shipped, np.nan).astype("float64"),
        "shipped_hour": shipped_local.dt.hour.where(is_shipped, np.nan).astype("float64"),
        "weather_code": known["weather_code"],
        "rain_mm": known["rain_mm"].astype("float64"),
        "temp_c": known["temp_c"].astype("float64"),
    }


def _local(utc: pd.Series, offset_min: pd.Series) -> pd.Series:
    """Wall-clock time as written: UTC plus the written offset, without a zone."""
    local: pd.Series = utc.dt.tz_localize(None) + pd.to_timedelta(offset_min, unit="min")
    return local
