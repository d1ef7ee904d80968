"""Stall detection with a moved clock: the default 4 h, thresholds learned from the tenant's
own gaps (a night trunk is not a stall), age from the scan's own time, self-resolution."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from oms.core.clock import ManualClock
from oms.core.ids import new_id
from oms.core.models import OutboxMessage
from oms.core.uow import Database
from oms.fulfilment.tracking import service
from oms.fulfilment.tracking.models import ShipmentScan
from oms.fulfilment.tracking.stalls import sweep_stalls
from oms.fulfilment.tracking.thresholds import DEFAULT, FLOOR, HEADROOM, Gap, learn
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.tracking import WHSEC, generic_push, scan_event, shipped_order


@pytest.fixture
def configured(db: Database, tenant: TenantKeys) -> TenantKeys:
    service.configure(db, tenant.tenant_id, "generic", secret=WHSEC)
    return tenant


def _scan(
    client: TestClient,
    clock: ManualClock,
    tenant: TenantKeys,
    tracking_no: str,
    at: datetime,
    code: str = "InTransit",
) -> None:
    payload = {
        "carrier": "shunfeng",
        "tracking_no": tracking_no,
        "scheme": "aftership",
        "events": [scan_event(at, code)],
    }
    headers, body = generic_push(clock, payload, msg_id=f"msg_{tracking_no}_{at.timestamp():.0f}")
    response = client.post(
        f"/api/v1/tracking/generic/{tenant.tenant_id}", content=body, headers=headers
    )
    assert response.status_code == 200, response.text


def _stalled(client: TestClient, tenant: TenantKeys) -> list[dict[str, object]]:
    page = client.get("/api/v1/tickets?kind=delivery_stalled", headers=tenant.headers()).json()
    items: list[dict[str, object]] = page["items"]
    return items


def test_a_parcel_without_scans_for_4_h_stalls_and_resolves_when_scans_resume(
    client: TestClient, configured: TenantKeys, clock: ManualClock, db: Database
) -> None:
    order_id = shipped_order(client, clock, configured, later=timedelta(hours=1))
    last = clock.now()
    _scan(client, clock, configured, "SF1234567890", last)
    clock.advance(timedelta(hours=3, minutes=59))
    assert sweep_stalls(db) == 0
    clock.set(last + DEFAULT + timedelta(minutes=1))
    assert sweep_stalls(db) == 1
    [ticket] = _stalled(client, configured)
    assert (ticket["order_id"], ticket["status"]) == (order_id, "open")
    details = ticket["details"]
    assert isinstance(details, dict)
    assert details["threshold_basis"] == "default"
    assert details["suggested_actions"] == [
        "switch_carrier",
        "rebook_delivery_window",
        "contact_outlet",
    ]
    with db.reader() as session:
        alerts = session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.topic == "alert.raised")
        ).all()
    assert any(a["type"] == "ticket.delivery_stalled" for a in alerts)
    sweep_stalls(db)
    assert len(_stalled(client, configured)) == 1  # one ticket, however many sweeps
    _scan(client, clock, configured, "SF1234567890", clock.now(), "OutForDelivery")
    [resolved] = _stalled(client, configured)
    assert resolved["status"] == "resolved"
    assert sweep_stalls(db) == 0


def test_age_counts_from_the_scans_own_time_not_the_push(
    client: TestClient, configured: TenantKeys, clock: ManualClock, db: Database
) -> None:
    shipped_order(client, clock, configured)
    _scan(client, clock, configured, "SF1234567890", clock.now() - timedelta(hours=5))
    assert sweep_stalls(db) == 1


def test_delivered_parcels_are_not_watched(
    client: TestClient, configured: TenantKeys, clock: ManualClock, db: Database
) -> None:
    shipped_order(client, clock, configured)
    _scan(client, clock, configured, "SF1234567890", clock.now(), "Delivered")
    clock.advance(timedelta(days=3))
    assert sweep_stalls(db) == 0


def _history(
    db: Database, tenant_id: str, shipment_id: str, start: datetime, legs: int, night: timedelta
) -> None:
    """A parcel's past: in_transit scans at 22:00 China time, the next scan ``night`` later."""
    with db.uow() as uow:
        for day in range(legs):
            evening = start + timedelta(days=day)
            for at, status in ((evening, "in_transit"), (evening + night, "at_hub")):
                uow.session.add(
                    ShipmentScan(
                        tenant_id=tenant_id,
                        id=new_id(),
                        shipment_id=shipment_id,
                        at=at,
                        tracking_status=status,
                        tracking_sub_status=status,
                        raw_code="x",
                        text=f"{status} {at.isoformat()}",
                        location=None,
                        protocol="generic",
                        dedup_key=new_id(),
                        inbox_id=None,
                        created_at=at,
                    )
                )
        uow.commit()


def test_a_learned_threshold_lets_a_night_trunk_pass_and_still_catches_a_stall(
    client: TestClient, configured: TenantKeys, clock: ManualClock, db: Database
) -> None:
    clock.set(datetime(2026, 1, 30, 13, 0, tzinfo=UTC))  # 21:00 China time
    old = shipped_order(
        client, clock, configured, tracking_no="SF0000000001", later=timedelta(minutes=10)
    )
    page = client.get(f"/api/v1/orders/{old}/shipments", headers=configured.headers()).json()
    history_start = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)  # 22:00 China time
    _history(
        db, configured.tenant_id, page["items"][0]["id"], history_start, 24, timedelta(hours=8)
    )
    _scan(client, clock, configured, "SF0000000001", clock.now(), "Delivered")
    shipped_order(client, clock, configured, later=timedelta(minutes=50))
    evening = datetime(2026, 1, 30, 14, 0, tzinfo=UTC)  # 22:00 China time, a trunk leaves
    assert clock.now() == evening
    _scan(client, clock, configured, "SF1234567890", evening)
    clock.set(evening + timedelta(hours=7))  # past the plain 4 h: a false alarm there
    assert sweep_stalls(db) == 0
    clock.set(evening + timedelta(hours=9, minutes=59))  # a slow trunk, still within
    assert sweep_stalls(db) == 0
    clock.set(evening + timedelta(hours=10, minutes=1))  # past the learned p95 (8 h) + 25 %
    assert sweep_stalls(db) == 1
    [ticket] = _stalled(client, configured)
    details = ticket["details"]
    assert isinstance(details, dict)
    assert (details["threshold_basis"], details["threshold_seconds"]) == ("learned", 10 * 3600)


def test_thresholds_are_a_high_quantile_with_a_floor_and_a_default() -> None:
    night = [Gap("shunfeng", "in_transit", 23, h * 3600.0) for h in range(1, 21)]
    learned = learn(night).for_scan("shunfeng", "in_transit", 23)
    assert (learned.limit, learned.basis, learned.gaps) == (
        timedelta(hours=19 * HEADROOM),
        "learned",
        20,
    )
    quick = learn([Gap("jd", "at_hub", 10, 600.0)] * 30).for_scan("jd", "at_hub", 10)
    assert quick.limit == FLOOR
    thin = learn(night[:19]).for_scan("shunfeng", "in_transit", 23)
    assert (thin.limit, thin.basis) == (DEFAULT, "default")
    mixed = [Gap("shunfeng", s, 9, 3 * 3600.0) for s in ("at_hub", "in_transit")] * 10
    borrowed = learn(mixed).for_scan("shunfeng", "out_for_delivery", 9)
    assert (borrowed.limit, borrowed.basis) == (
        timedelta(hours=3 * HEADROOM),
        "learned_carrier_hour",
    )
