"""Fixtures of the accounting tests: a local QuickBooks, the CLI on the test database, and the
refund tests' job runner and gateway (a payment must be confirmed, a refund paid out)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oms.config import get_settings
from oms.core.uow import Database
from tests.fixtures.quickbooks import FakeQuickBooks, start
from tests.fixtures.vouchers import FakeKingdee, FakeU8, start_kingdee, start_u8
from tests.integration.refunds.conftest import run_jobs

__all__ = [
    "KD_SECRET",
    "REALM",
    "TOKEN",
    "U8_SECRET",
    "cli_env",
    "kingdee",
    "qbo",
    "run_jobs",
    "u8",
]

REALM = "9130357766900001"
TOKEN = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0..qbo-test-access-token"

KD_SECRET = "kd-app-secret-0f9a8b7c6d5e4f3a2b1c"
U8_SECRET = "u8-app-secret-1a2b3c4d5e6f"


@pytest.fixture
def kingdee() -> Iterator[FakeKingdee]:
    fake = FakeKingdee(
        acct_id="6490b5d2a8e4f1", user="oms-sync", app_id="229788_oms", app_secret=KD_SECRET
    )
    httpd = start_kingdee(fake)
    yield fake
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def u8() -> Iterator[FakeU8]:
    fake = FakeU8(
        from_account="oms_dev", to_account="merchant_ent", app_key="opa6fdd4b", app_secret=U8_SECRET
    )
    httpd = start_u8(fake)
    yield fake
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def qbo() -> Iterator[FakeQuickBooks]:
    fake = FakeQuickBooks(realm=REALM, token=TOKEN)
    httpd = start(fake)
    yield fake
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def cli_env(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``oms …`` commands work on the test's database."""
    monkeypatch.setenv("OMS_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
