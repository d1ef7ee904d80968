"""Refund strategy advice: advised at request from the buyer's history, choice, report."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from oms.cli import app as cli
from oms.config import get_settings
from oms.core.clock import ManualClock
from oms.core.uow import Database
from tests.fixtures.tenants import TenantKeys
from tests.integration.refunds.conftest import buyer_history, channel_paid_order, request

CHEAP = [{"sku": "CUP-GLS-300", "name": "玻璃杯", "qty": 1, "unit_price": 6900}]  # ¥69 + fee


def _advice(client: TestClient, tenant: TenantKeys, refund_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/refunds/{refund_id}/advice", headers=tenant.headers())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _requested(
    client: TestClient, tenant: TenantKeys, *, cheap: bool, buyer: str = "b-1", **body: Any
) -> str:
    extra: dict[str, Any] = {"lines": CHEAP} if cheap else {}
    buyer_of = {"id": buyer, "name": "王芳", "phone": "13800138000"}
    order = channel_paid_order(client, tenant, buyer=buyer_of, **extra)
    asked = request(client, tenant, order_id=order["id"], amount=100, **body)
    assert asked.status_code == 201, asked.text
    return str(asked.json()["id"])


@pytest.mark.parametrize(
    ("history", "cheap", "membership", "strategy", "first_reason"),
    [
        ({"days_ago": 400}, True, None, "original_route", "nothing argues for another route"),
        ({"days_ago": 200, "orders": 3}, True, None, "store_balance", "a returning buyer"),
        ({"days_ago": 200, "orders": 3}, False, None, "goodwill_gift", "a valued customer"),
        ({"days_ago": 400}, True, "gold", "goodwill_gift", "a valued customer"),
        (
            {"days_ago": 200, "orders": 3, "rejected": 1},
            False,
            "gold",
            "original_route",
            "past disputes",
        ),
        (
            {"days_ago": 200, "orders": 3, "refunded": 2},
            False,
            None,
            "original_route",
            "returns often",
        ),
    ],
)
def test_each_refund_request_is_advised_from_the_buyers_history(
    client: TestClient,
    db: Database,
    clock: ManualClock,
    tenant: TenantKeys,
    history: dict[str, int],
    cheap: bool,
    membership: str | None,
    strategy: str,
    first_reason: str,
) -> None:
    buyer_history(db, clock, tenant, **history)
    extra = {"membership_level": membership} if membership else {}
    refund_id = _requested(client, tenant, cheap=cheap, **extra)
    advice = _advice(client, tenant, refund_id)
    assert advice["strategy"] == strategy, advice
    assert advice["reasons"][0].startswith(first_reason)
    orders = history.get("orders", 0) + (history["days_ago"] <= 365)  # the first one counts
    refunded = history.get("refunded", 0)
    assert f"({refunded} of {orders} paid orders in 365 days)" in advice["reasons"][1]
    assert f"membership {membership or 'unknown'}" in advice["reasons"]
    assert advice["chosen"] is None


def test_the_reviewers_choice_and_the_feedback_are_recorded(
    client: TestClient, tenant: TenantKeys
) -> None:
    refund_id = _requested(client, tenant, cheap=True)
    path = f"/api/v1/refunds/{refund_id}/advice"
    chosen = client.post(path, json={"chosen": "store_balance"}, headers=tenant.headers())
    assert chosen.status_code == 200, chosen.text
    later = client.post(path, json={"feedback_score": 4}, headers=tenant.headers()).json()
    assert (later["chosen"], later["feedback_score"]) == ("store_balance", 4)
    assert later["chosen_by"] and later["chosen_at"]
    assert _advice(client, tenant, refund_id) == later


def test_advice_of_an_unknown_refund_is_404_and_a_bad_score_422(
    client: TestClient, tenant: TenantKeys
) -> None:
    missing = client.get("/api/v1/refunds/nope/advice", headers=tenant.headers())
    assert (missing.status_code, missing.json()["code"]) == (404, "ERR_REFUND_ADVICE_NOT_FOUND")
    posted = client.post(
        "/api/v1/refunds/nope/advice", json={"chosen": "original_route"}, headers=tenant.headers()
    )
    assert posted.json()["code"] == "ERR_REFUND_ADVICE_NOT_FOUND"
    refund_id = _requested(client, tenant, cheap=True)
    bad = client.post(
        f"/api/v1/refunds/{refund_id}/advice", json={"feedback_score": 9}, headers=tenant.headers()
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "ERR_VALIDATION")


def test_the_report_compares_repeat_purchases_when_followed_and_overridden(
    client: TestClient,
    db: Database,
    clock: ManualClock,
    tenant: TenantKeys,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    followed = _requested(client, tenant, cheap=True, buyer="b-7")
    overridden = _requested(client, tenant, cheap=True, buyer="b-8")
    for refund_id, choice in ((followed, "original_route"), (overridden, "store_balance")):
        client.post(
            f"/api/v1/refunds/{refund_id}/advice",
            json={"chosen": choice, "feedback_score": 5 if refund_id == followed else 2},
            headers=tenant.headers(),
        )
    clock.advance(timedelta(days=20))
    channel_paid_order(client, tenant, buyer={"id": "b-7", "name": "李雷", "phone": "13800138001"})
    headers = tenant.headers()
    early = client.get("/api/v1/refunds/advice/report", headers=headers).json()
    clock.advance(timedelta(days=41))
    report = client.get("/api/v1/refunds/advice/report", headers=headers).json()
    rows = {r["strategy"]: r for r in report["rows"]}
    assert {r["strategy"]: r["mature"] for r in early["rows"]}["original_route"] == 0
    row = rows["original_route"]
    assert (row["advised"], row["followed"], row["overridden"], row["mature"]) == (2, 1, 1, 2)
    assert (row["repeat_rate_followed"], row["repeat_rate_overridden"]) == (1.0, 0.0)
    assert (row["feedback_mean_followed"], row["feedback_mean_overridden"]) == (5.0, 2.0)
    assert rows["goodwill_gift"]["advised"] == 0
    monkeypatch.setenv("OMS_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        printed = CliRunner().invoke(
            cli, ["reports", "refund-advice", "--tenant", tenant.tenant_id]
        )
    finally:
        get_settings.cache_clear()
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.output)["rows"][0]["advised"] == 2
