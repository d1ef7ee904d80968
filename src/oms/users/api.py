"""Console users over HTTP (admins): list, invite, change role, disable, enable."""

from __future__ import annotations

from fastapi import APIRouter

from oms.core.paging import Page, Paging
from oms.http.deps import CurrentActor, CurrentPrincipal, Db, requires
from oms.users import admin
from oms.users.schemas import UserApiOut, UserInvitedOut, UserInviteIn, UserRoleIn

__all__ = ["router"]

MANAGE = [requires("users:manage")]

router = APIRouter(prefix="/api/v1/users", tags=["users"])


@router.get("", dependencies=MANAGE)
def list_users(principal: CurrentPrincipal, db: Db, page: Paging) -> Page[UserApiOut]:
    """The tenant's console users, oldest first, disabled ones included; paged by cursor."""
    found = admin.user_page(db, principal.tenant_id, page=page)
    items = [UserApiOut.of(user) for user in found.items]
    return Page[UserApiOut](items=items, next_cursor=found.next_cursor, has_more=found.has_more)


@router.post("", status_code=201, dependencies=MANAGE)
def invite_user(body: UserInviteIn, actor: CurrentActor, db: Db) -> UserInvitedOut:
    """Create a user with a generated first password, in this answer and nowhere else."""
    invited = admin.invite_user(db, actor, email=body.email, role=body.role, locale=body.locale)
    return UserInvitedOut(**UserApiOut.of(invited.user).model_dump(), password=invited.password)


@router.patch("/{user_id}", dependencies=MANAGE)
def change_role(user_id: str, body: UserRoleIn, actor: CurrentActor, db: Db) -> UserApiOut:
    """Give the user another role; their open sessions see it on their next request."""
    return UserApiOut.of(admin.change_role(db, actor, user_id, body.role))


@router.post("/{user_id}/disable", dependencies=MANAGE)
def disable_user(user_id: str, actor: CurrentActor, db: Db) -> UserApiOut:
    """End every session of the user now and refuse their sign-ins from now on."""
    return UserApiOut.of(admin.disable_user(db, actor, user_id))


@router.post("/{user_id}/enable", dependencies=MANAGE)
def enable_user(user_id: str, actor: CurrentActor, db: Db) -> UserApiOut:
    """Let a disabled user sign in again."""
    return UserApiOut.of(admin.enable_user(db, actor, user_id))
