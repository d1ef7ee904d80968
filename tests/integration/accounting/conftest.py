"""Fixtures of the accounting tests: a local QuickBooks, the CLI on the test database, and the
refund tests' job runner and gateway (a payment must be confirmed, a refund paid out)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oms.config import get_settings
from oms.core.uow import Database
from tests.fixtures.quickbooks import FakeQuickBooks, start
from tests.integration.refunds.conftest import run_jobs

__all__ = ["REALM", "TOKEN", "cli_env", "qbo", "run_jobs"]

REALM = "9130357766900001"
TOKEN = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0..qbo-test-access-token"


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
