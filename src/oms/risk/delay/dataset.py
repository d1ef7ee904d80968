"""Reading and checking the delay-risk CSV files (history for ``train``, parcels for ``predict``).

Columns outside :data:`REQUIRED` and :data:`OPTIONAL` (and ``delivered_at`` in history) are
dropped on reading, so nothing a file happens to carry can reach the model. Times are ISO 8601
with an offset; a time without one is refused rather than guessed. Rows are named the way a
person finds them in a spreadsheet: ``row`` counts data rows from 1, ``line`` is the file line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from oms.risk.delay.errors import DelayInputInvalid

__all__ = [
    "DELIVERED_AT",
    "OPTIONAL",
    "REQUIRED",
    "TIME_COLUMNS",
    "Parcels",
    "read_history",
    "read_parcels",
]

REQUIRED = (
    "parcel_id",
    "carrier",
    "service",
    "origin_city",
    "dest_city",
    "outlet_id",
    "shipped_at",
    "promised_at",
    "outlet_load",
)
OPTIONAL = ("weather_code", "rain_mm", "temp_c")
DELIVERED_AT = "delivered_at"
TIME_COLUMNS = ("shipped_at", "promised_at")
_NUMERIC = ("outlet_load", "rain_mm", "temp_c")
_TEXT = ("parcel_id", "carrier", "service", "origin_city", "dest_city", "outlet_id")
# The offset after a time of day (so a bare date's "-02" is not taken for one).
_OFFSET = r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)$"


@dataclass(frozen=True)
class Parcels:
    """A checked file: text columns as strings, times as aware UTC plus their local offset.

    ``frame`` has the text and numeric columns, ``<time>`` (UTC) and ``<time>_offset_min`` for
    each time column; ``late`` (history only) is 1 when ``delivered_at > promised_at``.
    """

    frame: pd.DataFrame
    skipped_undelivered: int = 0


def read_parcels(path: Path) -> Parcels:
    """Read a file of parcels to score. Raises: ERR_RISK_DELAY_INPUT_INVALID."""
    raw = _read(path, required=REQUIRED)
    return Parcels(frame=_checked(raw, path))


def read_history(path: Path) -> Parcels:
    """Read a tenant's history; rows without ``delivered_at`` (in flight) are left out.

    Raises: ERR_RISK_DELAY_INPUT_INVALID.
    """
    raw = _read(path, required=(*REQUIRED, DELIVERED_AT))
    delivered = raw[DELIVERED_AT].notna()
    frame = _checked(raw, path)
    delivered_at = _times(raw[DELIVERED_AT].where(delivered), DELIVERED_AT, path, optional=True)
    frame = frame.assign(late=(delivered_at[0] > frame["promised_at"]).astype("int8"))
    kept = frame[delivered.to_numpy()].reset_index(drop=True)
    return Parcels(frame=kept, skipped_undelivered=int((~delivered).sum()))


def _read(path: Path, *, required: tuple[str, ...]) -> pd.DataFrame:
    try:
        header = pd.read_csv(path, nrows=0, dtype=str).columns
    except (OSError, ValueError) as error:
        raise DelayInputInvalid(
            f"{path}: cannot read the CSV file ({error})", file=str(path)
        ) from error
    missing = [c for c in required if c not in header]
    if missing:
        raise DelayInputInvalid(
            f"{path}: missing column(s) {', '.join(missing)}", file=str(path), columns=missing
        )
    wanted = [c for c in (*required, *OPTIONAL) if c in header]
    try:
        return pd.read_csv(
            path,
            usecols=wanted,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
        )
    except ValueError as error:
        raise DelayInputInvalid(f"{path}: {error}", file=str(path)) from error


def _checked(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    columns: dict[str, pd.Series] = {}
    for name in _TEXT:
        _refuse(raw[name].isna(), name, path, "is empty")
        columns[name] = raw[name]
    for name in _NUMERIC:
        if name not in raw:
            columns[name] = pd.Series(np.nan, index=raw.index)
            continue
        value = pd.to_numeric(raw[name], errors="coerce")
        _refuse(value.isna() & raw[name].notna(), name, path, "is not a number")
        columns[name] = value.astype("float64")
    if "weather_code" in raw.columns:
        columns["weather_code"] = raw["weather_code"]
    else:
        columns["weather_code"] = pd.Series(pd.NA, index=raw.index, dtype="string")
    _refuse(columns["outlet_load"].isna(), "outlet_load", path, "is empty")
    for name in TIME_COLUMNS:
        utc, offset = _times(raw[name], name, path, optional=False)
        columns[name] = utc
        columns[f"{name}_offset_min"] = offset
    return pd.DataFrame(columns)


def _times(raw: pd.Series, name: str, path: Path, *, optional: bool) -> tuple[pd.Series, pd.Series]:
    """UTC instants and the written offset in minutes; refuses a time without offset."""
    present = raw.notna()
    if not optional:
        _refuse(~present, name, path, "is empty")
    same_offset = _one_offset(raw)
    if same_offset is not None:
        return same_offset
    text = raw.fillna("").str.strip()
    suffix = text.str.extract(_OFFSET, expand=False)
    parsed = pd.to_datetime(text.where(present), format="ISO8601", utc=True, errors="coerce")
    bad = present & (parsed.isna() | suffix.isna())
    _refuse(bad, name, path, "is not an ISO 8601 time with an offset (e.g. 2026-05-01T18:00+08:00)")
    return parsed, _offset_minutes(suffix)


def _one_offset(raw: pd.Series) -> tuple[pd.Series, pd.Series] | None:
    """The fast path for a file written with one offset throughout (the usual export)."""
    try:
        parsed = pd.to_datetime(raw, format="ISO8601", errors="raise")
    except (ValueError, TypeError):
        return None
    if not isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return (
            None  # naive times (or mixed offsets, parsed as objects): the careful path says which
        )
    zone = parsed.dt.tz
    delta = None if zone is None else zone.utcoffset(None)
    if delta is None:
        return None
    minutes = int(delta.total_seconds() // 60)
    return parsed.dt.tz_convert("UTC"), pd.Series(minutes, index=raw.index, dtype="int32")


def _offset_minutes(suffix: pd.Series) -> pd.Series:
    digits = suffix.fillna("Z").str.replace(":", "", regex=False)
    is_utc = digits.str.upper() == "Z"
    sign = np.where(digits.str[0] == "-", -1, 1)
    hours = pd.to_numeric(digits.str[1:3].where(~is_utc, "0"), errors="coerce").fillna(0)
    minutes = pd.to_numeric(digits.str[3:5].where(~is_utc, "0"), errors="coerce").fillna(0)
    return pd.Series(sign * (hours * 60 + minutes), index=suffix.index).astype("int32")


def _refuse(bad: pd.Series, name: str, path: Path, problem: str) -> None:
    """Raise naming the first bad row (data rows count from 1; the header is line 1)."""
    if not bool(bad.any()):
        return
    index = int(np.flatnonzero(bad.to_numpy())[0])
    raise DelayInputInvalid(
        f"{path}: row {index + 1} (line {index + 2}), column {name} {problem}",
        file=str(path),
        row=index + 1,
        line=index + 2,
        column=name,
        count=int(bad.sum()),
    )
