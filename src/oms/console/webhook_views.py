"""Console webhooks: inbound deliveries with their verification, the channel health check,
outbound subscriptions with their delivery log, and replay."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from oms.console import queries as console_queries
from oms.console.deps import Db, actor_of, see_other
from oms.console.render import render
from oms.console.session import permitted, posting_permitted
from oms.users.schemas import SessionUser
from oms.webhooks import service as webhooks

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)
WebhooksReader = Annotated[SessionUser, Depends(permitted("channels:health"))]
WebhooksManager = Annotated[SessionUser, Depends(posting_permitted("webhooks:manage"))]


@router.get("/webhooks", response_class=HTMLResponse)
def webhooks_page(
    request: Request,
    db: Db,
    user: WebhooksReader,
    replayed: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    """What arrived, how the channels are set up, and what oms sent out."""
    page = console_queries.webhooks_page(db, user)
    return render(
        request,
        "webhooks.html",
        user=user,
        active="webhooks",
        page=page,
        csrf_token=user.csrf_token,
        replayed=replayed,
        error_code=error,
    )


@router.post("/webhooks/replay")
def replay_delivery(
    request: Request,
    db: Db,
    user: WebhooksManager,
    delivery_id: Annotated[str, Form(max_length=36)],
) -> RedirectResponse:
    """Send an outbound delivery again (same ``webhook-id``, fresh retry budget)."""
    webhooks.replay_delivery(db, actor_of(request, user), delivery_id)
    return see_other(f"/console/webhooks?{urlencode({'replayed': delivery_id})}")
