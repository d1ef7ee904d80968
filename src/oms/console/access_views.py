"""Console API keys (admins): the tenant's keys without their secrets, and revocation after a
confirmation step."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from oms.console.deps import Cursor, Db, FormId, actor_of, see_other
from oms.console.render import render
from oms.console.session import permitted, posting_permitted
from oms.core import auth
from oms.users.schemas import SessionUser

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)
KeysReader = Annotated[SessionUser, Depends(permitted("keys:manage"))]
KeysManager = Annotated[SessionUser, Depends(posting_permitted("keys:manage"))]


@router.get("/api-keys", response_class=HTMLResponse)
def api_keys_page(
    request: Request,
    db: Db,
    user: KeysReader,
    cursor: Cursor = None,
    confirm: str | None = None,
    revoked: str | None = None,
) -> HTMLResponse:
    """The keys, oldest first; ``?confirm=<id>`` asks before revoking that one."""
    page = auth.list_api_keys(db, tenant_id=user.tenant_id, cursor=cursor)
    return render(
        request,
        "api_keys.html",
        user=user,
        active="api_keys",
        page=page,
        cursor=cursor,
        confirm=confirm,
        revoked=revoked,
    )


@router.post("/api-keys/revoke")
def revoke_api_key(request: Request, db: Db, user: KeysManager, key_id: FormId) -> RedirectResponse:
    """Revoke a key (the confirmed form of the page); another tenant's key is a 404."""
    auth.revoke_api_key(db, actor_of(request, user), key_id)
    return see_other("/console/api-keys", revoked=key_id)
