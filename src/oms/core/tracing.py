"""W3C Trace Context: accept ``traceparent`` (or ``X-Request-ID``), make one when absent.

The current trace lives in a context variable so audit entries, outbox messages and log
lines can all carry it without threading it through every call.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

import structlog

__all__ = [
    "TraceContext",
    "current_trace",
    "from_request_headers",
    "new_trace",
    "parse_traceparent",
    "traced",
]

_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$")
_REQUEST_ID = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)
_current: ContextVar[TraceContext | None] = ContextVar("oms_trace", default=None)


@dataclass(frozen=True, slots=True)
class TraceContext:
    """One hop of a trace: the trace id we keep and the span id we are."""

    trace_id: str
    span_id: str
    flags: str = "01"
    tracestate: str | None = None
    request_id: str | None = None

    @property
    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"

    def child(self) -> TraceContext:
        """The same trace, with a new span id for the next hop (a job, a webhook)."""
        return replace(self, span_id=os.urandom(8).hex(), request_id=None)


def new_trace() -> TraceContext:
    """Start a new trace with random ids."""
    return TraceContext(trace_id=os.urandom(16).hex(), span_id=os.urandom(8).hex())


def parse_traceparent(header: str | None, tracestate: str | None = None) -> TraceContext | None:
    """Parse a ``traceparent``; None when it is absent or invalid (then start a new trace)."""
    if not header:
        return None
    match = _TRACEPARENT.match(header.strip())
    if match is None:
        return None
    version, trace_id, parent_id, flags = match.groups()
    if version == "ff" or (version == "00" and len(header.strip()) != 55):
        return None
    if set(trace_id) == {"0"} or set(parent_id) == {"0"}:
        return None
    # Keep the caller's trace id and its sampled bit; our own span id replaces theirs.
    sampled = "01" if int(flags, 16) & 0x01 else "00"
    return TraceContext(trace_id, os.urandom(8).hex(), sampled, tracestate)


def from_request_headers(
    traceparent: str | None, tracestate: str | None, request_id: str | None
) -> TraceContext:
    """Continue the caller's trace, or derive one from ``X-Request-ID``, or start one."""
    parsed = parse_traceparent(traceparent, tracestate)
    request_id = request_id.strip()[:128] if request_id and request_id.isprintable() else None
    if parsed is not None:
        return replace(parsed, request_id=request_id)
    trace = new_trace()
    if request_id and _REQUEST_ID.match(request_id):
        hex_id = request_id.replace("-", "").lower()
        if set(hex_id) != {"0"}:
            trace = replace(trace, trace_id=hex_id)
    return replace(trace, request_id=request_id)


def current_trace() -> TraceContext | None:
    """The trace of the request or job being handled, if any."""
    return _current.get()


@contextmanager
def traced(trace: TraceContext) -> Iterator[TraceContext]:
    """Make ``trace`` current (and put its id on every log line) inside the block."""
    token = _current.set(trace)
    with structlog.contextvars.bound_contextvars(trace_id=trace.trace_id):
        try:
            yield trace
        finally:
            _current.reset(token)
