"""User administration (admins): list, invite, change role, disable and enable.

Each command is one unit of work with one commit and an audit entry. Two guards keep a shop
manageable: nobody changes their own role or disables themselves, and the last enabled admin
stays an enabled admin.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import ColumnElement, func, select, update

from oms.core.audit import Attempt, Outcome, record_attempt
from oms.core.auth import Role
from oms.core.context import Actor
from oms.core.errors import ValidationFailed
from oms.core.paging import Page, PageRequest, fetch_page
from oms.core.uow import Database, UnitOfWork
from oms.users.errors import LastAdmin, SelfChange, UserNotFound
from oms.users.models import ConsoleSession, User
from oms.users.schemas import UserInvited, UserOut
from oms.users.service import create_user, user_out

__all__ = [
    "change_role",
    "disable_user",
    "enable_user",
    "invite_user",
    "list_users",
    "user_page",
]

# Long enough to type once from the screen, random enough never to be guessed (~96 bits).
_PASSWORD_BYTES = 12


def list_users(db: Database, tenant_id: str) -> list[UserOut]:
    """The tenant's console users, by e-mail address (the console's table)."""
    stmt = select(User).where(User.tenant_id == tenant_id).order_by(User.email)
    with db.reader() as session:
        return [user_out(row) for row in session.scalars(stmt)]


def user_page(db: Database, tenant_id: str, *, page: PageRequest = PageRequest()) -> Page[UserOut]:
    """One page of the tenant's users, oldest first (the API's list)."""
    stmt = select(User).where(User.tenant_id == tenant_id)
    keys: list[ColumnElement[Any]] = [User.created_at.expression, User.id.expression]
    with db.reader() as session:
        rows = fetch_page(session, stmt, keys, page, scope="users")
        return rows.page([user_out(r[0]) for r in rows.rows])


def invite_user(
    db: Database, actor: Actor, *, email: str, role: str, locale: str = "zh-CN"
) -> UserInvited:
    """Create a user with a generated password, returned once for the admin to hand over.

    Raises: ERR_VALIDATION (e-mail, role or locale), ERR_USER_EMAIL_TAKEN.
    """
    password = secrets.token_urlsafe(_PASSWORD_BYTES)
    created = create_user(
        db,
        tenant_id=actor.tenant_id,
        email=email,
        password=password,
        role=role,
        locale=locale,
        also=lambda uow, user_id: _audit(uow, actor, user_id, "user_invited", reason=role),
    )
    return UserInvited(created, password)


def change_role(db: Database, actor: Actor, user_id: str, role: str) -> UserOut:
    """Give a user another role; their open sessions see it on their next request.

    Raises: ERR_VALIDATION (unknown role), ERR_USER_NOT_FOUND, ERR_USER_SELF_CHANGE,
    ERR_USER_LAST_ADMIN.
    """
    if role not in {r.value for r in Role}:
        raise ValidationFailed(f"unknown role {role!r}", allowed=[r.value for r in Role])
    with db.uow() as uow:
        user = _target(uow, actor, user_id)
        if user.role == Role.ADMIN and role != Role.ADMIN:
            _keep_an_admin(uow, user)
        before, user.role = user.role, role
        _audit(uow, actor, user.id, "user_role_changed", reason=f"{before} -> {role}")
        uow.commit()
    return user_out(user)


def disable_user(db: Database, actor: Actor, user_id: str) -> UserOut:
    """Disable a user: every session of theirs ends now and they can sign in no more.

    Disabling a disabled user changes nothing. Raises: ERR_USER_NOT_FOUND,
    ERR_USER_SELF_CHANGE, ERR_USER_LAST_ADMIN.
    """
    with db.uow() as uow:
        user = _target(uow, actor, user_id)
        if user.disabled_at is None:
            if user.role == Role.ADMIN:
                _keep_an_admin(uow, user)
            now = uow.clock.now()
            user.disabled_at = now
            uow.session.execute(
                update(ConsoleSession)
                .where(
                    ConsoleSession.tenant_id == user.tenant_id,
                    ConsoleSession.user_id == user.id,
                    ConsoleSession.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
            _audit(uow, actor, user.id, "user_disabled")
        uow.commit()
    return user_out(user)


def enable_user(db: Database, actor: Actor, user_id: str) -> UserOut:
    """Let a disabled user sign in again (with the password they had).

    Raises: ERR_USER_NOT_FOUND, ERR_USER_SELF_CHANGE.
    """
    with db.uow() as uow:
        user = _target(uow, actor, user_id)
        if user.disabled_at is not None:
            user.disabled_at, user.failed_logins, user.locked_until = None, 0, None
            _audit(uow, actor, user.id, "user_enabled")
        uow.commit()
    return user_out(user)


def _target(uow: UnitOfWork, actor: Actor, user_id: str) -> User:
    """The tenant's user, locked; another tenant's user is not found."""
    if actor.principal == f"user:{user_id}":
        raise SelfChange("ask another admin to change your own account")
    stmt = select(User).where(User.tenant_id == actor.tenant_id, User.id == user_id)
    user = uow.session.scalars(stmt.with_for_update()).first()
    if user is None:
        raise UserNotFound(user_id=user_id)
    return user


def _keep_an_admin(uow: UnitOfWork, leaving: User) -> None:
    """Raise ERR_USER_LAST_ADMIN unless another enabled admin remains."""
    others = uow.session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            User.tenant_id == leaving.tenant_id,
            User.role == Role.ADMIN.value,
            User.disabled_at.is_(None),
            User.id != leaving.id,
        )
    )
    if not others:
        raise LastAdmin("the shop needs at least one enabled admin")


def _audit(uow: UnitOfWork, actor: Actor, user_id: str, event: str, *, reason: str = "") -> None:
    attempt = Attempt("user", user_id, event, Outcome.APPLIED, reason=reason or None)
    record_attempt(uow.session, actor, attempt, now=uow.clock.now())
