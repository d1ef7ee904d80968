"""ETA windows on the shipments answer (default with no history, learned after training), the
buyer's tracking link and page (signed: forged, tampered, expired and foreign links are 404),
and the buyer history (no internal events)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from oms.cli import app as cli
from oms.config import get_settings
from oms.core.clock import ManualClock
from oms.core.ids import new_id
from oms.core.signed_links import sign_link
from oms.core.uow import Database
from oms.fulfilment.eta import service as eta
from oms.fulfilment.models import Shipment
from oms.fulfilment.tracking import service
from oms.fulfilment.tracking.links import LINK_TTL, make_link_token
from oms.fulfilment.tracking.models import ShipmentScan
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.tracking import WHSEC, generic_push, scan_event, shipped_order

START = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)  # 14:00 China time


@pytest.fixture
def configured(db: Database, tenant: TenantKeys, clock: ManualClock) -> TenantKeys:
    clock.set(START)
    service.configure(db, tenant.tenant_id, "generic", secret=WHSEC)
    return tenant


def _push(client: TestClient, clock: ManualClock, tenant: TenantKeys, code: str, text: str) -> None:
    payload = {
        "carrier": "shunfeng",
        "tracking_no": "SF1234567890",
        "scheme": "aftership",
        "events": [scan_event(clock.now(), code, text, "杭州转运中心")],
    }
    headers, body = generic_push(clock, payload, msg_id=f"msg_{code}_{clock.now().timestamp()}")
    answer = client.post(
        f"/api/v1/tracking/generic/{tenant.tenant_id}", content=body, headers=headers
    )
    assert answer.status_code == 200, answer.text


def _shipment(client: TestClient, tenant: TenantKeys, order_id: str) -> dict[str, object]:
    page = client.get(f"/api/v1/orders/{order_id}/shipments", headers=tenant.headers()).json()
    item: dict[str, object] = page["items"][0]
    return item


def _history(
    db: Database, tenant_id: str, order_id: str, route: tuple[str | None, str | None]
) -> None:
    """150 delivered shunfeng parcels of the route, shipped at 14:00 China time, 20-26 h."""
    with db.uow() as uow:
        for i in range(150):
            shipped = START - timedelta(days=40) + timedelta(hours=6 * i)
            shipped = shipped.replace(hour=6)
            parcel = new_id()
            uow.session.add(
                Shipment(
                    tenant_id=tenant_id, id=parcel, order_id=order_id, warehouse="main",
                    carrier="shunfeng", tracking_no=f"SFH{i:08d}", status="accepted",
                    is_final=True, lines=[], differences=[], shipped_at=shipped,
                    created_at=shipped, origin_province=route[0], destination_province=route[1],
                    tracking_status="delivered", last_scan_at=shipped,
                )
            )  # fmt: skip
            uow.session.flush()
            delivered = shipped + timedelta(hours=20 + i % 7)
            uow.session.add(
                ShipmentScan(
                    tenant_id=tenant_id, id=new_id(), shipment_id=parcel, at=delivered,
                    tracking_status="delivered", tracking_sub_status="signed", raw_code="Delivered",
                    text="signed", location=None, protocol="generic", dedup_key=new_id(),
                    inbox_id=None, created_at=delivered,
                )
            )  # fmt: skip
        uow.commit()


def test_a_parcel_on_its_way_has_the_default_window_then_a_learned_one(
    client: TestClient, configured: TenantKeys, clock: ManualClock, db: Database
) -> None:
    order_id = shipped_order(client, clock, configured, later=timedelta(0))
    first = _shipment(client, configured, order_id)
    assert first["eta_basis"] == "default"
    shipped_at = datetime.fromisoformat(str(first["shipped_at"]))
    assert datetime.fromisoformat(str(first["eta_from"])) == shipped_at + timedelta(hours=12)
    assert datetime.fromisoformat(str(first["eta_to"])) == shipped_at + timedelta(hours=72)
    assert eta.train_tenant(db, configured.tenant_id).is_trained is False  # too little history
    route = (first["origin_province"], first["destination_province"])
    assert route[1] == "浙江省"
    past = shipped_order(client, clock, configured, tracking_no="SF0000000009", later=timedelta(0))
    _history(db, configured.tenant_id, past, (str(route[0]) if route[0] else None, "浙江省"))
    assert eta.train_all(db) >= 1  # the sweep stores the model
    trained = eta.train_tenant(db, configured.tenant_id)
    assert (trained.is_trained, trained.samples) == (True, 150)
    learned = _shipment(client, configured, order_id)
    assert learned["eta_basis"] == "carrier_route_hour"
    start = datetime.fromisoformat(str(learned["eta_from"]))
    end = datetime.fromisoformat(str(learned["eta_to"]))
    assert (start.minute, end.minute) == (0, 0)  # hour-level
    assert shipped_at + timedelta(hours=18) <= start <= shipped_at + timedelta(hours=21)
    assert shipped_at + timedelta(hours=26) <= end <= shipped_at + timedelta(hours=29)
    _push(client, clock, configured, "Delivered", "已签收")
    delivered = _shipment(client, configured, order_id)
    assert (delivered["eta_from"], delivered["eta_to"]) == (None, None)


def _link(client: TestClient, tenant: TenantKeys, order_id: str) -> str:
    answer = client.get(f"/api/v1/orders/{order_id}/tracking-link", headers=tenant.headers())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["url"].endswith(body["path"]) and body["path"].startswith("/track/")
    path: str = body["path"]
    return path


def test_the_tracking_page_shows_scans_eta_and_buyer_history_without_login(
    client: TestClient, configured: TenantKeys, clock: ManualClock
) -> None:
    order_id = shipped_order(client, clock, configured, later=timedelta(hours=1))
    _push(client, clock, configured, "InTransit", "快件已到达杭州转运中心")
    client.post(
        f"/api/v1/orders/{order_id}/events",
        json={"event": "hold", "reason": "address check by ops"},
        headers=configured.headers(),
    )
    path = _link(client, configured, order_id)
    page = client.get(path, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert page.status_code == 200
    html = page.text
    assert 'name="viewport"' in html
    assert "快件已到达杭州转运中心" in html and "杭州转运中心" in html
    assert "SF1234567890" in html and "预计送达" in html
    assert "您已下单" in html and "已付款" in html and "包裹已从仓库发出" in html
    for internal in ("hold", "address check", "testclient", "admin", "ops", "api"):
        assert internal not in html.lower().split("<body>", 1)[1], internal
    english = client.get(path + "?lang=en")
    assert "Estimated arrival" in english.text and "Payment received" in english.text
    assert client.get(path, headers={"Accept-Language": "en-US,en;q=0.8"}).text.count(
        "Track your order"
    )


def test_forged_tampered_expired_and_foreign_links_are_404_pages(
    client: TestClient,
    configured: TenantKeys,
    other_tenant: TenantKeys,
    clock: ManualClock,
) -> None:
    order_id = shipped_order(client, clock, configured, later=timedelta(0))
    path = _link(client, configured, order_id)
    token = path.removeprefix("/track/")
    body, _, mac = token.partition(".")
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    forged_body = sign_link("feedback links", {"t": configured.tenant_id, "o": order_id},
                            expires_at=clock.now() + timedelta(days=1))  # fmt: skip
    foreign, _ = make_link_token(other_tenant.tenant_id, order_id, now=clock.now())
    for bad in (
        f"{body}.{flipped}",
        f"{body}x.{mac}",
        "nonsense",
        "a.b.c",
        forged_body,
        foreign,
        "x" * 3000,
    ):
        answer = client.get(f"/track/{bad}")
        assert answer.status_code == 404, bad
        assert "物流查询链接无效或已过期" in answer.text
    assert (
        client.get(
            f"/api/v1/orders/{order_id}/tracking-link", headers=other_tenant.headers()
        ).status_code
        == 404
    )
    clock.advance(LINK_TTL + timedelta(days=1))
    assert client.get(path).status_code == 404


def test_eta_train_cli_reports_too_little_history_and_an_unknown_tenant(
    db: Database, tenant: TenantKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMS_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        result = runner.invoke(cli, ["tracking", "eta", "train", "--tenant", tenant.tenant_id])
        assert result.exit_code == 0, result.output
        printed = json.loads(result.output)
        assert (printed["is_trained"], printed["samples"]) == (False, 0)
        unknown = runner.invoke(cli, ["tracking", "eta", "train", "--tenant", "nope"])
        assert unknown.exit_code != 0 and "ERR_NOT_FOUND" in unknown.output
    finally:
        get_settings.cache_clear()
