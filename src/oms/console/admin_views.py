"""Console administration (admins): users, review-group members and alert routes.

A refused command comes back to its page as a flash message (``flash_after``); a generated
password is shown in the answer to the invitation and nowhere else, never in a URL.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from oms.alerts import service as alerts
from oms.alerts.schemas import Channel, RouteIn
from oms.config import Settings
from oms.console.deps import Db, Flashed, Notice, actor_of, flash_after, shown_once, validated
from oms.console.i18n import labels
from oms.console.render import render
from oms.console.session import permitted, posting_permitted
from oms.core.errors import AppError
from oms.refunds import routing
from oms.users import admin
from oms.users.errors import UserNotFound
from oms.users.schemas import CONSOLE_ROLES, SessionUser, UserInvited

__all__ = ["ADMIN_DONE_LABELS", "router"]

router = APIRouter(prefix="/console", include_in_schema=False)
UsersReader = Annotated[SessionUser, Depends(permitted("users:manage"))]
UsersManager = Annotated[SessionUser, Depends(posting_permitted("users:manage"))]
GroupsReader = Annotated[SessionUser, Depends(permitted("refunds:configure"))]
GroupsManager = Annotated[SessionUser, Depends(posting_permitted("refunds:configure"))]
AlertsReader = Annotated[SessionUser, Depends(permitted("alerts:manage"))]
AlertsManager = Annotated[SessionUser, Depends(posting_permitted("alerts:manage"))]
USERS, GROUPS, ALERTS = "/console/users", "/console/review-groups", "/console/alerts"
GROUP_NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"
GroupName = Annotated[str, Form(pattern=GROUP_NAME)]

ALERT_CHANNEL_LABELS = labels("alert_channel")
ADMIN_DONE_LABELS = labels("admin_done")


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, db: Db, user: UsersReader, notice: Flashed) -> HTMLResponse:
    """The shop's console users with their roles; invite, change role, disable, enable."""
    return _users(request, db, user, notice=notice)


@router.post("/users/invite", response_class=HTMLResponse)
def invite_user(
    request: Request,
    db: Db,
    user: UsersManager,
    email: Annotated[str, Form(max_length=254)],
    role: Annotated[str, Form(max_length=32)],
    locale: Annotated[str, Form(max_length=8)] = "zh-CN",
) -> HTMLResponse:
    """Invite a user: the page answers with their first password, shown this once."""
    actor = actor_of(request, user)
    return shown_once(
        partial(_users, request, db, user),
        lambda: admin.invite_user(db, actor, email=email, role=role, locale=locale),
        "invited",
    )


@router.post("/users/{user_id}/role")
def change_role(
    request: Request,
    db: Db,
    user: UsersManager,
    user_id: str,
    role: Annotated[str, Form(max_length=32)],
) -> RedirectResponse:
    actor = actor_of(request, user)
    return flash_after(USERS, "role_changed", lambda: admin.change_role(db, actor, user_id, role))


@router.post("/users/{user_id}/disable")
def disable_user(request: Request, db: Db, user: UsersManager, user_id: str) -> RedirectResponse:
    """Disable the user: their sessions end now, their sign-ins are refused."""
    actor = actor_of(request, user)
    return flash_after(USERS, "disabled", lambda: admin.disable_user(db, actor, user_id))


@router.post("/users/{user_id}/enable")
def enable_user(request: Request, db: Db, user: UsersManager, user_id: str) -> RedirectResponse:
    actor = actor_of(request, user)
    return flash_after(USERS, "enabled", lambda: admin.enable_user(db, actor, user_id))


def _admin_page(
    request: Request, user: SessionUser, template: str, active: str, **context: Any
) -> HTMLResponse:
    """An admin page: its flash line speaks the admin pages' done words."""
    return render(
        request, template, user=user, active=active, DONE_LABELS=ADMIN_DONE_LABELS, **context
    )


def _users(
    request: Request,
    db: Db,
    user: SessionUser,
    *,
    notice: Notice | None = None,
    invited: UserInvited | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    users = admin.list_users(db, user.tenant_id)
    return _admin_page(
        request,
        user,
        "users.html",
        "users",
        notice=notice,
        status_code=status_code,
        users=users,
        roles=CONSOLE_ROLES,
        invited=invited,
    )


@router.get("/review-groups", response_class=HTMLResponse)
def review_groups_page(
    request: Request, db: Db, user: GroupsReader, notice: Flashed
) -> HTMLResponse:
    """Who decides which refunds: each review group with its members, by e-mail."""
    users = admin.list_users(db, user.tenant_id)
    groups = routing.list_groups(db, user.tenant_id)
    emails = {f"user:{u.id}": u.email for u in users}
    return _admin_page(
        request,
        user,
        "review_groups.html",
        "review_groups",
        notice=notice,
        groups=groups,
        users=users,
        emails=emails,
        default_group=routing.DEFAULT_GROUP,
    )


@router.post("/review-groups/add")
def add_member(
    db: Db,
    user: GroupsManager,
    group: GroupName,
    user_id: Annotated[str, Form(min_length=1, max_length=36)],
) -> RedirectResponse:
    """Add a console user to a review group (a new group name creates the group)."""
    known = {u.id for u in admin.list_users(db, user.tenant_id)}

    def add() -> None:
        if user_id not in known:  # another tenant's user is no user here
            raise _unknown_user(user_id)
        routing.add_member(db, user.tenant_id, group, f"user:{user_id}")

    return flash_after(GROUPS, "member_added", add)


@router.post("/review-groups/remove")
def remove_member(
    db: Db,
    user: GroupsManager,
    group: GroupName,
    principal: Annotated[str, Form(min_length=1, max_length=128)],
) -> RedirectResponse:
    return flash_after(
        GROUPS,
        "member_removed",
        lambda: routing.remove_member(db, user.tenant_id, group, principal),
    )


def _unknown_user(user_id: str) -> AppError:
    return UserNotFound(user_id=user_id)


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, db: Db, user: AlertsReader, notice: Flashed) -> HTMLResponse:
    """Where alerts go: DingTalk and WeCom robots, e-mail; destinations masked."""
    routes = alerts.list_routes(db, user.tenant_id)
    return _admin_page(
        request,
        user,
        "alerts.html",
        "alerts",
        notice=notice,
        routes=routes,
        channels=[c.value for c in Channel],
        ALERT_CHANNEL_LABELS=ALERT_CHANNEL_LABELS,
    )


@router.post("/alerts/add")
def add_route(
    request: Request,
    db: Db,
    user: AlertsManager,
    alert_type: Annotated[str, Form(max_length=100)],
    channel: Annotated[Channel, Form()],
    url: Annotated[str, Form(max_length=2048)] = "",
    secret: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    locale: Annotated[str, Form(max_length=8)] = "zh-CN",
) -> RedirectResponse:
    """Add one route; the service checks the destination (and refuses private addresses)."""
    settings: Settings = request.app.state.settings

    def add() -> object:
        typed = {"url": url, "secret": secret, "email": email}  # a blank field is no field
        fields: dict[str, object] = {name: text.strip() or None for name, text in typed.items()}
        fields |= {"alert_type": alert_type.strip(), "channel": channel, "locale": locale}
        route = validated(RouteIn, fields, "route")
        allow = settings.webhook_allow_private_networks
        return alerts.add_route(db, user.tenant_id, route, allow_private=allow)

    return flash_after(ALERTS, "route_added", add)


@router.post("/alerts/{route_id}/delete")
def delete_route(db: Db, user: AlertsManager, route_id: str) -> RedirectResponse:
    return flash_after(
        ALERTS, "route_deleted", lambda: alerts.remove_route(db, user.tenant_id, route_id)
    )
