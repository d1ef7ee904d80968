"""The monthly fulfilment health report on a seeded month: parcels shipped, scanned, stalled
and in exception through the real API with a moved clock; every figure checked exactly, the
month bounded in the tenant's zone, another tenant's parcels left out, the PDF read back page
by page, the console page, the CLI, and bad months refused with a stable code."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from oms.cli import app as cli
from oms.config import get_settings
from oms.core.clock import ManualClock
from oms.core.uow import Database
from oms.fulfilment.tracking import service
from oms.fulfilment.tracking.stalls import sweep_stalls
from tests.fixtures.orders import order_payload
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.tracking import WHSEC, generic_push, scan_event
from tests.fixtures.users import console_user, log_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
URL = "/api/v1/reports/fulfilment"
HUB, STATION, PUDONG = "杭州转运中心", "杭州西湖区", "上海浦东分拨"
#: When the report is read: 2026-02-02 12:00 in Shanghai, 27 days left in February.
READ_AT = datetime(2026, 2, 2, 4, 0, tzinfo=UTC)


def _local(text: str) -> datetime:
    """Shanghai wall time as UTC (the clock and the push signatures keep UTC)."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(UTC)


class Seeder:
    def __init__(self, client: TestClient, clock: ManualClock, tenant: TenantKeys) -> None:
        self.client, self.clock, self.tenant = client, clock, tenant
        self.count = 0

    def parcel(self, carrier: str, tracking_no: str, paid: str, outbound_hours: float) -> None:
        """An order paid at ``paid`` (Shanghai time), shipped ``outbound_hours`` later."""
        self.count += 1
        n = self.count
        self.clock.set(_local(paid))
        payload = order_payload(
            buyer={"id": f"b-report-{n}", "name": "李娜", "phone": f"1390013{n:04d}"},
            lines=[{"sku": "TEA-LJ-250", "name": "龙井", "qty": 1, "unit_price": 32800}],
        )
        order = self.client.post("/api/v1/orders", json=payload, headers=self.tenant.headers())
        order_id = order.json()["id"]
        paid_now = self.client.post(
            f"/api/v1/orders/{order_id}/events",
            json={"event": "pay"},
            headers=self.tenant.headers(),
        )
        assert paid_now.status_code == 200, paid_now.text
        self.clock.advance(timedelta(hours=outbound_hours))
        shipped = self.client.post(
            "/api/v1/shipments",
            json={
                "order_id": order_id,
                "warehouse": "main",
                "carrier": carrier,
                "tracking_no": tracking_no,
                "lines": [{"sku": "TEA-LJ-250", "qty": 1}],
            },
            headers=self.tenant.headers("warehouse"),
        )
        assert shipped.status_code == 201, shipped.text

    def scan(
        self,
        carrier: str,
        tracking_no: str,
        at: str,
        code: str,
        location: str | None,
        scheme: str = "aftership",
    ) -> None:
        when = _local(at)
        self.clock.set(when)
        payload = {
            "carrier": carrier,
            "tracking_no": tracking_no,
            "scheme": scheme,
            "events": [scan_event(when, code, location=location)],
        }
        msg = f"msg_{tracking_no}_{when.timestamp():.0f}"
        headers, body = generic_push(self.clock, payload, msg_id=msg)
        pushed = self.client.post(
            f"/api/v1/tracking/generic/{self.tenant.tenant_id}", content=body, headers=headers
        )
        assert pushed.status_code == 200, pushed.text


@pytest.fixture
def seeded(
    client: TestClient,
    db: Database,
    clock: ManualClock,
    tenant: TenantKeys,
    other_tenant: TenantKeys,
) -> TenantKeys:
    """December: one parcel on time. January (Shanghai): four parcels, one of them stalled and
    late, one damaged and late, one not yet due; a fifth shipped at 00:30 on 1 February Shanghai
    time (still January in UTC). Another tenant ships a parcel in January too."""
    service.configure(db, tenant.tenant_id, "generic", secret=WHSEC)
    service.configure(db, other_tenant.tenant_id, "generic", secret=WHSEC)
    shop = Seeder(client, clock, tenant)
    shop.parcel("shunfeng", "SF100", "2025-12-15 10:00", 2)
    shop.scan("shunfeng", "SF100", "2025-12-16 09:00", "Delivered", STATION)
    shop.parcel("shunfeng", "SF101", "2026-01-05 10:00", 1)
    shop.scan("shunfeng", "SF101", "2026-01-05 12:00", "InTransit", HUB)
    shop.scan("shunfeng", "SF101", "2026-01-06 10:00", "Delivered", STATION)
    shop.parcel("shunfeng", "SF102", "2026-01-10 10:00", 2)
    shop.scan("shunfeng", "SF102", "2026-01-10 13:00", "InTransit", HUB)
    clock.set(_local("2026-01-10 18:00"))  # five hours without a scan: over the default 4 h
    assert sweep_stalls(db) == 1
    shop.scan("shunfeng", "SF102", "2026-01-14 12:00", "Delivered", STATION)  # past the promise
    shop.parcel("zhongtong", "ZT201", "2026-01-20 10:00", 3)
    shop.scan("zhongtong", "ZT201", "2026-01-20 14:00", "InTransit", PUDONG)
    shop.scan("zhongtong", "ZT201", "2026-01-21 09:00", "Exception_Damage", PUDONG, "17track")
    shop.parcel("zhongtong", "ZT202", "2026-01-31 18:00", 5.5)  # 23:30 on the 31st
    shop.parcel("zhongtong", "ZT203", "2026-01-31 20:00", 4.5)  # 00:30 on 1 February
    Seeder(client, clock, other_tenant).parcel("jd", "JD900", "2026-01-12 10:00", 30)
    clock.set(READ_AT)
    return tenant


def test_every_figure_of_the_seeded_month_is_exact(client: TestClient, seeded: TenantKeys) -> None:
    response = client.get(f"{URL}?month=2026-01", headers=seeded.headers("warehouse"))
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["month"], report["timezone"], report["promise_hours"]) == (
        "2026-01",
        "Asia/Shanghai",
        72,
    )
    now = report["current"]
    assert now["parcels"] == 4  # not ZT203 (February in Shanghai), not the other tenant's
    assert now["outbound"]["parcels"] == 4
    assert now["outbound"]["median_hours"] == pytest.approx(2.5)
    assert now["outbound"]["p90_hours"] == pytest.approx(4.75)  # 3 + 0.7 * (5.5 - 3)
    assert now["on_time"] == {"on_time": 1, "late": 2, "pending": 1, "rate": pytest.approx(1 / 3)}
    assert (now["stalled"], now["stall_rate"]) == (1, 0.25)
    assert now["stall_by_carrier"] == [
        {"key": "shunfeng", "stalled": 1, "parcels": 2, "rate": 0.5},
        {"key": "zhongtong", "stalled": 0, "parcels": 2, "rate": 0.0},
    ]
    assert now["stall_by_outlet"] == [
        {"key": HUB, "stalled": 1, "parcels": 2, "rate": 0.5},
        {"key": STATION, "stalled": 0, "parcels": 2, "rate": 0.0},
        {"key": PUDONG, "stalled": 0, "parcels": 1, "rate": 0.0},
    ]
    assert now["exceptions_by_cause"] == [{"cause": "damaged", "tickets": 1}]
    assert (now["exception_parcels"], now["exception_rate"]) == (1, 0.25)
    before = report["previous"]
    assert (before["month"], before["parcels"], before["on_time"]["rate"]) == ("2025-12", 1, 1.0)
    trend = {row["key"]: row for row in report["trend"]}
    assert trend["outbound_p90"]["previous"] == pytest.approx(2.0)
    assert trend["outbound_p90"]["delta"] == pytest.approx(2.75)
    assert trend["on_time_rate"]["delta"] == pytest.approx(1 / 3 - 1)
    assert trend["parcels"]["delta"] == 3
    items = [(i["key"], i["subject"], i["days_left"]) for i in report["improvements"]]
    assert items == [
        ("outbound_median", None, 27),
        ("outbound_p90", None, 27),
        ("on_time_rate", None, 27),
        ("stall_rate_carrier", "shunfeng", 27),
        ("stall_rate", None, 27),
        ("exception_rate", None, 27),
    ]
    assert {i["deadline"] for i in report["improvements"]} == {"2026-02-28"}


def test_the_benchmark_is_configurable_per_request(client: TestClient, seeded: TenantKeys) -> None:
    report = client.get(f"{URL}?month=2026-01&benchmark_hours=5", headers=seeded.headers()).json()
    assert report["targets"]["outbound_hours"] == 5
    assert "outbound_p90" not in {i["key"] for i in report["improvements"]}


def test_another_tenant_sees_only_its_own_parcel(
    client: TestClient, seeded: TenantKeys, other_tenant: TenantKeys
) -> None:
    report = client.get(f"{URL}?month=2026-01", headers=other_tenant.headers("ops")).json()
    assert report["current"]["parcels"] == 1
    assert [r["key"] for r in report["current"]["stall_by_carrier"]] == ["jd"]
    assert report["current"]["outbound"]["median_hours"] == pytest.approx(30)


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "January", "2026-03"])
def test_a_bad_month_is_a_problem_with_a_stable_code(
    client: TestClient, tenant: TenantKeys, month: str
) -> None:
    response = client.get(f"{URL}?month={month}", headers=tenant.headers())
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "ERR_REPORT_MONTH_INVALID"


def test_the_report_needs_the_fulfilment_permission(client: TestClient, tenant: TenantKeys) -> None:
    response = client.get(f"{URL}?month=2026-01", headers=tenant.headers("finance"))
    assert response.status_code == 403


def _pages(pdf: bytes) -> list[str]:
    """Each page's text without whitespace and NULs (pypdf reads fpdf2's two-byte CJK runs
    with a NUL beside each character)."""
    pypdf = pytest.importorskip("pypdf")
    import io

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [re.sub(r"[\s\x00]+", "", page.extract_text()) for page in reader.pages]


def test_the_pdf_has_each_section_on_its_page_with_the_figures(
    client: TestClient, seeded: TenantKeys
) -> None:
    response = client.get(f"{URL}?month=2026-01&format=pdf", headers=seeded.headers("ops"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "fulfilment-report-2026-01.pdf" in response.headers["content-disposition"]
    assert response.content.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b", response.content)) == 4
    first, outbound, stalls, exceptions = _pages(response.content)
    assert "履约健康月报" in first and "Fulfilmenthealthreport·2026-01" in first
    assert "出库时长中位数Outboundmedian2.5h" in first
    assert "出库时长P90Outboundp904.8h2.0h+2.8h≤2.3h" in first
    assert "准时送达率On-timedelivery33.3%100.0%-66.7%≥95%" in first
    assert "改进事项Improvementitems" in first
    assert "出库时长P90Outboundp904.8h→目标target2.3h·剩余27天daysleft" in first
    assert "停滞率Stallrateshunfeng50.0%→目标target3.0%" in first
    assert outbound.startswith("出库时长Outboundtime·2026-01")
    assert stalls.startswith("停滞Stalls·2026-01")
    assert "shunfeng1250.0%" in stalls and f"{HUB}1250.0%" in stalls
    assert exceptions.startswith("异常原因Exceptionsbycause·2026-01")
    assert "damaged1" in exceptions


def test_the_console_page_shows_the_figures_charts_and_a_pdf_link(
    client: TestClient, db: Database, seeded: TenantKeys
) -> None:
    log_in(client, console_user(db, seeded.tenant_id, "warehouse"))
    desk = client.get("/console/fulfilment")
    assert 'href="/console/fulfilment/report"' in desk.text
    page = client.get("/console/fulfilment/report?month=2026-01")
    assert page.status_code == 200
    html = page.text
    assert 'data-figure="outbound_p90"' in html and 'data-value="4.8 h"' in html
    assert 'data-previous="2.0 h"' in html and 'data-delta="+2.8 h"' in html
    assert 'data-chart="stall_by_carrier"' in html
    assert "/console/static/vendor/echarts/echarts.min.js" in html
    data = re.search(
        r'<script type="application/json" id="report-charts-data">(.*?)</script>', html
    )
    assert data is not None
    charts = json.loads(data.group(1))
    assert charts["outbound"]["series"][0]["data"] == [2.5, 4.75]
    assert charts["stall_by_carrier"]["categories"] == ["shunfeng", "zhongtong"]
    assert 'data-improvement="stall_rate_carrier" data-subject="shunfeng"' in html
    assert "27" in html
    pdf = client.get("/console/fulfilment/report.pdf?month=2026-01")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    bad = client.get("/console/fulfilment/report?month=2026-13")
    assert bad.status_code == 422 and "ERR_REPORT_MONTH_INVALID" in bad.text


def test_the_console_report_is_closed_to_finance(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    log_in(client, console_user(db, tenant.tenant_id, "finance"))
    assert client.get("/console/fulfilment/report?month=2026-01").status_code == 403


@pytest.fixture
def run_cli(db: Database, monkeypatch: pytest.MonkeyPatch) -> Callable[..., object]:
    monkeypatch.setenv("OMS_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str) -> object:
        return runner.invoke(cli, ["reports", "fulfilment", *args])

    yield invoke
    get_settings.cache_clear()


def test_the_cli_prints_json_and_writes_html_and_pdf(
    run_cli: Callable[..., object], seeded: TenantKeys, tmp_path: Path
) -> None:
    tenant = ["--tenant", seeded.tenant_id, "--month", "2026-01"]
    printed = run_cli(*tenant)
    assert printed.exit_code == 0, printed.output  # type: ignore[attr-defined]
    report = json.loads(printed.stdout)  # type: ignore[attr-defined]
    assert (report["current"]["parcels"], report["previous"]["parcels"]) == (4, 1)
    html_file, pdf_file = tmp_path / "r.html", tmp_path / "r.pdf"
    assert run_cli(*tenant, "--format", "html", "--out", str(html_file)).exit_code == 0  # type: ignore[attr-defined]
    html = html_file.read_text()
    assert "echarts" in html and 'data-chart="outbound"' in html and 'data-value="4.8 h"' in html
    assert run_cli(*tenant, "--format", "pdf", "--out", str(pdf_file)).exit_code == 0  # type: ignore[attr-defined]
    assert pdf_file.read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize("month", ["2026-13", "01-2026", "2099-01"])
def test_the_cli_refuses_a_bad_month_with_its_code_and_exit_status_2(
    run_cli: Callable[..., object], tenant: TenantKeys, month: str
) -> None:
    result = run_cli("--tenant", tenant.tenant_id, "--month", month)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "ERR_REPORT_MONTH_INVALID" in result.stderr  # type: ignore[attr-defined]


def test_a_month_without_parcels_has_no_figures_and_no_items(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    report = client.get(f"{URL}?month=2026-01", headers=tenant.headers()).json()
    now = report["current"]
    assert (now["parcels"], now["outbound"]["p90_hours"], now["on_time"]["rate"]) == (0, None, None)
    assert (now["stall_rate"], report["improvements"]) == (None, [])
    log_in(client, console_user(db, tenant.tenant_id, "ops", locale="en"))
    page = client.get("/console/fulfilment/report")  # the month under way
    assert page.status_code == 200 and "Every figure meets its target." in page.text
    pdf = client.get(f"{URL}?month=2026-01&format=pdf", headers=tenant.headers())
    assert pdf.status_code == 200
    assert len(re.findall(rb"/Type\s*/Page\b", pdf.content)) == 4
