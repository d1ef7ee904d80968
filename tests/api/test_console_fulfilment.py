"""The console fulfilment page: parcels counted by tracking status and sub-status, the paged
parcel list and its filters, stalled parcels with their suggested actions, exceptions; only the
tenant's own parcels; unknown filter values named on the page, never a 500."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from oms.console import fulfilment_views
from oms.core.clock import ManualClock
from oms.core.uow import Database
from oms.fulfilment.tracking import service
from oms.fulfilment.tracking.queries import SUB_STATUSES
from oms.fulfilment.tracking.stalls import sweep_stalls
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.tracking import WHSEC, generic_push, scan_event, shipped_order
from tests.fixtures.users import console_user, log_in

PAGE = "/console/fulfilment"


def _scan(
    client: TestClient,
    clock: ManualClock,
    tenant: TenantKeys,
    carrier: str,
    tracking_no: str,
    at: datetime,
    code: str,
) -> None:
    payload = {
        "carrier": carrier,
        "tracking_no": tracking_no,
        "scheme": "aftership",
        "events": [scan_event(at, code, text=f"快件 {code}")],
    }
    headers, body = generic_push(clock, payload, msg_id=f"msg_{tracking_no}_{code}")
    response = client.post(
        f"/api/v1/tracking/generic/{tenant.tenant_id}", content=body, headers=headers
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def parcels(
    client: TestClient,
    db: Database,
    clock: ManualClock,
    tenant: TenantKeys,
    other_tenant: TenantKeys,
) -> dict[str, str]:
    """Three parcels of the tenant (one stalled, one delivered, one in exception), one of
    another tenant; the stall sweep has run."""
    service.configure(db, tenant.tenant_id, "generic", secret=WHSEC)
    service.configure(db, other_tenant.tenant_id, "generic", secret=WHSEC)
    orders = {
        "stalled": shipped_order(client, clock, tenant, "shunfeng", "SF7000000001"),
        "delivered": shipped_order(client, clock, tenant, "yunda", "YD7000000002"),
        "exception": shipped_order(client, clock, tenant, "zhongtong", "ZT7000000003"),
        "other": shipped_order(client, clock, other_tenant, "shunfeng", "SF7999999999"),
    }
    now = clock.now()
    _scan(client, clock, tenant, "shunfeng", "SF7000000001", now - timedelta(hours=5), "InTransit")
    _scan(client, clock, tenant, "yunda", "YD7000000002", now, "Delivered")
    _scan(client, clock, tenant, "zhongtong", "ZT7000000003", now, "Exception")
    _scan(client, clock, other_tenant, "shunfeng", "SF7999999999", now, "InTransit")
    assert sweep_stalls(db) == 1
    return orders


def _count(page: str, status: str) -> int:
    found = re.search(rf'data-status="{status}" data-count="(\d+)"', page)
    assert found, status
    return int(found.group(1))


def test_the_page_counts_lists_and_shows_stalls_and_exceptions(
    client: TestClient, db: Database, tenant: TenantKeys, parcels: dict[str, str]
) -> None:
    log_in(client, console_user(db, tenant.tenant_id, "warehouse"))
    response = client.get(PAGE)
    assert response.status_code == 200
    page = response.text
    assert 'href="/console/fulfilment"' in page  # in the navigation
    assert (_count(page, "in_transit"), _count(page, "delivered")) == (1, 1)
    assert (_count(page, "exception"), _count(page, "out_for_delivery")) == (1, 0)
    assert 'data-status="delivered" data-sub-status="delivered"' in page
    assert "运输中" in page and "已签收" in page and "快递公司报告异常" in page
    for tracking_no in ("SF7000000001", "YD7000000002", "ZT7000000003"):
        assert tracking_no in page
    assert "SF7999999999" not in page  # another tenant's parcel
    assert f'href="/console/orders/{parcels["stalled"]}"' in page
    assert "快件 InTransit" in page  # the newest scan's text
    stalled = page.split('id="stalled"')[1].split('id="interventions"')[0]
    assert 'data-tracking-no="SF7000000001"' in stalled
    assert "更换承运商" in stalled and "重新预约派送时间" in stalled and "联系派件网点" in stalled
    ticket = re.search(r'href="/console/tickets/([^"]+)" class="ticket-link"', stalled)
    assert ticket and client.get(f"/console/tickets/{ticket.group(1)}").status_code == 200
    others = page.split('id="interventions"')[1]
    assert 'data-kind="delivery_exception"' in others and "ZT7000000003" in others


def test_filters_narrow_the_list_by_status_sub_status_and_carrier(
    client: TestClient, db: Database, tenant: TenantKeys, parcels: dict[str, str]
) -> None:
    log_in(client, console_user(db, tenant.tenant_id, "ops"))

    def listed(query: str) -> set[str]:
        response = client.get(f"{PAGE}?{query}")
        assert response.status_code == 200, query
        rows = response.text.split('id="parcels"')[1].split('id="stalled"')[0]
        return set(re.findall(r"<code>([A-Z0-9]+)</code>", rows))

    assert listed("status=delivered") == {"YD7000000002"}
    assert listed("status=in_transit&sub_status=in_transit") == {"SF7000000001"}
    assert listed("sub_status=exception") == {"ZT7000000003"}
    assert listed("carrier=zhongtong") == {"ZT7000000003"}
    assert listed("carrier=SF") == {"SF7000000001"}  # the carrier's own code, canonicalised
    assert listed("status=not_scanned") == set()
    assert listed("status=&sub_status=&carrier=") == {
        "SF7000000001",
        "YD7000000002",
        "ZT7000000003",
    }


def test_the_list_pages_with_its_filters_kept(
    client: TestClient,
    db: Database,
    tenant: TenantKeys,
    parcels: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fulfilment_views, "LIST_SIZE", 1)
    log_in(client, console_user(db, tenant.tenant_id, "admin"))
    seen: list[str] = []
    url: str | None = f"{PAGE}?status=&carrier="
    while url:
        page = client.get(url).text
        rows = page.split('id="parcels"')[1].split('id="stalled"')[0]
        seen += re.findall(r"<code>([A-Z0-9]+)</code>", rows)
        more = re.search(r'<a href="([^"]+)#parcels" rel="next"', page)
        url = more.group(1).replace("&amp;", "&") if more else None
    assert sorted(seen) == ["SF7000000001", "YD7000000002", "ZT7000000003"]
    first = client.get(f"{PAGE}?status=delivered").text
    assert 'rel="next"' not in first
    filtered = client.get(f"{PAGE}?carrier=yunda").text
    assert "YD7000000002" in filtered.split('id="parcels"')[1].split('id="stalled"')[0]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=lost_in_space", "status"),
        ("sub_status=%3Cb%3E", "sub_status"),
        ("carrier=..%2F..", "carrier"),
    ],
)
def test_an_unknown_filter_value_is_named_and_the_list_shows_everything(
    client: TestClient,
    db: Database,
    tenant: TenantKeys,
    parcels: dict[str, str],
    query: str,
    field: str,
) -> None:
    log_in(client, console_user(db, tenant.tenant_id, "warehouse"))
    response = client.get(f"{PAGE}?{query}")
    assert response.status_code == 422
    assert f'data-error="ERR_VALIDATION" data-field="{field}"' in response.text
    assert "筛选值无法识别" in response.text and "YD7000000002" in response.text


def test_a_forged_cursor_and_an_overlong_filter_are_refused_not_a_500(
    client: TestClient, db: Database, tenant: TenantKeys, parcels: dict[str, str]
) -> None:
    log_in(client, console_user(db, tenant.tenant_id, "warehouse"))
    assert client.get(f"{PAGE}?cursor=not-a-cursor").status_code == 422
    assert client.get(f"{PAGE}?status={'x' * 65}").status_code == 422


def test_roles_without_the_permission_neither_see_nor_open_the_page(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    log_in(client, console_user(db, tenant.tenant_id, "service"))
    assert 'href="/console/fulfilment"' not in client.get("/console/orders").text
    assert client.get(PAGE).status_code == 403


def test_every_status_and_sub_status_has_a_label() -> None:
    from oms.console.i18n import TRACKING_STATUS_LABELS, TRACKING_SUB_STATUS_LABELS
    from oms.fulfilment.tracking.normalise import TrackingStatus

    assert set(TRACKING_STATUS_LABELS) == {str(s) for s in TrackingStatus} | {"not_scanned"}
    assert set(TRACKING_SUB_STATUS_LABELS) == set(SUB_STATUSES)
