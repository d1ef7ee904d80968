"""A real ``oms serve`` on a free port, seeded through the CLI and the HTTP API, and Chromium.

The browser tests skip when Debian's Chromium is missing, except under ``CI=true``, where a
missing browser fails the run (``.ci/run`` and ``make test`` install it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser.shortage import seed_shortage
from tests.fixtures.orders import order_payload
from tests.fixtures.processes import wait_ready
from tests.fixtures.server import free_port

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
OMS = Path(sys.executable).parent / "oms"
PASSWORD = "browser-test-password"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@dataclass(frozen=True)
class LiveConsole:
    base_url: str
    tenant_id: str
    api_key: str
    ops_email: str
    warehouse_email: str
    orders: dict[str, dict[str, Any]]
    shortage_order_id: str
    database_url: str


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing (apt-get install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: browser tests are required)")
    pytest.skip(message)


def _oms(env: dict[str, str], *args: str, stdin: str | None = None) -> Any:
    done = subprocess.run(
        [str(OMS), *args], env=env, input=stdin, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout) if done.stdout.lstrip().startswith("{") else done.stdout


def _stock_up(url: str, headers: dict[str, str]) -> None:
    """Receive the order fixtures' SKUs, since placing an order reserves stock."""
    for line in order_payload()["lines"]:
        movement = {"sku": line["sku"], "kind": "inbound", "qty": 1000}
        response = httpx.post(f"{url}/api/v1/stock/movements", json=movement, headers=headers)
        response.raise_for_status()


def _seed_orders(url: str, api_key: str) -> dict[str, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {api_key}"}
    _stock_up(url, headers)
    buyers = {
        "wang": {"name": "王芳", "phone": "13800138000"},
        "li": {"name": "李娜", "phone": "13912345678"},
        "zhang": {"name": "张伟", "phone": "15011112222"},
    }
    created = {}
    for key, buyer in buyers.items():
        response = httpx.post(
            f"{url}/api/v1/orders", json=order_payload(buyer=buyer), headers=headers
        )
        response.raise_for_status()
        created[key] = response.json()
    paid = httpx.post(
        f"{url}/api/v1/orders/{created['zhang']['id']}/events",
        json={"event": "pay", "source": "gateway:alipay"},
        headers=headers,
    )
    paid.raise_for_status()
    return created


@pytest.fixture(scope="session")
def live_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveConsole]:
    _require_chromium()
    workdir = tmp_path_factory.mktemp("oms-serve")
    env = os.environ | {
        "OMS_DATABASE_URL": f"sqlite:///{workdir}/oms.db",
        "OMS_EMBEDDED_WORKER": "0",
        "OMS_LOG_LEVEL": "WARNING",
        # Every browser test signs in from 127.0.0.1, faster than the production limit of 20 a
        # minute per address allows on an idle machine; the throttle has tests of its own
        # (tests/api/test_console_login_security.py).
        "OMS_LOGIN_RATE_LIMIT": "10000/minute",
    }
    _oms(env, "migrate")
    # Longer than a hold (15 min), so the seeded shortage order is paid, not timed out; and a
    # day, so no seeded unpaid order times out while a loaded CI machine is still testing.
    tenant = _oms(env, "tenants", "create", "--name", "浏览器测试店", "--payment-timeout", "86400")
    emails = {
        role: f"{role}-{tenant['tenant_id'][-6:]}@browser.test" for role in ("ops", "warehouse")
    }
    for role, email in emails.items():
        _oms(
            env,
            "users",
            "create",
            "--tenant",
            tenant["tenant_id"],
            "--email",
            email,
            "--role",
            role,
            stdin=PASSWORD + "\n",
        )
    port = free_port()
    log = (workdir / "serve.log").open("wb")
    process = subprocess.Popen(
        [str(OMS), "serve", "--port", str(port), "--no-worker"],
        env=env,
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process)
        orders = _seed_orders(url, tenant["api_key"])
        shortage = seed_shortage(env["OMS_DATABASE_URL"], tenant["tenant_id"])
        yield LiveConsole(
            url,
            tenant["tenant_id"],
            tenant["api_key"],
            emails["ops"],
            emails["warehouse"],
            orders,
            shortage,
            env["OMS_DATABASE_URL"],
        )
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


@pytest.fixture(scope="session")
def browser(live_console: LiveConsole) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


# Every wait ends as soon as what it waits for holds, so the limit only matters on a busy
# machine (CI runs two test processes, a server and Chromium on two cores; a sign-in hashes a
# password) or when a page is broken, and then a minute is still a clear failure.
BROWSER_TIMEOUT_MS = 60_000
expect.set_options(timeout=BROWSER_TIMEOUT_MS)  # assertions wait as long as actions


def new_page(browser: Browser, *, locale: str = "zh-CN", width: int = 1280) -> Page:
    """A page in a context of its own, with the suite's timeout."""
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    return context.new_page()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    opened = new_page(browser)
    yield opened
    opened.context.close()


def screenshot(page: Page, name: str) -> None:
    """Keep what the page looked like, as a test artefact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, console: LiveConsole, email: str) -> None:
    page.goto(f"{console.base_url}/console")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/console/orders")
