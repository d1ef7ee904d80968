"""FastAPI dependencies: the database, the authenticated principal, the acting context."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from oms.config import Settings
from oms.core.auth import PartnerCaller, Principal, authenticate_partner, require
from oms.core.context import Actor
from oms.core.uow import Database
from oms.http.middleware import bearer_token, request_principal

__all__ = ["AppSettings", "CurrentActor", "CurrentPartner", "CurrentPrincipal", "Db", "requires"]


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_principal(request: Request) -> Principal:
    db: Database = request.app.state.db
    return await run_in_threadpool(request_principal, db, request.headers)


async def get_partner(request: Request) -> PartnerCaller:
    db: Database = request.app.state.db
    return await run_in_threadpool(authenticate_partner, db, bearer_token(request.headers))


Db = Annotated[Database, Depends(get_db)]
AppSettings = Annotated[Settings, Depends(get_settings)]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
CurrentPartner = Annotated[PartnerCaller, Depends(get_partner)]


def get_actor(request: Request, principal: CurrentPrincipal) -> Actor:
    return Actor(
        tenant_id=principal.tenant_id,
        principal=principal.principal,
        role=str(principal.role),
        client_ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
        body_sha256=getattr(request.state, "body_sha256", None),
    )


CurrentActor = Annotated[Actor, Depends(get_actor)]


def requires(permission: str) -> Any:
    """Route dependency: authenticate, then refuse (403) a role without ``permission``."""

    def check(principal: CurrentPrincipal) -> Principal:
        require(principal, permission)
        return principal

    return Depends(check)
