"""HTTP conditional requests (RFC 9110): ETag, Last-Modified, 304 Not Modified."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.datastructures import Headers

from oms.core.clock import floor_seconds

__all__ = ["http_date", "is_not_modified", "parse_http_date"]


def http_date(when: datetime) -> str:
    """An IMF-fixdate in GMT, second resolution."""
    return format_datetime(floor_seconds(when).astimezone(UTC), usegmt=True)


def parse_http_date(value: str | None) -> datetime | None:
    """Parse an HTTP date; None when it is missing or invalid (then it is ignored)."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _weak_match(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == opaque for tag in header.split(","))


def is_not_modified(headers: Headers, *, etag: str | None, last_modified: datetime | None) -> bool:
    """True when a GET may answer 304: If-None-Match first; If-Modified-Since only without it."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        return etag is not None and _weak_match(if_none_match, etag)
    since = parse_http_date(headers.get("if-modified-since"))
    if since is None or last_modified is None:
        return False
    return floor_seconds(last_modified) <= since
