"""Every main console page, as an admin, in zh-CN and en, at 1280 and 390 px: no untranslated
word (zh-CN), no sideways scrolling and a one-line top bar on a phone, no critical axe-core
violation. Screenshots of each go to tests/artifacts/.

Data (warehouse codes, key names, source systems, column names) is marked ``translate="no"``
or set in ``<code>``; titles oms writes in both languages show the reader's half.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from oms.core.clock import SystemClock
from oms.core.db import make_engine
from oms.core.uow import Database
from oms.users.service import create_user
from tests.browser.checks import page_problems
from tests.browser.conftest import PASSWORD, LiveConsole, new_page, screenshot, sign_in

pytestmark = pytest.mark.browser

WIDTHS = (1280, 390)
LOCALES = ("zh-CN", "en")


PAGES = [
    pytest.param("/console/users", id="users"),
    pytest.param("/console/review-groups", id="review-groups"),
    pytest.param("/console/alerts", id="alerts"),
    pytest.param("/console/webhooks", id="webhooks"),
    pytest.param("/console/api-keys", id="api-keys"),
    pytest.param("/console/jobs", id="jobs"),
    pytest.param("/console/orders", id="orders"),
    pytest.param("/console/orders/{order}", id="order"),
    pytest.param("/console/stock", id="stock"),
    pytest.param("/console/fulfilment", id="fulfilment"),
    pytest.param("/console/tickets", id="tickets"),
    pytest.param("/console/refunds", id="refunds"),
    pytest.param("/console/refunds/sla", id="refunds-sla"),
    pytest.param("/console/finance", id="finance"),
    pytest.param("/console/vouchers", id="vouchers"),
]


@pytest.fixture(scope="module")
def admins(live_console: LiveConsole) -> Iterator[dict[str, str]]:
    """An admin per language in the served tenant."""
    db = Database(make_engine(live_console.database_url), SystemClock())
    emails = {}
    for locale in LOCALES:
        email = f"admin-{locale.lower()}-{live_console.tenant_id[-6:]}@browser.test"
        create_user(
            db,
            tenant_id=live_console.tenant_id,
            email=email,
            password=PASSWORD,
            role="admin",
            locale=locale,
        )
        emails[locale] = email
    yield emails
    db.engine.dispose()


def _signed_in(browser: Browser, console: LiveConsole, email: str, locale: str) -> Page:
    page = new_page(browser, locale=locale)
    sign_in(page, console, email)
    return page


@pytest.mark.parametrize("path", PAGES)
def test_the_page_passes_the_checks_everywhere(
    browser: Browser, live_console: LiveConsole, admins: dict[str, str], path: str
) -> None:
    url = live_console.base_url + path.format(order=live_console.orders["zhang"]["id"])
    name = path.strip("/").replace("/", "-").replace("{order}", "order")
    problems: list[str] = []
    for locale in LOCALES:
        page = _signed_in(browser, live_console, admins[locale], locale)
        try:
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                response = page.goto(url)
                assert response is not None and response.status == 200, url
                screenshot(page, f"{name}-{locale}-{width}")
                found = page_problems(page, locale=locale, width=width)
                problems += [f"{locale}@{width}: {p}" for p in found]
        finally:
            page.context.close()
    assert not problems, "\n".join(problems)


def test_the_login_page_passes_the_checks(browser: Browser, live_console: LiveConsole) -> None:
    problems: list[str] = []
    for locale in LOCALES:
        page = new_page(browser, locale=locale)
        context = page.context
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{live_console.base_url}/console/login?lang={locale}")
            screenshot(page, f"login-{locale}-{width}")
            problems += [
                f"{locale}@{width}: {p}" for p in page_problems(page, locale=locale, width=width)
            ]
        context.close()
    assert not problems, "\n".join(problems)


def test_the_phone_menu_opens_the_navigation(
    browser: Browser, live_console: LiveConsole, admins: dict[str, str]
) -> None:
    page = _signed_in(browser, live_console, admins["zh-CN"], "zh-CN")
    try:
        page.set_viewport_size({"width": 390, "height": 800})
        page.goto(f"{live_console.base_url}/console/orders")
        users_link = page.locator("nav.nav a[data-nav=users]")
        assert not users_link.is_visible()
        page.click("label.menu-button")
        assert users_link.is_visible()
        users_link.click()
        page.wait_for_url("**/console/users")
    finally:
        page.context.close()
