"""Payments over HTTP: gateway configuration (admin), payments, and the gateways' notify URL."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from oms.core.auth import ROLE_PERMISSIONS
from oms.core.context import Actor
from oms.core.errors import Forbidden
from oms.core.paging import Page, Paging
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
_TEXT: dict[str, Any] = {"text/plain": {"schema": {"type": "string"}}}
# A refused notification is answered as its gateway expects, not as problem+json.
_REFUSED: dict[str, Any] = {
    "description": "refused: Alipay `fail` (text), WeChat Pay `{code: FAIL, message}`",
    "content": _TEXT
    | {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        }
    },
}
_NOTIFY_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "Alipay: text `success`", "content": _TEXT},
    204: {"description": "WeChat Pay: accepted"},
    **dict.fromkeys((400, 401, 403, 404, 413), _REFUSED),
}


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
    principal: CurrentPrincipal, db: Db, page: Paging, order_id: str | None = None
) -> Page[PaymentOut]:
    """Payments oldest first, optionally of one order, paged by cursor."""
    return queries.list_payments(db, principal.tenant_id, order_id=order_id, page=page)


@router.post(
    "/{gateway}/notify/{tenant}",
    response_class=Response,
    responses=_NOTIFY_ANSWERS,
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
