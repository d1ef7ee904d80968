"""Console users through the real unit of work, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from oms.core.clock import ManualClock
from oms.core.errors import AuthenticationRequired, NotFound, ValidationFailed
from oms.core.uow import Database
from oms.users import service
from oms.users.errors import AccountLocked, EmailTaken, InvalidCredentials, WeakPassword
from oms.users.models import ConsoleSession, User
from tests.fixtures.tenants import TenantKeys

PASSWORD = "long enough secret"


def _user(db: Database, tenant: TenantKeys, email: str = "Ops@Shop.Example") -> str:
    return service.create_user(
        db, tenant_id=tenant.tenant_id, email=email, password=PASSWORD, role="ops"
    ).id


def test_a_user_is_stored_with_a_normalised_email_and_an_argon2_hash(
    db: Database, tenant: TenantKeys
) -> None:
    user_id = _user(db, tenant)
    with db.reader() as session:
        user = session.get(User, (tenant.tenant_id, user_id))
    assert user is not None and user.email == "ops@shop.example"
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert (user.role, user.locale, user.failed_logins) == ("ops", "zh-CN", 0)


def test_an_email_is_unique_across_tenants_whatever_its_case(
    db: Database, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    _user(db, tenant)
    with pytest.raises(EmailTaken):
        _user(db, other_tenant, email="OPS@shop.example")


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"email": "not-an-email"}, ValidationFailed),
        ({"role": "owner"}, ValidationFailed),
        ({"locale": "fr"}, ValidationFailed),
        ({"password": "short"}, WeakPassword),
        ({"tenant_id": "no-such-tenant"}, NotFound),
    ],
)
def test_invalid_users_are_refused(
    db: Database, tenant: TenantKeys, overrides: dict[str, str], error: type[Exception]
) -> None:
    args = {
        "tenant_id": tenant.tenant_id,
        "email": "a@shop.example",
        "password": PASSWORD,
        "role": "ops",
        "locale": "en",
    } | overrides
    with pytest.raises(error):
        service.create_user(db, **args)


def test_a_login_opens_a_session_stored_only_as_a_hash(db: Database, tenant: TenantKeys) -> None:
    _user(db, tenant)
    login = service.log_in(db, email=" OPS@shop.example ", password=PASSWORD)
    with db.reader() as session:
        stored = session.scalars(select(ConsoleSession)).one()
    assert login.token.encode() not in stored.token_hash and len(stored.token_hash) == 32
    user = service.authenticate_session(db, login.token)
    assert (user.tenant_id, user.role, user.timezone) == (tenant.tenant_id, "ops", "Asia/Shanghai")
    assert user.csrf_token == login.csrf_token == stored.csrf_token


def test_an_unknown_email_is_the_same_error_as_a_wrong_password(
    db: Database, tenant: TenantKeys
) -> None:
    _user(db, tenant)
    with pytest.raises(InvalidCredentials):
        service.log_in(db, email="nobody@shop.example", password=PASSWORD)
    with pytest.raises(InvalidCredentials):
        service.log_in(db, email="ops@shop.example", password="wrong password")


def test_the_fifth_failure_locks_until_the_lockout_ends(
    db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    _user(db, tenant)
    for left in (4, 3, 2, 1):
        with pytest.raises(InvalidCredentials) as failed:
            service.log_in(db, email="ops@shop.example", password="wrong password")
        assert failed.value.details["attempts_left"] == left
    with pytest.raises(AccountLocked) as locked:
        service.log_in(db, email="ops@shop.example", password="wrong password")
    assert locked.value.details["locked_until"] == clock.now() + service.LOCKOUT
    with pytest.raises(AccountLocked):
        service.log_in(db, email="ops@shop.example", password=PASSWORD)
    clock.advance(service.LOCKOUT)
    assert service.log_in(db, email="ops@shop.example", password=PASSWORD).token


def test_sessions_end_when_they_expire_or_are_logged_out(
    db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    _user(db, tenant)
    first = service.log_in(db, email="ops@shop.example", password=PASSWORD)
    second = service.log_in(db, email="ops@shop.example", password=PASSWORD)
    service.log_out(db, first.token)
    with pytest.raises(AuthenticationRequired):
        service.authenticate_session(db, first.token)
    assert service.authenticate_session(db, second.token)
    clock.advance(service.SESSION_TTL + timedelta(seconds=1))
    with pytest.raises(AuthenticationRequired):
        service.authenticate_session(db, second.token)
    with pytest.raises(AuthenticationRequired):
        service.authenticate_session(db, None)


def test_the_locale_is_stored(db: Database, tenant: TenantKeys) -> None:
    user_id = _user(db, tenant)
    assert service.set_locale(db, tenant_id=tenant.tenant_id, user_id=user_id, locale="en")
    login = service.log_in(db, email="ops@shop.example", password=PASSWORD)
    assert login.user.locale == "en"
    with pytest.raises(ValidationFailed):
        service.set_locale(db, tenant_id=tenant.tenant_id, user_id=user_id, locale="de")
