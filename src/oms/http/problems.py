"""RFC 9457 problem details for every error, with a stable ``code`` and the trace id."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from oms.core.errors import (
    AppError,
    InternalError,
    MalformedBody,
    MethodNotAllowed,
    NotFound,
    ValidationFailed,
)
from oms.core.tracing import TraceContext

__all__ = ["ProblemResponse", "install_problem_handlers", "internal_error", "problem_response"]

log = structlog.get_logger(__name__)
PROBLEM_MEDIA_TYPE = "application/problem+json"
_HTTP_CODES: dict[int, type[AppError]] = {404: NotFound, 405: MethodNotAllowed}


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
    return ProblemResponse(body, status_code=error.http_status)


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
