"""The console's risk desk: the rule editor names a bad expression's problem, a dry run shows
its counts, a blacklist imports from a file, a reviewer cancels a held order."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from oms.core.clock import ManualClock
from oms.core.uow import Database
from tests.fixtures.risk import pay, place, risk_of, run_jobs
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.users import console_user, log_in

PAGE = "/console/risk"


def test_the_rule_editor_names_the_problem_and_saves_a_good_rule(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    csrf = log_in(client, console_user(db, tenant.tenant_id, "ops"))
    bad = client.post(
        f"{PAGE}/rules",
        data={"csrf_token": csrf, "name": "x", "expression": "ip_order >= 2", "action": "review"},
    )
    assert bad.status_code == 422
    assert 'id="rule-error"' in bad.text and "unknown feature &#39;ip_order&#39;" in bad.text
    good = client.post(
        f"{PAGE}/rules",
        data={"csrf_token": csrf, "name": "big", "expression": "amount > 1", "action": "block"},
        follow_redirects=False,
    )
    assert (good.status_code, good.headers["location"]) == (303, f"{PAGE}?done=rule_saved")
    assert '<tr data-rule="big">' in client.get(PAGE).text


def test_a_dry_run_shows_what_the_rule_would_have_held(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    place(client, tenant, 1)
    run_jobs(db)
    log_in(client, console_user(db, tenant.tenant_id, "ops"))
    html = client.get(PAGE, params={"dry_run": "amount > 1"}).text
    assert (
        '<dd data-count="evaluated">1</dd>' in html and '<dd data-count="would_hold">1</dd>' in html
    )
    assert 'id="dry-run-error"' in client.get(PAGE, params={"dry_run": "amount >"}).text


def test_a_blacklist_file_imports_and_a_bad_one_is_flashed(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    csrf = log_in(client, console_user(db, tenant.tenant_id, "admin"))
    files = {"file": ("phones.csv", b"phone\n13800138000\n", "text/csv")}
    done = client.post(
        f"{PAGE}/blacklist",
        data={"csrf_token": csrf, "kind": "phone"},
        files=files,
        follow_redirects=False,
    )
    assert done.headers["location"] == f"{PAGE}?done=blacklist_imported"
    assert 'data-batch="' in client.get(PAGE).text
    bad = {"file": ("ips.csv", b"ip\nnope\n", "text/csv")}
    refused = client.post(
        f"{PAGE}/blacklist",
        data={"csrf_token": csrf, "kind": "ip"},
        files=bad,
        follow_redirects=False,
    )
    assert refused.headers["location"] == f"{PAGE}?error=ERR_RISK_BLACKLIST_INVALID"


def test_a_reviewer_cancels_a_held_order_with_a_reason(
    client: TestClient, db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    ids = []
    for n in range(5):
        ids.append(place(client, tenant, n, buyer={"ip": "203.0.113.9"})["id"])
        clock.advance(timedelta(minutes=1))
    pay(client, tenant, ids[-1])
    run_jobs(db)
    csrf = log_in(client, console_user(db, tenant.tenant_id, "service"))
    assert f'data-order-id="{ids[-1]}"' in client.get(PAGE).text
    url = f"{PAGE}/orders/{ids[-1]}/cancel"
    blank = client.post(url, data={"csrf_token": csrf, "reason": " "}, follow_redirects=False)
    assert blank.headers["location"] == f"{PAGE}?error=ERR_VALIDATION"
    done = client.post(url, data={"csrf_token": csrf, "reason": "刷单"}, follow_redirects=False)
    assert done.headers["location"] == f"{PAGE}?done=cancelled"
    assert risk_of(client, tenant, ids[-1])["hold_status"] == "cancelled"
