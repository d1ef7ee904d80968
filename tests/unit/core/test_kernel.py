"""The shared kernel's pure parts: error catalogue, trace context, HTTP dates, ids, money."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from starlette.datastructures import Headers

import oms.app  # noqa: F401 - imports every domain, so every error class is defined
from oms.core.errors import CATALOGUE, AppError
from oms.core.ids import new_id
from oms.core.money import format_minor
from oms.core.tracing import from_request_headers, parse_traceparent
from oms.http.conditional import http_date, is_not_modified


def _all_subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _all_subclasses(sub)
    return found


def test_every_error_class_has_a_unique_well_formed_code_in_the_catalogue() -> None:
    coded = [c for c in _all_subclasses(AppError) if c.__dict__.get("code")]
    codes = [c.code for c in coded]
    assert len(codes) == len(set(codes))
    assert set(codes) == set(CATALOGUE)
    for code in codes:
        assert re.fullmatch(r"ERR_[A-Z]+(_[A-Z0-9]+)*", code), code


def test_a_valid_traceparent_keeps_its_trace_id_and_sampled_flag() -> None:
    trace = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03")
    assert trace is not None
    assert trace.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert trace.flags == "01"  # the sampled bit, masked
    assert trace.span_id != "00f067aa0ba902b7"


def test_invalid_traceparents_are_ignored() -> None:
    for header in [
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
    ]:
        assert parse_traceparent(header) is None, header


def test_a_uuid_request_id_becomes_the_trace_id() -> None:
    trace = from_request_headers(None, None, "0f8fad5b-d9cb-469f-a165-70867728950e")
    assert trace.trace_id == "0f8fad5bd9cb469fa16570867728950e"


def test_http_dates_have_second_resolution_and_304_compares_them() -> None:
    modified = datetime(2026, 1, 24, 5, 22, 7, 900_000, tzinfo=UTC)
    header = http_date(modified)
    assert header == "Sat, 24 Jan 2026 05:22:07 GMT"
    assert is_not_modified(
        Headers({"if-modified-since": header}), etag='"3"', last_modified=modified
    )
    earlier = Headers({"if-modified-since": "Sat, 24 Jan 2026 05:22:06 GMT"})
    assert not is_not_modified(earlier, etag='"3"', last_modified=modified)
    garbage = Headers({"if-modified-since": "yesterday"})
    assert not is_not_modified(garbage, etag='"3"', last_modified=modified)


def test_etags_match_weakly_and_by_list() -> None:
    assert is_not_modified(Headers({"if-none-match": 'W/"3"'}), etag='"3"', last_modified=None)
    assert is_not_modified(Headers({"if-none-match": '"1", "3"'}), etag='"3"', last_modified=None)
    assert is_not_modified(Headers({"if-none-match": "*"}), etag='"3"', last_modified=None)
    assert not is_not_modified(Headers({"if-none-match": '"4"'}), etag='"3"', last_modified=None)


def test_ids_are_uuid7_and_increase() -> None:
    ids = [new_id() for _ in range(2000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(i[14] == "7" for i in ids)


def test_money_is_shown_with_two_decimals_and_a_symbol() -> None:
    assert format_minor(1234, "CNY") == "¥12.34"
    assert format_minor(-5, "CNY") == "-¥0.05"
    assert format_minor(1234567, "USD") == "$12,345.67"
    assert format_minor(500, "JPY") == "JP¥500"
