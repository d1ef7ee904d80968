"""How the console shows values: money, times in the tenant's zone, masked phones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date

from oms.core.money import format_minor

__all__ = [
    "age",
    "age_of_seconds",
    "day_bounds",
    "eta_words",
    "local_time",
    "mask_phone",
    "money",
    "title_in",
]

_EMPTY = "—"


def money(amount: int | None, currency: str = "CNY") -> str:
    """``1234, "CNY"`` → ``¥12.34``."""
    return _EMPTY if amount is None else format_minor(amount, currency)


def local_time(when: datetime | None, timezone: str) -> str:
    """An aware instant in the tenant's zone, as ``2026-01-24 13:22:07``."""
    if when is None:
        return _EMPTY
    return when.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M:%S")


def mask_phone(phone: str | None) -> str:
    """``13800138000`` → ``138****8000``: enough to recognise, not enough to call."""
    if not phone:
        return _EMPTY
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < 8:
        return "****" + digits[-2:]
    return f"{digits[:3]}****{digits[-4:]}"


def day_bounds(
    first: date | None, last: date | None, timezone: str
) -> tuple[datetime | None, datetime | None]:
    """Whole local days [first 00:00, day after last 00:00) in ``timezone``, as aware times."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(first, time.min, zone) if first else None
    end = datetime.combine(last + timedelta(days=1), time.min, zone) if last else None
    return start, end


def age(since: datetime, until: datetime, days_from_hours: int = 24) -> tuple[int, str]:
    """How long from ``since`` to ``until`` in its largest whole unit: ``(3, "hours")``.

    Units are ``minutes``, ``hours`` and ``days``; the page words them in its language. Days
    start at ``days_from_hours`` (the refund pages say "40 hours", not "1 day", under two days,
    because their SLA is counted in hours).
    """
    minutes = max(int((until - since).total_seconds() // 60), 0)
    if minutes >= days_from_hours * 60:
        return minutes // (24 * 60), "days"
    if minutes >= 60:
        return minutes // 60, "hours"
    return minutes, "minutes"


def age_of_seconds(seconds: int, days_from_hours: int = 24) -> tuple[int, str]:
    """An age given in seconds, in its largest whole unit (as ``age``)."""
    start = datetime(2000, 1, 1, tzinfo=UTC)
    return age(start, start + timedelta(seconds=seconds), days_from_hours)


BILINGUAL_SEPARATOR = " / "


def title_in(title: str, locale: str) -> str:
    """The reader's half of a title oms wrote in both languages (``"中文 / English"``, as
    ticket and alert titles are stored, so that e-mail and exports carry both); a title
    with one language is shown as it is."""
    chinese, separator, english = title.partition(BILINGUAL_SEPARATOR)
    if not separator or not english:
        return title
    return chinese if locale.startswith("zh") else english


_DASH = "\u2013"  # en dash, as windows are written


def _day_word(day: date, today: date, locale: str, gettext: Callable[[str], str]) -> str:
    offset = (day - today).days
    if offset == 0:
        return gettext("Today")
    if offset == 1:
        return gettext("Tomorrow")
    if offset == 2:
        return gettext("The day after tomorrow")
    if locale.startswith("zh"):
        return format_date(day, format="M月d日 EEE", locale="zh_CN")
    return format_date(day, format="EEE d MMM", locale="en")


def eta_words(
    start: datetime,
    end: datetime,
    now: datetime,
    timezone: str,
    locale: str,
    gettext: Callable[[str], str],
) -> str:
    """An arrival window as people say it, in the tenant's zone: ``明天 14:00-16:00``,
    ``Tomorrow 14:00-16:00`` (an en dash between); across midnight
    ``Today 20:00 - Tomorrow 10:00``."""
    zone = ZoneInfo(timezone)
    first, last, today = start.astimezone(zone), end.astimezone(zone), now.astimezone(zone).date()
    first_day = _day_word(first.date(), today, locale, gettext)
    if first.date() == last.date():
        return f"{first_day} {first:%H:%M}{_DASH}{last:%H:%M}"
    last_day = _day_word(last.date(), today, locale, gettext)
    return f"{first_day} {first:%H:%M} {_DASH} {last_day} {last:%H:%M}"
