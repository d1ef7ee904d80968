"""Risk over HTTP: rules checked when saved, holds with their evidence, the reviewer's release
and cancel, blacklist import, dry run, tenant isolation."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from oms.core.clock import ManualClock
from oms.core.uow import Database
from tests.fixtures.orders import order_timeline
from tests.fixtures.risk import pay, place, risk_of, run_jobs
from tests.fixtures.tenants import TenantKeys

IP = "203.0.113.7"


def _burst(client: TestClient, tenant: TenantKeys, clock: ManualClock, n: int = 5) -> list[str]:
    """n orders of n different buyers from one IP, a minute apart."""
    ids = []
    for i in range(n):
        ids.append(place(client, tenant, i, buyer={"ip": IP})["id"])
        clock.advance(timedelta(minutes=1))
    return ids


def test_a_rule_with_a_good_expression_is_saved(client: TestClient, tenant: TenantKeys) -> None:
    body = {"name": "big", "expression": "amount >= 500000", "action": "review"}
    response = client.post("/api/v1/risk/rules", json=body, headers=tenant.headers())
    assert response.status_code == 201, response.text
    assert response.json()["expression"] == "amount >= 500000"
    names = [r["name"] for r in client.get("/api/v1/risk/rules", headers=tenant.headers()).json()]
    assert "big" in names and "ip_burst" in names  # the defaults are there too


def test_a_bad_expression_is_422_naming_the_problem(client: TestClient, tenant: TenantKeys) -> None:
    cases = {
        "ip_orders >= 5": "ip_orders",
        "ip_orders_10m >=": "syntax error",
        "amount + 1": "not a condition",
        'phone_prefix =~ "(a+)+$"': "nests quantifiers",
        "phone_prefix =~ channel": "string literal",
        "": "empty",
    }
    for expression, named in cases.items():
        body = {"name": "bad", "expression": expression, "action": "block"}
        response = client.post("/api/v1/risk/rules", json=body, headers=tenant.headers())
        assert response.status_code == 422, expression
        problem = response.json()
        assert problem["code"] == "ERR_RISK_RULE_INVALID"
        assert named in problem["detail"], (expression, problem["detail"])


def test_only_configuring_roles_save_rules(client: TestClient, tenant: TenantKeys) -> None:
    body = {"name": "x", "expression": "amount > 1", "action": "review"}
    response = client.post("/api/v1/risk/rules", json=body, headers=tenant.headers("warehouse"))
    assert response.status_code == 403


def test_an_ip_burst_is_held_when_paid_with_its_facts(
    client: TestClient, db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    ids = _burst(client, tenant, clock)
    run_jobs(db)
    assert risk_of(client, tenant, ids[3])["rules_hit"] == []  # the 4th is under the limit
    fifth = risk_of(client, tenant, ids[4])
    assert "ip_burst" in fifth["rules_hit"]
    assert fifth["level"] in ("medium", "high")
    assert fifth["recommendation"] in ("investigate", "cancel")
    assert {
        "description": "5 orders from the same IP address in 10 minutes",
        "sentiment": "raises",
    } in fifth["facts"]
    assert fifth["hold_status"] == "awaiting_payment"  # unpaid orders are not held yet
    pay(client, tenant, ids[4])
    run_jobs(db)
    held = risk_of(client, tenant, ids[4])
    assert (held["hold_status"], held["hold_reason"]) == ("held", "high_risk")
    order = client.get(f"/api/v1/orders/{ids[4]}", headers=tenant.headers()).json()
    assert order["status"] == "on_hold"
    timeline = order_timeline(client, tenant, ids[4])
    hold = [e for e in timeline if e["event"] == "hold"]
    assert hold and hold[0]["reason"] == "high_risk"
    assessed = [e for e in timeline if e["event"] == "risk_assessed"]
    assert assessed[0]["details"]["rules_hit"] == fifth["rules_hit"]


def test_orders_without_an_ip_trigger_no_ip_rule(
    client: TestClient, db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    ids = []
    for i in range(6):
        ids.append(place(client, tenant, i)["id"])
        clock.advance(timedelta(seconds=30))
    run_jobs(db)
    risk = risk_of(client, tenant, ids[-1])
    assert risk["level"] == "none" and risk["rules_hit"] == []


def test_a_paid_order_is_held_at_once_and_released_with_a_reason(
    client: TestClient, db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    ids = _burst(client, tenant, clock, n=4)
    last = place(client, tenant, 99, buyer={"ip": IP})["id"]
    pay(client, tenant, last)  # paid before the assessment job runs
    run_jobs(db)
    assert risk_of(client, tenant, last)["hold_status"] == "held"
    url = f"/api/v1/orders/{last}/risk/release"
    assert client.post(url, json={}, headers=tenant.headers()).status_code == 422
    response = client.post(url, json={"reason": "called the buyer"}, headers=tenant.headers())
    assert response.status_code == 200, response.text
    assert response.json()["hold_status"] == "released"
    assert response.json()["decision_reason"] == "called the buyer"
    order = client.get(f"/api/v1/orders/{last}", headers=tenant.headers()).json()
    assert order["status"] == "paid"
    again = client.post(url, json={"reason": "twice"}, headers=tenant.headers())
    assert (again.status_code, again.json()["code"]) == (409, "ERR_RISK_NOT_HELD")
    never = client.post(
        f"/api/v1/orders/{ids[0]}/risk/release", json={"reason": "x"}, headers=tenant.headers()
    )
    assert (never.status_code, never.json()["code"]) == (409, "ERR_RISK_NOT_HELD")


def test_cancelling_a_held_paid_order_requests_its_refund(
    client: TestClient, db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    ids = _burst(client, tenant, clock)
    pay(client, tenant, ids[4])
    run_jobs(db)
    response = client.post(
        f"/api/v1/orders/{ids[4]}/risk/cancel",
        json={"reason": "brushing ring"},
        headers=tenant.headers(),
    )
    assert response.status_code == 200, response.text
    assert response.json()["hold_status"] == "cancelled"
    refunds = client.get(f"/api/v1/refunds?order_id={ids[4]}", headers=tenant.headers()).json()
    items = refunds["items"] if isinstance(refunds, dict) else refunds
    assert [r["order_id"] for r in items] == [ids[4]]
    assert items[0]["amount"] == 73000


def test_a_blacklisted_phone_cancels_an_unpaid_order(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    csv_body = "phone,note\n+86 138-0013-0042,chargeback 2026-10\n"
    response = client.post(
        "/api/v1/risk/blacklist?kind=phone",
        content=csv_body.encode(),
        headers=tenant.headers(**{"Content-Type": "text/csv"}),
    )
    assert response.status_code == 201, response.text
    imported = response.json()
    assert imported["imported"] == 1 and imported["imported_by"].startswith("apikey:")
    order = place(client, tenant, 42)["id"]
    run_jobs(db)
    risk = risk_of(client, tenant, order)
    assert risk["level"] == "high" and "blacklisted" in risk["rules_hit"]
    assert risk["recommendation"] == "cancel"
    assert client.get(f"/api/v1/orders/{order}", headers=tenant.headers()).json()["status"] == (
        "cancelled"
    )


def test_a_blacklist_uploads_as_multipart_and_counts_values_listed_before(
    client: TestClient, tenant: TenantKeys
) -> None:
    files = {"file": ("ips.csv", b"ip\n198.51.100.1\n198.51.100.2\n", "text/csv")}
    first = client.post("/api/v1/risk/blacklist?kind=ip", files=files, headers=tenant.headers())
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/risk/blacklist?kind=ip", files=files, headers=tenant.headers())
    assert (again.json()["imported"], again.json()["already_listed"]) == (0, 2)


def test_a_bad_blacklist_file_is_422_naming_the_line(
    client: TestClient, tenant: TenantKeys
) -> None:
    headers = tenant.headers(**{"Content-Type": "text/csv"})
    cases = [
        ("ip", b"ip\n198.51.100.1\nnot-an-ip\n", "line 3"),
        ("phone", b"phone\n12\n", "not a phone number"),
        ("buyer", b"", "no values"),
        ("address", b"\xff\xfe\x00bad", "not UTF-8"),
        ("buyer", b"buyer\n\n,\n", "no values"),
    ]
    for kind, content, named in cases:
        response = client.post(
            f"/api/v1/risk/blacklist?kind={kind}", content=content, headers=headers
        )
        assert response.status_code == 422, (kind, response.text)
        assert response.json()["code"] == "ERR_RISK_BLACKLIST_INVALID"
        assert named in response.json()["detail"]
    unknown = client.post("/api/v1/risk/blacklist?kind=email", content=b"a", headers=headers)
    assert (unknown.status_code, unknown.json()["code"]) == (422, "ERR_VALIDATION")


def test_a_shadow_rule_is_recorded_but_holds_nothing(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    body = {"name": "watch", "expression": "amount > 1", "action": "block", "shadow": True}
    assert client.post("/api/v1/risk/rules", json=body, headers=tenant.headers()).status_code == 201
    order = place(client, tenant, 7)["id"]
    run_jobs(db)
    risk = risk_of(client, tenant, order)
    assert risk["shadow_hits"] == ["watch"] and risk["rules_hit"] == []
    assert risk["hold_status"] == "clear"


def test_a_dry_run_reports_what_a_rule_would_have_held(
    client: TestClient, db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    _burst(client, tenant, clock, n=4)
    run_jobs(db)
    body = {"expression": "ip_orders_10m >= 3"}
    response = client.post("/api/v1/risk/rules/dry-run", json=body, headers=tenant.headers())
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["evaluated"], report["would_hold"], report["currently_held"]) == (4, 2, 0)
    bad = client.post(
        "/api/v1/risk/rules/dry-run", json={"expression": "nope > 1"}, headers=tenant.headers()
    )
    assert bad.json()["code"] == "ERR_RISK_RULE_INVALID"


def test_another_tenants_order_and_an_over_long_id_are_404(
    client: TestClient, db: Database, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    order = place(client, tenant, 1)["id"]
    run_jobs(db)
    theirs = client.get(f"/api/v1/orders/{order}/risk", headers=other_tenant.headers())
    assert (theirs.status_code, theirs.json()["code"]) == (404, "ERR_ORDER_NOT_FOUND")
    release = client.post(
        f"/api/v1/orders/{order}/risk/release", json={"reason": "x"}, headers=other_tenant.headers()
    )
    assert release.status_code == 404
    long_id = "9" * 5000
    for response in (
        client.get(f"/api/v1/orders/{long_id}/risk", headers=tenant.headers()),
        client.post(
            f"/api/v1/orders/{long_id}/risk/cancel", json={"reason": "x"}, headers=tenant.headers()
        ),
    ):
        assert (response.status_code, response.json()["code"]) == (404, "ERR_ORDER_NOT_FOUND")
    queue = client.get("/api/v1/risk/queue", headers=other_tenant.headers()).json()
    assert queue == []
