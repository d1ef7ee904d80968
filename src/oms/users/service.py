"""Console users: create, sign in (with lock-out), resolve a session, sign out, set language.

Each public function is one command or one query; commands own one unit of work and commit
once. Time comes from the database's clock, so tests can move it past a lock-out.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from oms.core.auth import Role
from oms.core.errors import AuthenticationRequired, NotFound, TenantSuspended, ValidationFailed
from oms.core.ids import new_id
from oms.core.models import Tenant
from oms.core.shapes import project
from oms.core.tenant_states import TenantStatus
from oms.core.uow import Database, UnitOfWork
from oms.users.errors import (
    AccountLocked,
    EmailTaken,
    InvalidCredentials,
    UserDisabled,
    UserNotFound,
    WeakPassword,
)
from oms.users.models import ConsoleSession, User
from oms.users.schemas import LOCALES, LoginResult, SessionUser, UserOut
from oms.users.throttle import LoginThrottle

__all__ = [
    "LOCKOUT",
    "MAX_FAILED_LOGINS",
    "MIN_PASSWORD_LENGTH",
    "SESSION_TTL",
    "authenticate_session",
    "create_user",
    "log_in",
    "log_out",
    "normalise_email",
    "set_locale",
    "user_out",
]

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=12)
MIN_PASSWORD_LENGTH = 8
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HASHER = PasswordHasher()


# Verified against when the e-mail is unknown, so a miss costs as long as a wrong password
# and response times do not reveal which addresses have accounts. Made on first use, not at
# import: an argon2 hash is a second of CPU every process (each `oms` command, each server
# process) would otherwise pay before doing anything.
@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(16))


# Used when the caller passes none (the CLI, tests); the app passes its configured one.
_DEFAULT_THROTTLE = LoginThrottle(max_failures=MAX_FAILED_LOGINS, lockout=LOCKOUT)


def normalise_email(email: str) -> str:
    """E-mail addresses compare case-insensitively; this is the stored form."""
    return email.strip().lower()


def create_user(
    db: Database,
    *,
    tenant_id: str,
    email: str,
    password: str,
    role: str,
    locale: str = "zh-CN",
    also: Callable[[UnitOfWork, str], None] | None = None,
) -> UserOut:
    """Create a console user with an argon2-hashed password; ``also(uow, user_id)`` adds to
    the same transaction (the invitation's audit entry).

    Raises: ERR_NOT_FOUND (tenant), ERR_VALIDATION (e-mail, role or locale),
    ERR_USER_WEAK_PASSWORD, ERR_USER_EMAIL_TAKEN (in any tenant: addresses are global).
    """
    address = _valid_email(email)
    _check_role_and_locale(role, locale)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"use at least {MIN_PASSWORD_LENGTH} characters")
    password_hash = _HASHER.hash(password)
    try:
        with db.uow() as uow:
            if uow.session.get(Tenant, tenant_id) is None:
                raise NotFound("no such tenant", tenant_id=tenant_id)
            if _user_by_email(uow, address) is not None:
                raise EmailTaken(email=address)
            user = User(
                tenant_id=tenant_id,
                id=new_id(),
                email=address,
                password_hash=password_hash,
                role=role,
                locale=locale,
                failed_logins=0,
                created_at=uow.clock.now(),
            )
            uow.session.add(user)
            if also is not None:
                uow.session.flush()
                also(uow, user.id)
            uow.commit()
    except IntegrityError:
        # Two creations of the same address raced; the unique index decided.
        raise EmailTaken(email=address) from None
    return user_out(user)


def log_in(
    db: Database, *, email: str, password: str, throttle: LoginThrottle | None = None
) -> LoginResult:
    """Check a password and open a console session; count failures and lock the account.

    After MAX_FAILED_LOGINS consecutive failures the account is locked for LOCKOUT; a success
    resets the count. Failures are committed before the error is raised. An address without
    an account answers exactly the same way (its count is kept by ``throttle``), so the
    answers never tell which addresses have accounts.
    Raises: ERR_AUTH_INVALID_CREDENTIALS, ERR_AUTH_ACCOUNT_LOCKED, ERR_AUTH_USER_DISABLED.
    """
    address = normalise_email(email)
    with db.uow() as uow:
        now = uow.clock.now()
        user = _user_by_email(uow, address, lock=True)
        if user is not None:
            return _log_in_user(uow, user, password, now)
    # Counted by the throttle after the transaction: its storage may be this very database
    # (OMS_RATE_LIMIT_STORAGE_URL=database://), whose write lock SQLite gives one writer.
    raise _unknown_address(throttle or _DEFAULT_THROTTLE, address, password, now)


def _log_in_user(uow: UnitOfWork, user: User, password: str, now: datetime) -> LoginResult:
    if user.locked_until is not None and user.locked_until > now:
        raise _locked(user.locked_until)
    if not _verify(user.password_hash, password):
        error = _count_failure(user, now)
        uow.commit()
        raise error
    if user.disabled_at is not None:
        # Said only to someone who knows the password, so it reveals nothing to a guesser.
        raise UserDisabled("this account has been disabled; ask an administrator")
    user.failed_logins, user.locked_until = 0, None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    result = _open_session(uow, user, now)
    uow.commit()
    return result


def authenticate_session(db: Database, token: str | None) -> SessionUser:
    """Resolve a session cookie to its user and tenant.

    Raises: ERR_AUTH_REQUIRED (missing, unknown, expired or revoked session),
    ERR_TENANT_SUSPENDED (its partner suspended the tenant).
    """
    if not token:
        raise AuthenticationRequired("sign in to the console")
    now = db.clock.now()
    with db.reader() as session:
        row = session.execute(
            select(ConsoleSession, User, Tenant)
            .join(
                User,
                (User.tenant_id == ConsoleSession.tenant_id) & (User.id == ConsoleSession.user_id),
            )
            .join(Tenant, Tenant.id == User.tenant_id)
            .where(ConsoleSession.token_hash == _token_hash(token))
        ).first()
    if (
        row is None
        or row[0].revoked_at is not None
        or row[0].expires_at <= now
        or row[1].disabled_at
    ):
        raise AuthenticationRequired("the session has ended; sign in again")
    console_session, user, tenant = row
    if tenant.status == TenantStatus.SUSPENDED:
        raise TenantSuspended(tenant_id=tenant.id)
    return SessionUser(
        tenant_id=tenant.id,
        tenant_name=tenant.name,
        timezone=tenant.timezone,
        user_id=user.id,
        email=user.email,
        role=user.role,
        locale=user.locale,
        session_id=console_session.id,
        csrf_token=console_session.csrf_token,
    )


def log_out(db: Database, token: str | None) -> None:
    """Revoke the session behind ``token``; an unknown token is already signed out."""
    if not token:
        return
    with db.uow() as uow:
        found = uow.session.scalars(
            select(ConsoleSession).where(ConsoleSession.token_hash == _token_hash(token))
        ).first()
        if found is not None and found.revoked_at is None:
            found.revoked_at = uow.clock.now()
        uow.commit()


def set_locale(db: Database, *, tenant_id: str, user_id: str, locale: str) -> UserOut:
    """Store the user's console language. Raises: ERR_VALIDATION, ERR_USER_NOT_FOUND."""
    _check_locale(locale)
    with db.uow() as uow:
        user = uow.session.get(User, (tenant_id, user_id))
        if user is None:
            raise UserNotFound(user_id=user_id)
        user.locale = locale
        uow.commit()
    return user_out(user)


def _unknown_address(
    throttle: LoginThrottle, address: str, password: str, now: datetime
) -> InvalidCredentials | AccountLocked:
    """The same answer a real account would give, at the same cost."""
    locked_until = throttle.unknown_locked_until(address)
    if locked_until is not None:
        return _locked(locked_until)
    _verify(_dummy_hash(), password)
    failure = throttle.unknown_failure(address, now)
    if failure.locked_until is not None:
        return _locked(failure.locked_until)
    return InvalidCredentials(attempts_left=failure.attempts_left)


def _count_failure(user: User, now: datetime) -> InvalidCredentials | AccountLocked:
    user.failed_logins += 1
    if user.failed_logins < MAX_FAILED_LOGINS:
        remaining = MAX_FAILED_LOGINS - user.failed_logins
        return InvalidCredentials(attempts_left=remaining)
    # The count starts again once the lock ends, so each lock takes another full series.
    user.failed_logins, user.locked_until = 0, now + LOCKOUT
    return _locked(user.locked_until)


def _locked(until: datetime) -> AccountLocked:
    return AccountLocked(
        f"too many failed sign-ins; try again after {until.isoformat()}", locked_until=until
    )


def _open_session(uow: UnitOfWork, user: User, now: datetime) -> LoginResult:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires_at = now + SESSION_TTL
    uow.session.add(
        ConsoleSession(
            tenant_id=user.tenant_id,
            id=new_id(),
            user_id=user.id,
            token_hash=_token_hash(token),
            csrf_token=csrf,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return LoginResult(user_out(user), token, csrf, expires_at)


def _user_by_email(uow: UnitOfWork, address: str, *, lock: bool = False) -> User | None:
    stmt = select(User).where(User.email == address)
    if lock:
        # Concurrent failures must each count: lock the row (no-op on SQLite, which
        # serialises writers with BEGIN IMMEDIATE anyway).
        stmt = stmt.with_for_update()
    return uow.session.scalars(stmt).first()


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _valid_email(email: str) -> str:
    address = normalise_email(email)
    if not _EMAIL.fullmatch(address) or len(address) > 254:
        raise ValidationFailed(f"not an e-mail address: {email!r}", field="email")
    return address


def _check_role_and_locale(role: str, locale: str) -> None:
    if role not in {r.value for r in Role}:
        raise ValidationFailed(f"unknown role {role!r}", allowed=[r.value for r in Role])
    _check_locale(locale)


def _check_locale(locale: str) -> None:
    if locale not in LOCALES:
        raise ValidationFailed(f"unsupported locale {locale!r}", allowed=list(LOCALES))


def user_out(user: User) -> UserOut:
    return project(UserOut, user)
