"""RFC 9457 problem details for every error, with a stable ``code`` and the trace id."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from oms.core.errors import (
    AppError,
    DatabaseUnavailable,
    InternalError,
    MalformedBody,
    MethodNotAllowed,
    NotFound,
    ValidationFailed,
)
from oms.core.tracing import TraceContext

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "PROBLEM_REF",
    "PROBLEM_SCHEMA",
    "ProblemResponse",
    "install_problem_handlers",
    "internal_error",
    "problem_openapi_response",
    "problem_response",
    "problems",
    "unexpected_error",
]

log = structlog.get_logger(__name__)
PROBLEM_MEDIA_TYPE = "application/problem+json"
_HTTP_CODES: dict[int, type[AppError]] = {404: NotFound, 405: MethodNotAllowed}
_DATABASE_RETRY_AFTER_SECONDS = 1
# The one schema of every problem+json answer, as the OpenAPI document declares it.
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": (
        "RFC 9457 problem details. `code` is stable (`ERR_<DOMAIN>_<PROBLEM>`, listed at "
        "`/api/v1/errors`); members beyond these are extensions."
    ),
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string", "description": "`/api/v1/errors/<code>`"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "the request path"},
        "code": {"type": "string", "pattern": "^ERR_[A-Z0-9_]+$"},
        "details": {"type": "object", "additionalProperties": True},
        "trace_id": {"type": ["string", "null"]},
    },
    "additionalProperties": True,
}

# Why each status happens, for the operations that can answer it.
_REASONS: dict[int, str] = {
    400: "The body is not well-formed JSON (ERR_MALFORMED_BODY) or is refused as malformed",
    401: "No valid API key (ERR_AUTH_REQUIRED)",
    403: "The key's role may not do this (ERR_AUTH_FORBIDDEN)",
    404: "Nothing by that id in this tenant (ERR_*_NOT_FOUND)",
    409: "Conflict with the current state, or the Idempotency-Key is still in flight",
    412: "If-Match names another version",
    413: "The body is over the size limit (ERR_PAYLOAD_TOO_LARGE)",
    415: "The body is not application/json (ERR_UNSUPPORTED_MEDIA_TYPE)",
    422: "A parameter or the body is not valid (ERR_VALIDATION)",
    428: "This change needs If-Match",
    429: "Too many requests; retry after the Retry-After delay",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: the domain errors it raises, each a ``Problem``."""
    return {status: problem_openapi_response(status) for status in statuses}


def problem_openapi_response(status: int, reason: str | None = None) -> dict[str, Any]:
    return {
        "description": reason or _REASONS.get(status) or HTTPStatus(status).phrase,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": dict(PROBLEM_REF)}},
    }


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem_response(
    error: AppError, *, trace: TraceContext | None, instance: str | None = None
) -> ProblemResponse:
    """Render ``error`` as problem+json."""
    body: dict[str, Any] = {
        "type": f"/api/v1/errors/{error.code}",
        "title": error.title,
        "status": error.http_status,
        "detail": error.message,
        "code": error.code,
        "details": error.details,
        "trace_id": trace.trace_id if trace else None,
    }
    if instance:
        body["instance"] = instance
    response = ProblemResponse(body, status_code=error.http_status)
    retry_after = error.details.get("retry_after")
    if isinstance(retry_after, int):
        response.headers["Retry-After"] = str(retry_after)
    return response


def _trace_of(request: Request) -> TraceContext | None:
    trace = getattr(request.state, "trace", None)
    return trace if isinstance(trace, TraceContext) else None


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    path = ""
    for part in parts:
        path += f"[{part}]" if part.isdigit() else (f".{part}" if path else part)
    return path or ".".join(str(p) for p in loc)


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error, ours or the framework's, answer as problem+json."""

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> ProblemResponse:
        return problem_response(exc, trace=_trace_of(request), instance=request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> ProblemResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            error: AppError = MalformedBody("the body is not valid JSON")
        else:
            error = ValidationFailed(
                "; ".join(f"{_field_path(e['loc'])}: {e['msg']}" for e in errors[:5]),
                errors=[
                    {"path": _field_path(e["loc"]), "message": e["msg"], "type": e["type"]}
                    for e in errors
                ],
            )
        return problem_response(error, trace=_trace_of(request), instance=request.url.path)

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> ProblemResponse:
        # The database refused a value the schemas let through (a backstop, not a path).
        log.warning("db.data_error", error=str(exc.orig)[:300])
        error = ValidationFailed("a value was refused by the database", reason="data_error")
        return problem_response(error, trace=_trace_of(request), instance=request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> ProblemResponse:
        fallback = ValidationFailed if exc.status_code < 500 else InternalError
        error = _HTTP_CODES.get(exc.status_code, fallback)(str(exc.detail))
        response = problem_response(error, trace=_trace_of(request), instance=request.url.path)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response


def internal_error() -> InternalError:
    return InternalError("an unexpected error occurred; quote the trace id when reporting it")


def unexpected_error(exc: Exception) -> AppError:
    """The problem to answer for an exception nothing handled.

    A refused or lost database connection, or a pool with no connection free in time, is the
    one outage a client can ride out by retrying, so it is a 503 with Retry-After rather than
    an anonymous 500.
    """
    if isinstance(exc, OperationalError | PoolTimeout):
        return DatabaseUnavailable(
            "the database refused or lost the connection; nothing was written",
            retry_after=_DATABASE_RETRY_AFTER_SECONDS,
        )
    return internal_error()
