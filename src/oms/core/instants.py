"""The one input type for every date-time the API and the console accept.

``Instant`` is a timezone-aware date-time written as an RFC 3339 / ISO 8601 string (a naive
one is refused: no zone is guessed), within ``[MIN_INSTANT, MAX_INSTANT)``. The range is
deliberately far from the calendar's edges (years 1 and 9999), so converting any accepted
value to UTC, adding or subtracting a day (whole-day filters, payment deadlines, overlap
windows) or turning it into Unix seconds never overflows. Integers and bare number strings
are refused too: pydantic would read them as Unix timestamps, which the API never promised.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

from oms.core.errors import AppError

__all__ = [
    "MAX_DATE",
    "MAX_INSTANT",
    "MIN_DATE",
    "MIN_INSTANT",
    "DateOutOfRange",
    "Instant",
    "check_date",
    "check_instant",
]

MIN_INSTANT = datetime(1970, 1, 1, tzinfo=UTC)
MAX_INSTANT = datetime(3000, 1, 1, tzinfo=UTC)
MIN_DATE = date(1970, 1, 2)  # whole local days: one day of margin for any zone
MAX_DATE = date(2999, 12, 30)
RANGE_TEXT = "1970-01-01T00:00:00Z to 2999-12-31T23:59:59Z"
# A date first (YYYY-MM-DD); pydantic checks the rest. Keeps "1700000000" from meaning 2023.
_LOOKS_LIKE_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:.*)?", re.ASCII)


class DateOutOfRange(AppError):
    """A date outside the accepted range (the console's day filters)."""

    code = "ERR_DATE_OUT_OF_RANGE"
    http_status = 422
    title = "The date is outside the accepted range"


def check_instant(value: datetime) -> datetime:
    """Return an aware ``value`` inside the accepted range. Raises ValueError otherwise."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a date-time needs a timezone offset (Z or ±HH:MM)")
    # Aware comparisons subtract the offsets as timedeltas: no overflow at the calendar's edges.
    if not MIN_INSTANT <= value < MAX_INSTANT:
        raise ValueError(f"a date-time must be from {RANGE_TEXT}")
    return value


def check_date(value: date) -> date:
    """Return ``value`` when whole-day arithmetic on it is safe. Raises ValueError otherwise."""
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(f"a date must be from {MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}")
    return value


def _strict_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _LOOKS_LIKE_DATE.fullmatch(value.strip()):
        raise ValueError("a date-time is an RFC 3339 string such as 2026-01-24T13:00:00+08:00")
    return value


Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_strict_text),
    AfterValidator(check_instant),
]
