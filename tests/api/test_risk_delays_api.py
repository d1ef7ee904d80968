"""Delay flags over HTTP: recorded from predict's flags, listed riskiest first in pages, ops'
decision stored with who and when, on the order's timeline, and counted by the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from oms.cli import app as cli
from oms.config import get_settings
from oms.core.uow import Database
from oms.risk import delays, service
from oms.risk.delay.errors import DelayInputInvalid
from oms.risk.schemas import DelayDecisionIn
from tests.fixtures.orders import order_timeline
from tests.fixtures.risk import place
from tests.fixtures.tenants import TenantKeys

SWITCH = "switch to a faster carrier or service"


def _record(
    db: Database, tenant: TenantKeys, tmp: Path, parcels: list[tuple[str, str, float]]
) -> int:
    """Flags as ``predict --flags`` writes them, for (shipment id, order id, p_late)."""
    inp, flags = tmp / "X.csv", tmp / "F.csv"
    inp.write_text(
        "parcel_id,order_id,carrier,origin_city,dest_city\n"
        + "".join(f"{s},{o},ZTO,杭州,成都\n" for s, o, _p in parcels),
        encoding="utf-8",
    )
    flags.write_text(
        "parcel_id,p_late,reasons,action\n"
        + "".join(f'{s},{p},"carrier=ZTO (+0.91)",{SWITCH}\n' for s, _o, p in parcels),
        encoding="utf-8",
    )
    return delays.record_flags(db, tenant.tenant_id, inp, flags)


def test_flags_are_listed_riskiest_first_in_pages(
    client: TestClient, db: Database, tenant: TenantKeys, tmp_path: Path
) -> None:
    parcels = [(f"S{i}", f"order-{i}", p) for i, p in enumerate([0.91, 0.97, 0.88, 0.99])]
    assert _record(db, tenant, tmp_path, parcels) == 4
    headers = tenant.headers("ops")
    first = client.get("/api/v1/risk/delays?limit=3", headers=headers).json()
    assert [i["shipment_id"] for i in first["items"]] == ["S3", "S1", "S0"]
    assert first["items"][0]["carrier"] == "ZTO" and first["items"][0]["route"] == "杭州 → 成都"
    assert first["items"][0]["suggestion"] == SWITCH and first["items"][0]["accepted"] is None
    rest = client.get(
        f"/api/v1/risk/delays?limit=3&cursor={first['next_cursor']}", headers=headers
    ).json()
    assert [i["shipment_id"] for i in rest["items"]] == ["S2"] and rest["has_more"] is False
    above = client.get("/api/v1/risk/delays?min_p=0.95", headers=headers).json()
    assert [i["shipment_id"] for i in above["items"]] == ["S3", "S1"]
    bad = client.get("/api/v1/risk/delays?min_p=2", headers=headers)
    assert bad.status_code == 422


def test_a_decision_is_stored_with_who_and_when_and_on_the_timeline(
    client: TestClient, db: Database, tenant: TenantKeys, other_tenant: TenantKeys, tmp_path: Path
) -> None:
    order_id = place(client, tenant, 1)["id"]
    _record(db, tenant, tmp_path, [("S1", order_id, 0.93), ("S2", order_id, 0.9)])
    body = {"accepted": True, "action": "switched to SF", "reason": "VIP buyer"}
    response = client.post(
        "/api/v1/risk/delays/S1/decision", json=body, headers=tenant.headers("ops")
    )
    assert response.status_code == 200, response.text
    decided = response.json()
    assert decided["accepted"] is True and decided["decision_action"] == "switched to SF"
    assert decided["decided_by"] and decided["decided_at"]
    listed = client.get("/api/v1/risk/delays", headers=tenant.headers("ops")).json()["items"]
    assert listed[0]["shipment_id"] == "S1" and listed[0]["accepted"] is True
    entry = next(
        e
        for e in order_timeline(client, tenant, order_id)
        if e["event"] == "delay_suggestion_decided"
    )
    assert entry["details"]["accepted"] is True and entry["reason"] == "VIP buyer"

    rejected = {"accepted": False, "action": "kept ZTO"}
    assert (
        client.post(
            "/api/v1/risk/delays/S2/decision", json=rejected, headers=tenant.headers()
        ).status_code
        == 200
    )
    assert delays.acceptance_report(db, tenant.tenant_id) == {
        "flagged": 2,
        "decided": 2,
        "accepted": 1,
        "acceptance_rate": 0.5,
    }

    # Another tenant's shipment is 404, a bad body 422, a warehouse role 403; nothing written.
    missing = client.post(
        "/api/v1/risk/delays/S1/decision", json=body, headers=other_tenant.headers()
    )
    assert missing.status_code == 404 and missing.json()["code"] == "ERR_RISK_DELAY_FLAG_NOT_FOUND"
    for wrong in (
        {"accepted": "maybe", "action": "x"},
        {"accepted": True, "action": ""},
        {"accepted": True},
    ):
        answer = client.post(
            "/api/v1/risk/delays/S2/decision", json=wrong, headers=tenant.headers()
        )
        assert answer.status_code == 422, wrong
    forbidden = client.post(
        "/api/v1/risk/delays/S2/decision", json=body, headers=tenant.headers("warehouse")
    )
    assert forbidden.status_code == 403
    assert delays.acceptance_report(db, tenant.tenant_id)["accepted"] == 1


def test_recording_needs_the_order_id_column(
    db: Database, tenant: TenantKeys, tmp_path: Path
) -> None:
    inp, flags = tmp_path / "X.csv", tmp_path / "F.csv"
    inp.write_text("parcel_id,carrier,origin_city,dest_city\nS1,ZTO,a,b\n", encoding="utf-8")
    flags.write_text("parcel_id,p_late,reasons,action\nS1,0.9,x,y\n", encoding="utf-8")
    with pytest.raises(DelayInputInvalid, match="order_id"):
        delays.record_flags(db, tenant.tenant_id, inp, flags)


def test_the_report_prints_the_acceptance_rate(
    db: Database, tenant: TenantKeys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _record(db, tenant, tmp_path, [("S1", "order-1", 0.9)])
    service.decide_delay(db, tenant.actor(), "S1", DelayDecisionIn(accepted=True, action="SF"))
    monkeypatch.setenv("OMS_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        printed = CliRunner().invoke(
            cli, ["reports", "delay-decisions", "--tenant", tenant.tenant_id]
        )
    finally:
        get_settings.cache_clear()
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.output)["acceptance_rate"] == 1.0
