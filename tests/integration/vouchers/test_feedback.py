"""A completed refund asks for feedback through a signed link, answered once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from oms.core.clock import ManualClock
from oms.core.jobs import list_jobs
from oms.core.uow import Database
from tests.fixtures.tenants import TenantKeys
from tests.integration.vouchers.conftest import refunded

ANSWER = {"handled_promptly": "yes", "arrived_fast": "no"}


def _link(db: Database, tenant: TenantKeys) -> str:
    [job] = [
        j
        for j in list_jobs(db, tenant_id=tenant.tenant_id)
        if j.topic == "refund.feedback_requested"
    ]
    url: str = job.payload["url"]
    assert url.startswith("/feedback/")
    return url


def test_the_link_shows_chinese_labels_by_default_and_english_on_request(
    client: TestClient, db: Database, tenant: TenantKeys, run_jobs: Callable[..., int]
) -> None:
    refunded(client, tenant, run_jobs)
    url = _link(db, tenant)
    page = client.get(url)
    assert page.status_code == 200 and "处理及时" in page.text and "到账快" in page.text
    english = client.get(url + "?lang=en")
    assert "Handled promptly" in english.text and "Money arrived fast" in english.text


def test_an_answer_is_recorded_once(
    client: TestClient, db: Database, tenant: TenantKeys, run_jobs: Callable[..., int]
) -> None:
    refunded(client, tenant, run_jobs)
    url = _link(db, tenant)
    first = client.post(url + "?lang=en", data=ANSWER)
    assert first.status_code == 201 and "Thank you" in first.text
    again = client.post(url + "?lang=en", data={"handled_promptly": "no", "arrived_fast": "no"})
    assert again.status_code == 200 and "already recorded" in again.text
    assert "ERR_FEEDBACK_ALREADY_RECORDED" in again.text
    summary = client.get("/api/v1/refunds/feedback/summary", headers=tenant.headers()).json()
    [group] = summary["by_group"]
    assert (group["key"], group["answered"], group["handled_promptly"], group["arrived_fast"]) == (
        "default",
        1,
        1,
        0,
    )
    [agent] = summary["by_agent"]
    assert agent["key"].startswith("apikey:") and agent["handled_promptly_rate"] == 1.0


def test_forged_and_expired_links_show_a_clear_not_found_page(
    client: TestClient,
    db: Database,
    clock: ManualClock,
    tenant: TenantKeys,
    run_jobs: Callable[..., int],
) -> None:
    refunded(client, tenant, run_jobs)
    url = _link(db, tenant)
    body, _, mac = url.removeprefix("/feedback/").partition(".")
    forged = client.get(f"/feedback/{body}.{mac[:-2]}AA?lang=en")
    assert forged.status_code == 404 and "not valid or has expired" in forged.text
    assert client.get("/feedback/garbage").status_code == 404
    assert client.post("/feedback/x.y", data=ANSWER).status_code == 404
    clock.advance(timedelta(days=31))
    expired = client.get(url)
    assert expired.status_code == 404 and "ERR_FEEDBACK_LINK_INVALID" in expired.text
