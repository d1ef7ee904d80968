"""Weather signals for delay risk, from pluggable providers.

A provider answers a batch of questions "what was forecast, by ``known_by``, for ``city`` at the
hour ``valid_at``?" with the latest forecast issued no later than ``known_by``. Asking by the
cut-off (12 h before the promised delivery) is what keeps observed weather, known only
afterwards, out of the model. Here the provider reads a file; an HTTP provider implements the
same :class:`WeatherProvider` protocol later (and is called from a job, never from a request).

The file is a CSV with ``city, issued_at, valid_at, weather_code, rain_mm, temp_c`` (times ISO
8601 with offset; ``weather_code`` a WMO weather interpretation code, as weather services
publish them; extra columns ignored).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pandas as pd

from oms.risk.delay.errors import DelayInputInvalid

__all__ = ["FIELDS", "FileWeatherProvider", "WeatherProvider", "fill_weather"]

FIELDS = ("weather_code", "rain_mm", "temp_c")
_FILE_COLUMNS = ("city", "issued_at", "valid_at", *FIELDS)


class WeatherProvider(Protocol):
    """Forecasts as known at a time; ``requests`` has ``city``, ``valid_at``, ``known_by``."""

    def forecasts(self, requests: pd.DataFrame) -> pd.DataFrame:
        """One row per request (same index) with :data:`FIELDS`; missing is NA."""
        ...


class FileWeatherProvider:
    """Forecasts read from a CSV file (see the module docstring for its columns)."""

    def __init__(self, path: Path) -> None:
        self._table = _read_forecasts(path)

    def forecasts(self, requests: pd.DataFrame) -> pd.DataFrame:
        """The latest forecast for each (city, hour) issued at or before ``known_by``."""
        left = requests.assign(
            _row=range(len(requests)), valid_at=requests["valid_at"].dt.floor("h")
        ).sort_values("known_by")
        merged = pd.merge_asof(
            left,
            self._table,
            left_on="known_by",
            right_on="issued_at",
            by=["city", "valid_at"],
            direction="backward",
            allow_exact_matches=True,
        ).sort_values("_row")
        out = merged[list(FIELDS)].reset_index(drop=True)
        out.index = requests.index
        return out


def fill_weather(
    frame: pd.DataFrame, provider: WeatherProvider | None, *, known_by: pd.Series
) -> pd.DataFrame:
    """``frame`` with its weather columns filled from ``provider`` where the file left them out.

    The forecast asked for is the destination city's at the promised hour.
    """
    if provider is None:
        return frame
    requests = pd.DataFrame(
        {"city": frame["dest_city"], "valid_at": frame["promised_at"], "known_by": known_by}
    )
    found = provider.forecasts(requests)
    filled = frame.copy()
    for name in FIELDS:
        filled[name] = filled[name].where(filled[name].notna(), found[name])
    return filled


def _read_forecasts(path: Path) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, ValueError) as error:
        raise DelayInputInvalid(f"{path}: cannot read the weather file ({error})") from error
    missing = [c for c in _FILE_COLUMNS if c not in raw.columns]
    if missing:
        raise DelayInputInvalid(
            f"{path}: missing column(s) {', '.join(missing)}", file=str(path), columns=missing
        )
    table = pd.DataFrame({"city": raw["city"].str.strip(), "weather_code": raw["weather_code"]})
    for name in ("issued_at", "valid_at"):
        parsed = pd.to_datetime(raw[name], format="ISO8601", utc=True, errors="coerce")
        bad = parsed.isna()
        if bool(bad.any()):
            row = int(bad.to_numpy().argmax())
            raise DelayInputInvalid(
                f"{path}: row {row + 1} (line {row + 2}), column {name} is not an ISO 8601 time",
                file=str(path),
                row=row + 1,
                column=name,
            )
        table[name] = parsed
    table["valid_at"] = table["valid_at"].dt.floor("h")
    for name in ("rain_mm", "temp_c"):
        table[name] = pd.to_numeric(raw[name], errors="coerce").astype("float64")
    return table.sort_values("issued_at").reset_index(drop=True)
