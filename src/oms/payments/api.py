"""Payments over HTTP: gateway configuration (admin), payments, and the gateways' notify URL."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from oms.core.auth import ROLE_PERMISSIONS
from oms.core.context import Actor
from oms.core.errors import Forbidden
from oms.http.deps import CurrentActor, CurrentPrincipal, Db, requires
from oms.payments import queries, service
from oms.payments.schemas import (
    AlipayConfigIn,
    GatewayConfigOut,
    GatewayName,
    PaymentOut,
    WechatPayConfigIn,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/payments", tags=["payments"])


def _configurer(actor: CurrentActor) -> Actor:
    if actor.role not in ROLE_PERMISSIONS["payments:configure"]:
        raise Forbidden("your role may not configure payment gateways", role=actor.role)
    return actor


AdminActor = Annotated[Actor, Depends(_configurer)]


@router.put("/gateways/alipay")
def put_alipay(body: AlipayConfigIn, actor: AdminActor, db: Db) -> GatewayConfigOut:
    """Set the tenant's Alipay configuration; keys are PEM text, secrets are never returned."""
    return service.configure_gateway(db, actor, body)


@router.put("/gateways/wechatpay")
def put_wechatpay(body: WechatPayConfigIn, actor: AdminActor, db: Db) -> GatewayConfigOut:
    """Set the tenant's WeChat Pay configuration; secrets are never returned."""
    return service.configure_gateway(db, actor, body)


@router.get("/gateways/{gateway}")
def read_gateway(gateway: GatewayName, actor: AdminActor, db: Db) -> GatewayConfigOut:
    """A gateway's configuration: which secrets are set, never the secrets."""
    return service.gateway_config(db, actor.tenant_id, gateway)


@router.get("", dependencies=[requires("orders:read")])
def list_payments(
    principal: CurrentPrincipal, db: Db, order_id: str | None = None
) -> list[PaymentOut]:
    """Payments oldest first, optionally of one order."""
    return queries.list_payments(db, principal.tenant_id, order_id=order_id)


@router.post(
    "/{gateway}/notify/{tenant}",
    responses={200: {"description": "Alipay: text `success` / `fail`"}, 204: {}},
)
async def notify(gateway: str, tenant: str, request: Request, db: Db) -> Response:
    """A gateway's asynchronous notification (unauthenticated: the signature is the proof)."""
    answer = await run_in_threadpool(
        service.receive_notification,
        db,
        gateway=gateway,
        tenant_id=tenant,
        headers=dict(request.headers),
        body=await request.body(),
        truncated=getattr(request.state, "body_truncated", False),
    )
    return Response(answer.body, status_code=answer.status, media_type=answer.media_type)
