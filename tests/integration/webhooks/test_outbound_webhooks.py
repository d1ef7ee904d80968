"""Outbound webhooks end to end: subscribe over HTTP, place an order, run the worker, and let a
local receiver verify every delivery with the ``standardwebhooks`` library."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from oms.app import create_app
from oms.config import Settings
from oms.core import jobs
from oms.core.clock import ManualClock
from oms.core.jobs import Worker
from oms.core.uow import Database
from oms.webhooks.models import WebhookSubscription
from tests.fixtures.jobs import app_worker
from tests.fixtures.orders import order_payload
from tests.fixtures.robots import FakeServer, serve, webhook_receiver
from tests.fixtures.tenants import TenantKeys

SUBSCRIPTIONS = "/api/v1/webhooks/subscriptions"
DELIVERIES = "/api/v1/webhooks/deliveries"
PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _settings(**overrides: Any) -> Settings:
    # job_max_attempts is low on purpose: deliveries keep their own 24 h budget regardless.
    values: dict[str, Any] = dict(
        env="test",
        embedded_worker=False,
        webhook_allow_private_networks=True,
        webhook_disable_after_failures=1,
        job_max_attempts=3,
    )
    return Settings(**(values | overrides))


@pytest.fixture
def real_time(clock: ManualClock) -> ManualClock:
    """Receivers check webhook-timestamp against the wall clock (±5 min), so start from now."""
    clock.set(datetime.now(UTC).replace(microsecond=0))
    return clock


@pytest.fixture
def settings() -> Settings:
    return _settings()


@pytest.fixture
def client(db: Database, settings: Settings, real_time: ManualClock) -> Iterator[TestClient]:
    app = create_app(settings, db=db, run_worker=False)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def worker(db: Database, settings: Settings, client: TestClient) -> Worker:
    return app_worker(db, settings, name="webhook-test-worker")


def drain(worker: Worker) -> None:
    """Run every job that is due now, including the ones the jobs queue."""
    for _ in range(20):
        if worker.run_once() == 0:
            return
    raise AssertionError("the queue did not drain")


def subscribe(client: TestClient, tenant: TenantKeys, url: str, types: list[str]) -> dict[str, Any]:
    response = client.post(
        SUBSCRIPTIONS, json={"url": url, "event_types": types}, headers=tenant.headers()
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def deliveries(client: TestClient, tenant: TenantKeys, subscription_id: str) -> list[Any]:
    response = client.get(
        DELIVERIES, params={"subscription_id": subscription_id}, headers=tenant.headers("ops")
    )
    assert response.status_code == 200, response.text
    found: list[Any] = response.json()["items"]
    return found


@pytest.fixture
def receiver() -> Iterator[tuple[FakeServer, dict[str, str]]]:
    secret: dict[str, str] = {}
    with serve(webhook_receiver([500, 200], lambda: secret["value"])) as fake:
        yield fake, secret


def test_an_order_is_delivered_signed_and_keeps_its_webhook_id_across_a_retry(
    client: TestClient,
    tenant: TenantKeys,
    worker: Worker,
    real_time: ManualClock,
    receiver: tuple[FakeServer, dict[str, str]],
) -> None:
    fake, secret = receiver
    subscription = subscribe(client, tenant, f"{fake.url}/hooks", ["order.created"])
    secret["value"] = subscription["secret"]
    assert subscription["secret"].startswith("whsec_")
    order = client.post(
        "/api/v1/orders", json=order_payload(), headers=tenant.headers(traceparent=PARENT)
    ).json()

    drain(worker)  # order.created fans out, the first attempt gets 500
    assert [r.verdict for r in fake.received] == ["verified"]
    real_time.advance(timedelta(seconds=6))  # the first retry waits about 5 s
    drain(worker)

    first, second = fake.received
    assert second.verdict == "verified"
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.headers["webhook-timestamp"] != second.headers["webhook-timestamp"]
    assert first.body == second.body
    event = second.json()
    assert (event["type"], event["data"]["order_id"]) == ("order.created", order["id"])
    assert second.headers["traceparent"].split("-")[1] == PARENT.split("-")[1]

    [delivery] = deliveries(client, tenant, subscription["id"])
    assert delivery["id"] == first.headers["webhook-id"]
    assert (delivery["status"], delivery["attempts"]) == ("succeeded", 2)
    log = delivery["attempt_log"]
    assert [a["status_code"] for a in log] == [500, 200]
    assert all(isinstance(a["latency_ms"], int) and a["latency_ms"] >= 0 for a in log)


def test_a_delivery_can_be_replayed_with_the_same_webhook_id(
    client: TestClient,
    tenant: TenantKeys,
    worker: Worker,
    receiver: tuple[FakeServer, dict[str, str]],
) -> None:
    fake, secret = receiver
    subscription = subscribe(client, tenant, fake.url, ["*"])
    secret["value"] = subscription["secret"]
    client.post("/api/v1/orders", json=order_payload(), headers=tenant.headers())
    drain(worker)
    [delivery] = deliveries(client, tenant, subscription["id"])
    assert delivery["status"] == "pending"  # the 500; its retry is not due yet
    replayed = client.post(f"{DELIVERIES}/{delivery['id']}/replay", headers=tenant.headers())
    assert replayed.json()["code"] == "ERR_WEBHOOK_DELIVERY_IN_PROGRESS"

    client.post("/api/v1/orders", json=order_payload(), headers=tenant.headers())
    drain(worker)  # the second order's delivery gets the scripted 200
    done = next(
        d for d in deliveries(client, tenant, subscription["id"]) if d["status"] == "succeeded"
    )
    replayed = client.post(f"{DELIVERIES}/{done['id']}/replay", headers=tenant.headers("ops"))
    assert replayed.status_code == 202, replayed.text
    drain(worker)
    again = client.get(f"{DELIVERIES}/{done['id']}", headers=tenant.headers()).json()
    assert (again["status"], again["attempts"]) == ("succeeded", 2)
    ids = [r.headers["webhook-id"] for r in fake.received]
    assert ids.count(done["id"]) == 2
    assert client.post(f"{DELIVERIES}/nope/replay", headers=tenant.headers()).status_code == 404


def test_a_failing_subscription_is_retried_for_over_24_hours_then_disabled_with_an_alert(
    db: Database, client: TestClient, tenant: TenantKeys, worker: Worker, real_time: ManualClock
) -> None:
    with serve(lambda _request: (503, {"down": True})) as fake:
        subscription = subscribe(client, tenant, fake.url, ["order.created"])
        client.post("/api/v1/orders", json=order_payload(), headers=tenant.headers())
        drain(worker)
        for _ in range(10):
            [delivery] = deliveries(client, tenant, subscription["id"])
            if delivery["next_attempt_at"] is None:
                break
            real_time.set(datetime.fromisoformat(delivery["next_attempt_at"]))
            drain(worker)

    [delivery] = deliveries(client, tenant, subscription["id"])
    log = delivery["attempt_log"]
    assert (delivery["status"], len(log)) == ("failed", 8)
    span = datetime.fromisoformat(log[-1]["attempted_at"]) - datetime.fromisoformat(
        log[0]["attempted_at"]
    )
    assert span >= timedelta(hours=24)
    deliver_jobs = [
        j
        for j in jobs.list_jobs(db, tenant_id=tenant.tenant_id, status=None)
        if j.topic == "webhook.deliver"
    ]
    assert [(j.status, j.attempts) for j in deliver_jobs] == [("done", 8)]  # not dead at 3

    [listed] = client.get(SUBSCRIPTIONS, headers=tenant.headers()).json()["items"]
    assert listed["status"] == "disabled" and "1 consecutive" in listed["disabled_reason"]
    alerts = [
        j.payload
        for j in jobs.list_jobs(db, tenant_id=tenant.tenant_id, status=None)
        if j.topic == "alert.raised"
    ]
    assert alerts and alerts[0]["type"] == "webhook.subscription_disabled"
    assert alerts[0]["subscription_id"] == subscription["id"]


def test_the_signing_secret_is_shown_once_and_sealed_at_rest(
    db: Database, client: TestClient, tenant: TenantKeys
) -> None:
    created = subscribe(client, tenant, "http://127.0.0.1:9/hook", ["order.status_changed"])
    listed = client.get(SUBSCRIPTIONS, headers=tenant.headers()).json()["items"]
    assert listed and all("secret" not in item for item in listed)
    assert created["secret"] not in str(listed)
    with db.reader() as session:
        sealed = session.scalar(select(WebhookSubscription.secret_sealed))
    assert sealed is not None and created["secret"] not in sealed and sealed.startswith("v1:")


def test_subscriptions_are_checked_and_scoped(
    client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    body = {"url": "http://127.0.0.1:9/", "event_types": ["order.teleported"]}
    refused = client.post(SUBSCRIPTIONS, json=body, headers=tenant.headers())
    assert refused.json()["code"] == "ERR_WEBHOOK_UNKNOWN_EVENT_TYPE"
    body["event_types"] = ["order.created"]
    assert (
        client.post(SUBSCRIPTIONS, json=body, headers=tenant.headers("service")).status_code == 403
    )
    created = client.post(SUBSCRIPTIONS, json=body, headers=tenant.headers("ops")).json()
    url = f"{SUBSCRIPTIONS}/{created['id']}"
    assert client.delete(url, headers=other_tenant.headers()).status_code == 404
    assert client.delete(url, headers=tenant.headers()).json()["status"] == "deleted"
    assert client.get(SUBSCRIPTIONS, headers=tenant.headers()).json()["items"] == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/",
        "http://192.168.1.1/",
        "http://[::1]:8000/",
        "http://[::ffff:127.0.0.1]/",
        "http://224.0.0.1/",
        "http://0.0.0.0/",
        "ftp://example.com/",
        "http://user:pw@example.com/",
    ],
)
def test_private_and_odd_destinations_are_refused_without_the_setting(
    db: Database, tenant: TenantKeys, url: str
) -> None:
    app = create_app(_settings(webhook_allow_private_networks=False), db=db, run_worker=False)
    with TestClient(app, raise_server_exceptions=False) as strict:
        response = strict.post(
            SUBSCRIPTIONS, json={"url": url, "event_types": ["*"]}, headers=tenant.headers()
        )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "ERR_WEBHOOK_DESTINATION_REFUSED"


def test_a_destination_is_checked_again_at_delivery_time(
    db: Database,
    client: TestClient,
    tenant: TenantKeys,
    receiver: tuple[FakeServer, dict[str, str]],
) -> None:
    fake, _secret = receiver
    subscription = subscribe(client, tenant, fake.url, ["order.created"])
    client.post("/api/v1/orders", json=order_payload(), headers=tenant.headers())
    strict = _settings(webhook_allow_private_networks=False)
    create_app(strict, db=db, run_worker=False)  # registers the handlers with strict settings
    drain(app_worker(db, strict, name="strict-worker"))
    [delivery] = deliveries(client, tenant, subscription["id"])
    assert fake.received == []
    assert delivery["status"] == "pending"
    assert "ERR_WEBHOOK_DESTINATION_REFUSED" in delivery["attempt_log"][0]["error"]
    assert delivery["attempt_log"][0]["status_code"] is None
