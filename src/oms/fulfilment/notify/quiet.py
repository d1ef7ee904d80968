"""Quiet hours: when a message that falls inside them may go out (pure functions)."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["parse_hhmm", "quiet_until", "zone_of"]

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(value: str) -> time | None:
    """``HH:MM`` (24 h) as a time, or None when it is not one."""
    found = _HHMM.match(value)
    return time(int(found[1]), int(found[2])) if found else None


def zone_of(name: str | None, default: str) -> ZoneInfo:
    """The zone ``name`` names, else ``default`` (an unknown name is not an error)."""
    for candidate in (name, default, "Asia/Shanghai"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def quiet_until(now: datetime, *, start: str, end: str, zone: ZoneInfo) -> datetime | None:
    """The end of the quiet hours ``now`` falls in (UTC), or None when it falls in none.

    ``start`` to ``end`` in ``zone``'s local time; a window past midnight (22:00 to 08:00) wraps.
    Equal times mean no quiet hours.
    """
    begin, finish = parse_hhmm(start), parse_hhmm(end)
    if begin is None or finish is None or begin == finish:
        return None
    local = now.astimezone(zone)
    at = local.time().replace(second=0, microsecond=0, tzinfo=None)
    if begin < finish:
        inside = begin <= at < finish
        day = local.date()
    else:
        inside = at >= begin or at < finish
        day = local.date() + timedelta(days=1) if at >= begin else local.date()
    if not inside:
        return None
    return datetime.combine(day, finish, tzinfo=zone).astimezone(now.tzinfo)
