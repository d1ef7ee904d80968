"""ASGI middleware: trace context, body limits and content types, Idempotency-Key.

Pure ASGI (not BaseHTTPMiddleware) so the body is read once, hashed for the audit log, and
replayed to the route unchanged.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oms.core import idempotency
from oms.core.auth import (
    Principal,
    authenticate_api_key,
    authenticate_partner,
    checking_permissions,
)
from oms.core.context import partner_principal
from oms.core.errors import (
    AppError,
    Forbidden,
    PartnerTenantRequired,
    PayloadTooLarge,
    RateLimited,
    UnsupportedMediaType,
    ValidationFailed,
)
from oms.core.idempotency import IdempotencyScope, StoredResponse
from oms.core.rate_limits import RateLimiter
from oms.core.secrets import SecretBox, secret_box
from oms.core.tracing import from_request_headers, traced
from oms.http.problems import problem_response, unexpected_error

__all__ = [
    "BodyGuardMiddleware",
    "IdempotencyMiddleware",
    "RateLimitMiddleware",
    "TraceMiddleware",
    "bearer_token",
    "request_principal",
]

log = structlog.get_logger("oms.http")
_BODY_METHODS = {"POST", "PUT", "PATCH"}
# Headers worth replaying with a stored answer; the rest belong to the new response.
_REPLAYED_HEADERS = ("content-type", "location", "etag", "last-modified")


def bearer_token(headers: Headers) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def request_principal(db: Any, headers: Headers) -> Principal:
    """The caller of a request: its bearer key, acting on the tenant ``OMS-Tenant`` names
    (a partner key; a tenant's key may name only its own tenant). Raises what
    ``core.auth.authenticate_api_key`` raises."""
    acting = headers.get("oms-tenant", "").strip() or None
    return authenticate_api_key(db, bearer_token(headers), acting_tenant=acting)


def _state(scope: Scope) -> dict[str, Any]:
    state: dict[str, Any] = scope.setdefault("state", {})
    return state


async def _send_problem(scope: Scope, receive: Receive, send: Send, error: AppError) -> None:
    trace = _state(scope).get("trace")
    response = problem_response(error, trace=trace, instance=scope.get("path"))
    await response(scope, receive, send)


class TraceMiddleware:
    """Continue or start a trace; echo it on every response; log one line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        trace = from_request_headers(
            headers.get("traceparent"), headers.get("tracestate"), headers.get("x-request-id")
        )
        _state(scope)["trace"] = trace
        status = {"code": 500, "started": False}

        async def send_with_trace(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["started"] = message["status"], True
                out = MutableHeaders(scope=message)
                out["traceparent"] = trace.traceparent
                out["x-request-id"] = trace.request_id or trace.trace_id
            await send(message)

        started = time.perf_counter()
        with traced(trace):
            try:
                await self.app(scope, receive, send_with_trace)
            except Exception as exc:
                log.exception("http.unhandled", path=scope.get("path"))
                if not status["started"]:
                    await _send_problem(scope, receive, send_with_trace, unexpected_error(exc))
            log.info(
                "http.request",
                method=scope.get("method"),
                path=scope.get("path"),
                status=status["code"],
                ms=round((time.perf_counter() - started) * 1000, 2),
            )


class BodyGuardMiddleware:
    """Guard the edge: NUL characters (422), bodies over the limit (413), non-JSON bodies on
    the API (415). Hash the body for the audit log.

    NUL is refused here, once for every route: no merchant text contains it, and PostgreSQL
    cannot store it in a text column, so letting it through would only fail deeper.

    Intake paths (``intake_paths``: regular expressions matched against the whole path) are the
    gateways' and platforms' own endpoints, whose every delivery must reach the inbox: their
    content type is not checked (the intake parses the body itself), and a body over the limit
    is cut to its first ``max_bytes`` and handed on with ``state.body_truncated = True``, so the
    intake records it as rejected and answers 413 in the sender's own format.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        form_paths: tuple[str, ...] = (),
        intake_paths: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.form_paths = form_paths
        self.intake = (
            re.compile("|".join(f"(?:{p})" for p in intake_paths)) if intake_paths else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _url_has_nul(scope):
            await _send_problem(scope, receive, send, _nul_error("the URL"))
            return
        if scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        is_intake = self.intake is not None and self.intake.fullmatch(scope["path"]) is not None
        error = self._check_declared_length(headers, is_intake)
        body = b""
        if error is None:
            body, error = await self._read_body(receive, is_intake)
        if error is None and not is_intake:
            error = self._check_content_type(scope, headers, body)
        if error is None and _json_has_nul(body):
            error = _nul_error("the body")
        if error is not None:
            await _send_problem(scope, receive, send, error)
            return
        if is_intake and len(body) > self.max_bytes:
            body = body[: self.max_bytes]
            _state(scope)["body_truncated"] = True
        _state(scope)["raw_body"] = body
        _state(scope)["body_sha256"] = hashlib.sha256(body).hexdigest()
        await self.app(scope, _replay(body), send)

    def _check_declared_length(self, headers: Headers, is_intake: bool) -> AppError | None:
        declared = headers.get("content-length")
        if declared is None:
            return None
        if not declared.isdigit():
            return ValidationFailed("invalid Content-Length")
        if int(declared) > self.max_bytes and not is_intake:
            return PayloadTooLarge(limit_bytes=self.max_bytes)
        return None

    async def _read_body(self, receive: Receive, is_intake: bool) -> tuple[bytes, AppError | None]:
        """The body; past the limit an error, or for an intake path the bytes read so far
        (more than ``max_bytes``: the caller cuts them and marks the body truncated)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"", ValidationFailed("the client went away")
            chunk = message.get("body", b"")
            size += len(chunk)
            chunks.append(chunk)
            if size > self.max_bytes:
                if is_intake:
                    return b"".join(chunks), None
                return b"", PayloadTooLarge(limit_bytes=self.max_bytes)
            if not message.get("more_body", False):
                return b"".join(chunks), None

    def _check_content_type(self, scope: Scope, headers: Headers, body: bytes) -> AppError | None:
        path: str = scope.get("path", "")
        if not body or not path.startswith("/api/") or path.startswith(self.form_paths or ("\0",)):
            return None
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type == "application/json" or media_type.endswith("+json"):
            return None
        return UnsupportedMediaType(
            f"send application/json, not {media_type or 'no content type'}",
            content_type=media_type or None,
        )


def _nul_error(where: str) -> ValidationFailed:
    return ValidationFailed(f"{where} contains a NUL character (U+0000)", reason="nul_character")


def _url_has_nul(scope: Scope) -> bool:
    return "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b"")


def _json_has_nul(body: bytes) -> bool:
    """True when a JSON body holds a string with U+0000 (only parsed when it might)."""
    if b"\\u0000" not in body:
        return False
    try:
        return _contains_nul(json.loads(body))
    except ValueError:
        return False  # not JSON: the route's own parsing answers that


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(v) for v in value)
    return False


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


class RateLimitMiddleware:
    """Count every API request against its tenant's and its key's limits
    (``core.rate_limits``); past one, 429 ``ERR_RATE_LIMITED`` with ``Retry-After``.

    A request without a valid key is not counted (the route refuses it). ``exempt_paths`` are
    the intake endpoints (regular expressions): a platform's delivery is stored whatever the
    limit, and only its processing waits (``RateLimiter.admit_intake``). The counting is
    bookkeeping: when its storage fails, the request goes through (logged).
    """

    def __init__(self, app: ASGIApp, *, exempt_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.exempt = re.compile("|".join(f"(?:{p})" for p in exempt_paths) or "(?!)")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/api/") or self.exempt.fullmatch(path):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        try:
            await run_in_threadpool(_admit, state.rate_limiter, state.db, Headers(scope=scope))
        except RateLimited as error:
            await _send_problem(scope, receive, send, error)
            return
        await self.app(scope, receive, send)


def _admit(limiter: RateLimiter, db: Any, headers: Headers) -> None:
    try:
        try:
            principal = request_principal(db, headers)
            tenant_id: str | None = principal.tenant_id
            key = principal.principal
        except PartnerTenantRequired:
            # A partner's own routes (no OMS-Tenant): its key's limit, no tenant's.
            tenant_id = None
            key = partner_principal(authenticate_partner(db, bearer_token(headers)).partner_id)
    except (AppError, SQLAlchemyError):
        return  # no caller to count: the route answers for itself
    try:
        limiter.admit(tenant_id=tenant_id, key=key)
    except RateLimited:
        raise
    except Exception:
        log.warning("http.rate_limit_unavailable", exc_info=True)


class IdempotencyMiddleware:
    """Honour ``Idempotency-Key`` on every API POST (see ``core.idempotency``).

    The key is the caller's own (tenant and API key), so nobody replays another caller's
    answer; the permissions the first run was checked against are checked again before a
    replay, so a caller who lost them gets 403, never the stored answer.
    """

    def __init__(self, app: ASGIApp, *, ttl_seconds: int, lease_seconds: int) -> None:
        self.app = app
        self.ttl = timedelta(seconds=ttl_seconds)
        self.lease = timedelta(seconds=lease_seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope) if scope["type"] == "http" else None
        key = headers.get("idempotency-key") if headers is not None else None
        if headers is None or key is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        if not (1 <= len(key) <= 255) or not key.isprintable():
            await _send_problem(scope, receive, send, ValidationFailed("invalid Idempotency-Key"))
            return
        db = scope["app"].state.db
        try:
            principal = await run_in_threadpool(request_principal, db, headers)
        except AppError:
            # Not a tenant's caller (no key, a suspended tenant, a partner's own route): the
            # route answers for itself, and there is no tenant to keep an answer under.
            await self.app(scope, receive, send)
            return
        box = secret_box(scope["app"].state.settings)
        owned = IdempotencyScope(principal.tenant_id, principal.principal, key)
        try:
            claim = await run_in_threadpool(
                idempotency.claim_key,
                db,
                box,
                owned,
                fingerprint=_fingerprint(scope),
                ttl=self.ttl,
                lease=self.lease,
            )
        except AppError as error:
            await _send_problem(scope, receive, send, error)
            return
        if isinstance(claim, StoredResponse):
            await self._replay(scope, receive, send, principal, claim)
            return
        await self._run_and_store(scope, receive, send, db, box, owned)

    async def _replay(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        principal: Principal,
        claim: StoredResponse,
    ) -> None:
        lost = sorted(p for p in claim.permissions if not principal.can(p))
        if lost:
            error = Forbidden(
                f"role {principal.role} may not {lost[0]}",
                permission=lost[0],
                role=str(principal.role),
            )
            await _send_problem(scope, receive, send, error)
            return
        await _send_stored(send, claim)

    async def _run_and_store(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        db: Any,
        box: SecretBox,
        owned: IdempotencyScope,
    ) -> None:
        captured: dict[str, Any] = {"status": 500, "headers": {}, "body": []}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = {
                    k.decode().lower(): v.decode()
                    for k, v in message.get("headers", [])
                    if k.decode().lower() in _REPLAYED_HEADERS
                }
            elif message["type"] == "http.response.body":
                captured["body"].append(message.get("body", b""))
            await send(message)

        with checking_permissions() as checked:
            try:
                await self.app(scope, receive, capture)
            except Exception:
                await run_in_threadpool(idempotency.release_key, db, owned)
                raise
        if captured["status"] >= 500:
            await run_in_threadpool(idempotency.release_key, db, owned)
            return
        stored = StoredResponse(
            captured["status"],
            captured["headers"],
            b"".join(captured["body"]),
            tuple(sorted(checked)),
        )
        await run_in_threadpool(idempotency.store_response, db, box, owned, stored)


def _fingerprint(scope: Scope) -> str:
    digest = hashlib.sha256()
    digest.update(
        f"{scope['method']} {scope['path']}?{scope.get('query_string', b'').decode()}\n".encode()
    )
    digest.update(_state(scope).get("raw_body", b""))
    return digest.hexdigest()


async def _send_stored(send: Send, stored: StoredResponse) -> None:
    headers = [(k.encode(), v.encode()) for k, v in stored.headers.items()]
    headers.append((b"idempotent-replayed", b"true"))
    headers.append((b"content-length", str(len(stored.body)).encode()))
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body})
