"""Channels over HTTP: platform webhooks (signed, no API key), settings, health."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from oms.channels import health, service
from oms.channels.schemas import ChannelConfigIn, ChannelConfigOut, HealthReport
from oms.http.deps import CurrentPrincipal, Db, requires
from oms.http.problems import problems

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/channels", tags=["channels"])


@router.get("/health", dependencies=[requires("channels:health")])
def read_health(
    principal: CurrentPrincipal,
    db: Db,
    window_hours: Annotated[int, Query(ge=1, le=2160)] = 168,
) -> HealthReport:
    """Per channel: secret, signature failures, duplicates, overlapping topics, lag; with fixes."""
    return health.check_channels(db, principal.tenant_id, window_hours=window_hours)


@router.put("/{channel}", dependencies=[requires("channels:configure")])
def put_channel(
    channel: str, body: ChannelConfigIn, principal: CurrentPrincipal, db: Db
) -> ChannelConfigOut:
    """Set the channel's signing secret (sealed, never returned) and mapping overrides."""
    return service.configure_channel(db, principal.tenant_id, channel, body)


@router.get("/{channel}", dependencies=[requires("channels:configure")])
def read_channel(channel: str, principal: CurrentPrincipal, db: Db) -> ChannelConfigOut:
    """The channel's settings and webhook path; the secret only as ``secret_configured``."""
    return service.get_channel(db, principal.tenant_id, channel)


@router.post(
    "/{channel}/webhooks/{tenant}",
    responses=problems(400, 401)
    | {200: {"description": "accepted, duplicate, stale or ignored; see status"}},
)
async def post_webhook(channel: str, tenant: str, request: Request, db: Db) -> JSONResponse:
    """A platform delivery: recorded raw, verified by its signature, deduplicated, applied."""
    body = await request.body()
    actor_info: dict[str, Any] = {
        "client_ip": request.client.host if request.client else None,
        "user_agent": request.headers.get("user-agent"),
        "body_sha256": hashlib.sha256(body).hexdigest(),
    }
    ack = await run_in_threadpool(
        service.receive_webhook,
        db,
        channel=channel,
        tenant_id=tenant,
        headers=dict(request.headers),
        body=body,
        actor_info=actor_info,
        truncated=getattr(request.state, "body_truncated", False),
        limiter=request.app.state.rate_limiter,
    )
    return JSONResponse(ack)
