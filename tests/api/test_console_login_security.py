"""Console sign-in: unknown addresses answer like real ones; each IP is throttled."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from limits.errors import StorageError

from oms.app import create_app
from oms.config import Settings
from oms.core.uow import Database
from oms.users.errors import AccountLocked, InvalidCredentials, LoginThrottled
from oms.users.service import LOCKOUT, MAX_FAILED_LOGINS, log_in
from oms.users.throttle import LoginThrottle
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.users import PASSWORD, console_user, submit_login

_FLASH = re.compile(r'<p class="flash error"[^>]*>(.*?)</p>', re.S)


def _client(db: Database, ip: str, **settings: str) -> TestClient:
    app = create_app(
        Settings(env="test", embedded_worker=False, **settings), db=db, run_worker=False
    )  # type: ignore[arg-type]
    return TestClient(app, raise_server_exceptions=False, client=(ip, 50000))


@pytest.fixture
def app_client(db: Database) -> Iterator[TestClient]:
    with _client(db, "198.51.100.7") as client:
        yield client


def _answers(client: TestClient, email: str, attempts: int) -> list[tuple[int, str]]:
    out = []
    for _ in range(attempts):
        response = submit_login(client, email, "not-the-password")
        flash = _FLASH.search(response.text)
        out.append((response.status_code, " ".join(flash.group(1).split()) if flash else ""))
    return out


def test_an_unknown_address_answers_exactly_like_a_real_account(
    app_client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    real = console_user(db, tenant.tenant_id, "ops")
    known = _answers(app_client, real.email, MAX_FAILED_LOGINS)
    unknown = _answers(app_client, "nobody-here@shop.example", MAX_FAILED_LOGINS)
    assert [s for s, _ in known] == [401, 401, 401, 401, 423]
    assert unknown == known  # statuses, messages, attempts left and the lock's end
    # Locked, both of them: even the right password gets the same 423.
    assert submit_login(app_client, real.email, PASSWORD).status_code == 423
    again = submit_login(app_client, "nobody-here@shop.example", PASSWORD)
    assert again.status_code == 423 and 'data-code="ERR_AUTH_ACCOUNT_LOCKED"' in again.text


def test_the_service_counts_and_locks_unknown_addresses(db: Database, tenant: TenantKeys) -> None:
    throttle = LoginThrottle(max_failures=MAX_FAILED_LOGINS, lockout=LOCKOUT)
    for left in (4, 3, 2, 1):
        with pytest.raises(InvalidCredentials) as failed:
            log_in(db, email="ghost@shop.example", password="x" * 9, throttle=throttle)
        assert failed.value.details["attempts_left"] == left
    with pytest.raises(AccountLocked) as locked:
        log_in(db, email="GHOST@shop.example", password="x" * 9, throttle=throttle)
    assert locked.value.details["locked_until"] == db.clock.now() + LOCKOUT


def test_one_ip_is_throttled_before_it_can_lock_many_accounts(
    db: Database, tenant: TenantKeys
) -> None:
    victims = [console_user(db, tenant.tenant_id, r) for r in ("ops", "service", "finance")]
    with _client(db, "203.0.113.9", login_rate_limit="10/minute") as attacker:
        statuses = [s for v in victims for s, _ in _answers(attacker, v.email, 5)]
        assert statuses[:10] == [401, 401, 401, 401, 423] * 2
        assert statuses[10:] == [429] * 5
        refused = submit_login(attacker, victims[2].email, PASSWORD)
        assert refused.status_code == 429 and 'data-code="ERR_AUTH_RATE_LIMITED"' in refused.text
        assert 1 <= int(refused.headers["retry-after"]) <= 60
    # The third account was never counted against: its owner, elsewhere, signs in.
    with _client(db, "192.0.2.44") as owner:
        assert submit_login(owner, victims[2].email, PASSWORD).status_code == 303


def test_throttles_share_counts_through_redis() -> None:
    """``OMS_RATE_LIMIT_STORAGE_URL=redis://…``: two processes count one IP together."""
    url = "redis://127.0.0.1:6379/15"
    try:
        first, second = (LoginThrottle(storage_url=url, per_ip="3/minute") for _ in range(2))
        first.reset()
    except StorageError as exc:  # pragma: no cover - only without a local redis
        pytest.skip(f"no redis at {url}: {exc}")
    first.admit("10.9.8.7")
    second.admit("10.9.8.7")
    first.admit("10.9.8.7")
    with pytest.raises(LoginThrottled) as throttled:
        second.admit("10.9.8.7")
    assert 1 <= throttled.value.details["retry_after"] <= 60
    first.reset()


def test_several_windows_apply_at_once() -> None:
    throttle = LoginThrottle(per_ip="5/minute;2/second")
    throttle.admit("10.1.1.1")
    throttle.admit("10.1.1.1")
    with pytest.raises(LoginThrottled):
        throttle.admit("10.1.1.1")  # the per-second window, though the minute allows it
