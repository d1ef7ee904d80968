"""Alerts end to end: routes set over HTTP, ``alert.raised`` written as the domains write it, the
worker sending to local DingTalk and WeCom robots that check what the real ones check, and to
a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from oms.alerts.channels import dingtalk_sign
from oms.alerts.events import AlertRaised
from oms.alerts.low_stock import evaluate_low_stock, sweep_low_stock
from oms.alerts.models import AlertNotification, AlertRecord, AlertRoute
from oms.app import create_app
from oms.cli import app as cli
from oms.config import Settings, get_settings
from oms.core import outbox
from oms.core.clock import ManualClock
from oms.core.jobs import Worker
from oms.core.uow import Database
from oms.inventory.queries import skus_at_or_below
from oms.inventory.schemas import MovementIn
from oms.inventory.service import record_movement
from oms.inventory.states import MovementKind
from tests.fixtures.jobs import app_worker
from tests.fixtures.robots import dingtalk_robot, serve, smtp_server, wecom_robot
from tests.fixtures.tenants import TenantKeys, stock_up

ROUTES = "/api/v1/alerts/routes"
DING_SECRET = "SECb1d2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2"


@pytest.fixture
def smtp() -> Iterator[tuple[int, list[Any]]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def settings(smtp: tuple[int, list[Any]]) -> Settings:
    return Settings(
        env="test",
        embedded_worker=False,
        webhook_allow_private_networks=True,
        smtp_host="127.0.0.1",
        smtp_port=smtp[0],
        smtp_from="alerts@oms.test",
        alert_rate_limit=2,
        alert_rate_window_seconds=600,
    )


@pytest.fixture
def client(db: Database, settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, db=db, run_worker=False)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def worker(db: Database, settings: Settings, client: TestClient) -> Worker:
    return app_worker(db, settings, name="alert-test-worker")


def drain(worker: Worker) -> None:
    for _ in range(20):
        if worker.run_once() == 0:
            return
    raise AssertionError("the queue did not drain")


def raise_alert(db: Database, tenant: TenantKeys, alert_type: str, **extra: Any) -> None:
    """Write ``alert.raised`` the way tickets and inventory compensation do."""
    alert = AlertRaised(
        tenant_id=tenant.tenant_id,
        type=alert_type,
        severity="high",
        title="Stock short on a paid order",
        details=extra,
    )
    with db.uow() as uow:
        outbox.add(uow, alert)
        uow.commit()


def put_routes(client: TestClient, tenant: TenantKeys, routes: list[dict[str, Any]]) -> Any:
    response = client.put(ROUTES, json={"routes": routes}, headers=tenant.headers())
    assert response.status_code == 200, response.text
    return response.json()


def test_the_dingtalk_signature_matches_the_documented_check_value() -> None:
    expected = "7LVwF0dAF3%2F%2BMRRulbpE4y72Ogzykc6bS2nG4I99T4s%3D"
    assert dingtalk_sign(1700000000000, "SECtestsecret") == expected


def test_a_stock_shortage_alert_reaches_the_signed_dingtalk_robot_in_chinese(
    client: TestClient, tenant: TenantKeys, worker: Worker, db: Database, clock: ManualClock
) -> None:
    with serve(dingtalk_robot(DING_SECRET, "tok-123", clock.now)) as robot:
        url = f"{robot.url}/robot/send?access_token=tok-123"
        put_routes(
            client,
            tenant,
            [{"alert_type": "ticket.*", "channel": "dingtalk", "url": url, "secret": DING_SECRET}],
        )
        raise_alert(db, tenant, "ticket.stock_shortage", order_id="o-1", ticket_id="t-1")
        drain(worker)
    [message] = robot.received
    assert message.verdict == "verified"
    body = message.json()
    assert body["msgtype"] == "markdown"
    text = body["markdown"]["text"]
    assert "【OMS 告警】" in text and "级别**: 高" in text and "o-1" in text and "t-1" in text
    with db.reader() as session:
        assert session.scalar(select(AlertNotification.status)) == "sent"


def test_a_wrong_dingtalk_secret_is_refused_by_the_robot_and_retried(
    client: TestClient, tenant: TenantKeys, worker: Worker, db: Database, clock: ManualClock
) -> None:
    with serve(dingtalk_robot(DING_SECRET, "tok", clock.now)) as robot:
        url = f"{robot.url}/robot/send?access_token=tok"
        route = {"alert_type": "*", "channel": "dingtalk", "url": url, "secret": "SECwrong"}
        put_routes(client, tenant, [route])
        raise_alert(db, tenant, "payment.rejected")
        drain(worker)
    assert [r.verdict for r in robot.received] == ["bad sign"]
    with db.reader() as session:
        notification = session.scalars(select(AlertNotification)).one()
    assert notification.status == "pending" and "310000" in (notification.last_error or "")


def test_wecom_and_email_routes_receive_the_alert_in_their_language(
    client: TestClient,
    tenant: TenantKeys,
    worker: Worker,
    db: Database,
    smtp: tuple[int, list[Any]],
) -> None:
    with serve(wecom_robot("key-abc")) as robot:
        routes = [
            {
                "alert_type": "payment.*",
                "channel": "wecom",
                "url": f"{robot.url}/cgi-bin/webhook/send?key=key-abc",
                "locale": "en",
            },
            {"alert_type": "*", "channel": "email", "email": "Ops@Shop.example"},
            {"alert_type": "ticket.*", "channel": "email", "email": "never@shop.example"},
        ]
        put_routes(client, tenant, routes)
        raise_alert(db, tenant, "payment.amount_mismatch", order_id="o-9")
        drain(worker)
    [message] = robot.received
    assert message.verdict == "verified"
    content = message.json()["markdown"]["content"]
    assert "[OMS alert]" in content and "**Severity**: high" in content and "o-9" in content
    [mail] = smtp[1]
    assert mail["To"] == "ops@shop.example" and mail["From"] == "alerts@oms.test"
    assert str(mail["Subject"]) == "【OMS 告警】Stock short on a paid order"
    assert "payment.amount_mismatch" in mail.get_payload(decode=True).decode()


def test_alerts_are_rate_limited_per_tenant_and_type_and_the_rest_counted(
    client: TestClient,
    tenant: TenantKeys,
    worker: Worker,
    db: Database,
    clock: ManualClock,
    smtp: tuple[int, list[Any]],
) -> None:
    put_routes(
        client, tenant, [{"alert_type": "*", "channel": "email", "email": "ops@shop.example"}]
    )
    for _ in range(5):
        raise_alert(db, tenant, "ticket.stock_shortage")
    raise_alert(db, tenant, "payment.orphaned")
    drain(worker)
    assert len(smtp[1]) == 3  # two of the five shortages, and the other type
    with db.reader() as session:
        statuses = list(session.scalars(select(AlertRecord.status).order_by(AlertRecord.id)))
    assert statuses.count("suppressed") == 3

    clock.advance(timedelta(minutes=11))
    raise_alert(db, tenant, "ticket.stock_shortage")
    drain(worker)
    assert len(smtp[1]) == 4
    assert "另有 3 条同类告警被限流" in smtp[1][-1].get_payload(decode=True).decode()


def test_route_secrets_and_robot_urls_are_never_returned(
    client: TestClient, tenant: TenantKeys, db: Database
) -> None:
    url = "http://127.0.0.1:9/robot/send?access_token=very-secret-token"
    put_routes(
        client,
        tenant,
        [{"alert_type": "*", "channel": "dingtalk", "url": url, "secret": DING_SECRET}],
    )
    listed = client.get(ROUTES, headers=tenant.headers()).json()["items"]
    assert listed[0]["has_secret"] is True
    assert "very-secret-token" not in str(listed) and DING_SECRET not in str(listed)
    with db.reader() as session:
        row = session.scalars(select(AlertRoute)).one()
    assert (
        DING_SECRET not in (row.secret_sealed or "") and "very-secret" not in row.destination_sealed
    )


@pytest.mark.parametrize(
    ("route", "role", "status"),
    [
        ({"alert_type": "*", "channel": "dingtalk", "url": "http://127.0.0.1:9/"}, "admin", 422),
        ({"alert_type": "*", "channel": "email", "email": "not-an-address"}, "admin", 422),
        (
            {"alert_type": "*", "channel": "wecom", "url": "http://127.0.0.1:9/", "secret": "x"},
            "admin",
            422,
        ),
        ({"alert_type": "Bad Type", "channel": "email", "email": "a@b.cn"}, "admin", 422),
        ({"alert_type": "*", "channel": "email", "email": "a@b.cn"}, "ops", 403),
    ],
)
def test_invalid_routes_and_roles_are_refused(
    client: TestClient, tenant: TenantKeys, route: dict[str, Any], role: str, status: int
) -> None:
    response = client.put(ROUTES, json={"routes": [route]}, headers=tenant.headers(role))
    assert response.status_code == status, response.text


@pytest.fixture
def cli_env(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("OMS_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("OMS_WEBHOOK_ALLOW_PRIVATE_NETWORKS", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_cli_adds_lists_and_removes_routes(
    client: TestClient, tenant: TenantKeys, cli_env: None
) -> None:
    runner, url = CliRunner(), "http://127.0.0.1:9/robot/send?access_token=cli-token"
    base = ["alerts", "route"]
    added = runner.invoke(
        cli,
        [
            *[*base, "add", "--tenant", tenant.tenant_id, "--type", "payment.*"],
            *["--channel", "dingtalk", "--url", url, "--secret", DING_SECRET],
        ],
    )
    assert added.exit_code == 0, added.output
    route_id = json.loads(added.output)["id"]
    listed = runner.invoke(cli, [*base, "list", "--tenant", tenant.tenant_id])
    assert route_id in listed.output and "cli-token" not in listed.output
    assert client.get(ROUTES, headers=tenant.headers()).json()["items"][0]["id"] == route_id
    bad = runner.invoke(
        cli, [*base, "add", "--tenant", tenant.tenant_id, "--type", "*", "--channel", "wecom"]
    )
    assert bad.exit_code == 2 and "ERR_ALERT_ROUTE_INVALID" in bad.output
    removed = runner.invoke(cli, [*base, "remove", route_id, "--tenant", tenant.tenant_id])
    assert removed.exit_code == 0, removed.output
    again = runner.invoke(cli, [*base, "remove", route_id, "--tenant", tenant.tenant_id])
    assert again.exit_code == 2 and "ERR_ALERT_ROUTE_NOT_FOUND" in again.output


LOW_STOCK = "/api/v1/alerts/low-stock"


def test_a_low_stock_rule_alerts_once_per_sku_until_it_is_above_the_threshold_again(
    client: TestClient,
    tenant: TenantKeys,
    worker: Worker,
    db: Database,
    smtp: tuple[int, list[Any]],
) -> None:
    routes = put_routes(
        client,
        tenant,
        [
            {"alert_type": "order.*", "channel": "email", "email": "stock@shop.example"},
            {"alert_type": "*", "channel": "email", "email": "everything@shop.example"},
        ],
    )
    chosen = routes[0]["id"]  # its pattern does not match stock.low: the rule names it
    rule = client.put(
        LOW_STOCK, json={"threshold": 5, "route_id": chosen}, headers=tenant.headers()
    )
    assert rule.status_code == 200, rule.text
    assert client.get(LOW_STOCK, headers=tenant.headers()).json()["threshold"] == 5
    stock_up(db, tenant, "BAG-01", 3)
    stock_up(db, tenant, "BAG-02", 30)
    assert evaluate_low_stock(db, tenant.tenant_id, low_skus=skus_at_or_below) == ["BAG-01"]
    assert sweep_low_stock(db, low_skus=skus_at_or_below) == 0  # still low: it does not alert again
    drain(worker)
    assert [m["To"] for m in smtp[1]] == ["stock@shop.example"]
    assert "BAG-01" in smtp[1][0]["Subject"]

    stock_up(db, tenant, "BAG-01", 10)  # above the threshold: re-armed
    assert sweep_low_stock(db, low_skus=skus_at_or_below) == 0
    take = MovementIn(sku="BAG-01", kind=MovementKind.ADJUSTMENT, qty=-9)
    record_movement(db, tenant.actor("warehouse"), take)
    assert evaluate_low_stock(db, tenant.tenant_id, low_skus=skus_at_or_below) == ["BAG-01"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"threshold": -1}, "ERR_VALIDATION"),
        ({"threshold": "many"}, "ERR_VALIDATION"),
        ({"threshold": 5, "route_id": "no-such-route"}, "ERR_ALERT_LOW_STOCK_RULE_INVALID"),
    ],
)
def test_a_bad_low_stock_rule_is_a_problem_and_writes_nothing(
    client: TestClient, tenant: TenantKeys, body: dict[str, Any], code: str
) -> None:
    response = client.put(LOW_STOCK, json=body, headers=tenant.headers())
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code
    assert client.get(LOW_STOCK, headers=tenant.headers()).json() is None
    refused = client.put(LOW_STOCK, json={"threshold": 1}, headers=tenant.headers("warehouse"))
    assert refused.status_code == 403
