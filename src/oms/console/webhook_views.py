"""Console webhooks: inbound deliveries with their verification, the channel health check,
outbound subscriptions with their delivery log, and replay."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from oms.config import Settings
from oms.console import queries as console_queries
from oms.console.deps import (
    Db,
    Flashed,
    FormId,
    Notice,
    actor_of,
    flash_after,
    see_other,
    shown_once,
    validated,
)
from oms.console.render import render
from oms.console.session import permitted, posting_permitted
from oms.users.schemas import SessionUser
from oms.webhooks import service as webhooks
from oms.webhooks.schemas import SubscriptionCreated, SubscriptionIn

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)
WebhooksReader = Annotated[SessionUser, Depends(permitted("channels:health"))]
WebhooksManager = Annotated[SessionUser, Depends(posting_permitted("webhooks:manage"))]


@router.get("/webhooks", response_class=HTMLResponse)
def webhooks_page(
    request: Request,
    db: Db,
    user: WebhooksReader,
    notice: Flashed,
    replayed: str | None = None,
) -> HTMLResponse:
    """What arrived, how the channels are set up, and what oms sent out."""
    return _page(request, db, user, notice=notice, replayed=replayed)


def _page(
    request: Request,
    db: Db,
    user: SessionUser,
    *,
    status_code: int = 200,
    notice: Notice | None = None,
    created: SubscriptionCreated | None = None,
    replayed: str | None = None,
) -> HTMLResponse:
    page = console_queries.webhooks_page(db, user)
    return render(
        request,
        "webhooks.html",
        user=user,
        active="webhooks",
        status_code=status_code,
        notice=notice,
        page=page,
        replayed=replayed,
        created=created,
    )


@router.post("/webhooks/replay")
def replay_delivery(
    request: Request,
    db: Db,
    user: WebhooksManager,
    delivery_id: FormId,
) -> RedirectResponse:
    """Send an outbound delivery again (same ``webhook-id``, fresh retry budget)."""
    webhooks.replay_delivery(db, actor_of(request, user), delivery_id)
    return see_other("/console/webhooks", replayed=delivery_id)


@router.post("/webhooks/subscriptions", response_class=HTMLResponse)
def create_subscription(
    request: Request,
    db: Db,
    user: WebhooksManager,
    url: Annotated[str, Form(max_length=2048)],
    event_types: Annotated[str, Form(max_length=2000)] = "*",
    description: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """Subscribe a URL; the page answers with the signing secret, shown this once."""
    settings: Settings = request.app.state.settings
    actor = actor_of(request, user)

    def create() -> SubscriptionCreated:
        types = [t for t in event_types.replace(",", " ").split() if t]
        fields = {"url": url.strip(), "event_types": types, "description": description.strip()}
        data = validated(SubscriptionIn, fields, "subscription")
        allow = settings.webhook_allow_private_networks
        return webhooks.create_subscription(db, actor, data, allow_private=allow)

    return shown_once(partial(_page, request, db, user), create, "created")


@router.post("/webhooks/subscriptions/{subscription_id}/delete")
def delete_subscription(
    request: Request, db: Db, user: WebhooksManager, subscription_id: str
) -> RedirectResponse:
    """Stop a subscription; its delivery log stays."""
    actor = actor_of(request, user)
    return flash_after(
        "/console/webhooks",
        "deleted",
        lambda: webhooks.delete_subscription(db, actor, subscription_id),
    )
