"""Bad input, problem details, tracing headers and Idempotency-Key, over HTTP."""

from __future__ import annotations

import hashlib
import json
import socket
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from oms.app import create_app
from oms.config import Settings
from oms.core import idempotency
from oms.core.auth import authenticate_api_key
from oms.core.clock import ManualClock
from oms.core.db import make_engine
from oms.core.errors import CATALOGUE
from oms.core.secrets import secret_box
from oms.core.uow import Database
from tests.fixtures.orders import order_payload
from tests.fixtures.tenants import TenantKeys

ORDERS = "/api/v1/orders"


def _order_count(client: TestClient, tenant: TenantKeys) -> int:
    return len(client.get(ORDERS, headers=tenant.headers()).json()["items"])


def test_validation_errors_name_each_field_path(client: TestClient, tenant: TenantKeys) -> None:
    bad = order_payload(lines=[{"sku": "A", "name": "a", "qty": 0, "unit_price": -1}])
    response = client.post(ORDERS, json=bad, headers=tenant.headers())
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "ERR_VALIDATION" and body["status"] == 422
    assert {"lines[0].qty", "lines[0].unit_price"} <= {e["path"] for e in body["details"]["errors"]}
    assert body["trace_id"] == response.headers["traceparent"].split("-")[1]
    assert _order_count(client, tenant) == 0


def test_malformed_json_is_a_400_with_its_own_code(client: TestClient, tenant: TenantKeys) -> None:
    response = client.post(
        ORDERS,
        content=b'{"channel": "tmall", ',
        headers=tenant.headers(**{"Content-Type": "application/json"}),
    )
    assert response.status_code == 400
    assert response.json()["code"] == "ERR_MALFORMED_BODY"


def test_a_body_over_one_mebibyte_is_413(client: TestClient, tenant: TenantKeys) -> None:
    big = json.dumps(order_payload(note="x" * (1024 * 1024))).encode()
    response = client.post(
        ORDERS, content=big, headers=tenant.headers(**{"Content-Type": "application/json"})
    )
    assert response.status_code == 413
    assert response.json()["code"] == "ERR_PAYLOAD_TOO_LARGE"
    assert _order_count(client, tenant) == 0


def test_a_non_json_body_is_415(client: TestClient, tenant: TenantKeys) -> None:
    response = client.post(
        ORDERS, content=b"channel=tmall", headers=tenant.headers(**{"Content-Type": "text/plain"})
    )
    assert response.status_code == 415
    assert response.json()["code"] == "ERR_UNSUPPORTED_MEDIA_TYPE"


def test_unknown_fields_are_refused_rather_than_dropped(
    client: TestClient, tenant: TenantKeys
) -> None:
    response = client.post(ORDERS, json=order_payload(totl=5), headers=tenant.headers())
    assert response.status_code == 422


def test_unknown_routes_and_methods_answer_problem_json(client: TestClient) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert (missing.status_code, missing.json()["code"]) == (404, "ERR_NOT_FOUND")
    wrong = client.delete("/healthz")
    assert (wrong.status_code, wrong.json()["code"]) == (405, "ERR_METHOD_NOT_ALLOWED")


def test_a_valid_traceparent_is_continued_and_an_invalid_one_replaced(client: TestClient) -> None:
    parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    continued = client.get("/healthz", headers={"traceparent": parent})
    trace_id = continued.headers["traceparent"].split("-")[1]
    assert trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert continued.headers["traceparent"] != parent  # our own span id
    for bad in [
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ]:
        replaced = client.get("/healthz", headers={"traceparent": bad})
        assert replaced.headers["traceparent"].split("-")[1] != "4bf92f3577b34da6a3ce929d0e0e4736"


def test_an_x_request_id_is_echoed(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "pos-12-000042"})
    assert response.headers["x-request-id"] == "pos-12-000042"


def test_the_same_idempotency_key_and_body_replays_the_first_answer(
    client: TestClient, tenant: TenantKeys
) -> None:
    headers = tenant.headers(**{"Idempotency-Key": "k-1"})
    first = client.post(ORDERS, json=order_payload(), headers=headers)
    second = client.post(ORDERS, json=order_payload(), headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["idempotent-replayed"] == "true"
    assert _order_count(client, tenant) == 1


def test_an_idempotent_event_replays_even_after_the_order_moved_on(
    client: TestClient, tenant: TenantKeys
) -> None:
    order = client.post(ORDERS, json=order_payload(), headers=tenant.headers()).json()
    url = f"{ORDERS}/{order['id']}/events"
    headers = tenant.headers(**{"Idempotency-Key": "evt-1"})
    first = client.post(url, json={"event": "cancel"}, headers=headers)
    replay = client.post(url, json={"event": "cancel"}, headers=headers)
    assert replay.json() == first.json() and replay.json()["outcome"] == "applied"
    timeline = client.get(f"{ORDERS}/{order['id']}/timeline", headers=tenant.headers()).json()[
        "items"
    ]
    assert len(timeline) == 2


def test_the_same_key_with_a_different_body_is_422(client: TestClient, tenant: TenantKeys) -> None:
    headers = tenant.headers(**{"Idempotency-Key": "k-2"})
    client.post(ORDERS, json=order_payload(), headers=headers)
    reused = client.post(ORDERS, json=order_payload(channel="jd"), headers=headers)
    assert reused.status_code == 422
    assert reused.json()["code"] == "ERR_IDEMPOTENCY_KEY_REUSED"
    assert _order_count(client, tenant) == 1


def test_a_key_still_in_progress_is_409(
    client: TestClient, tenant: TenantKeys, db: Database
) -> None:
    body = json.dumps(order_payload()).encode()
    # Another request holds the key: claim it the way the middleware does.
    fingerprint = hashlib.sha256(b"POST /api/v1/orders?\n" + body).hexdigest()
    principal = authenticate_api_key(db, tenant.keys["admin"])
    idempotency.claim_key(
        db,
        secret_box(Settings(env="test")),
        idempotency.IdempotencyScope(tenant.tenant_id, principal.principal, "k-3"),
        fingerprint=fingerprint,
        ttl=timedelta(hours=24),
        lease=timedelta(minutes=5),
    )
    response = client.post(
        ORDERS,
        content=body,
        headers=tenant.headers(**{"Idempotency-Key": "k-3", "Content-Type": "application/json"}),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "ERR_IDEMPOTENCY_IN_PROGRESS"


def test_keys_are_per_tenant(
    client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    mine = client.post(
        ORDERS, json=order_payload(), headers=tenant.headers(**{"Idempotency-Key": "same"})
    )
    theirs = client.post(
        ORDERS, json=order_payload(), headers=other_tenant.headers(**{"Idempotency-Key": "same"})
    )
    assert theirs.status_code == 201 and theirs.json()["id"] != mine.json()["id"]


def test_a_key_expires_after_24_hours(
    client: TestClient, tenant: TenantKeys, clock: ManualClock
) -> None:
    headers = tenant.headers(**{"Idempotency-Key": "k-4"})
    first = client.post(ORDERS, json=order_payload(), headers=headers)
    clock.advance(timedelta(hours=24, seconds=1))
    second = client.post(ORDERS, json=order_payload(), headers=headers)
    assert second.status_code == 201 and second.json()["id"] != first.json()["id"]


def test_health_readiness_and_the_error_catalogue(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    codes = {e["code"] for e in client.get("/api/v1/errors").json()}
    assert codes == set(CATALOGUE)
    one = client.get("/api/v1/errors/ERR_ORDER_ILLEGAL_TRANSITION").json()
    assert one["status"] == 409


def test_readiness_fails_with_a_code_when_the_schema_is_not_migrated(tmp_path: Path) -> None:
    empty = Database(make_engine(f"sqlite:///{tmp_path / 'empty.db'}"), ManualClock())
    app = create_app(Settings(env="test"), db=empty, run_worker=False)
    with TestClient(app) as fresh:
        response = fresh.get("/readyz")
    assert (response.status_code, response.json()["code"]) == (503, "ERR_NOT_READY")


def test_a_database_that_refuses_connections_is_a_503_to_retry_not_a_500() -> None:
    # A real refusal: PostgreSQL's protocol on a port where nothing listens.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gone = Database(make_engine(f"postgresql://oms@127.0.0.1:{port}/oms"), ManualClock())
    app = create_app(Settings(env="test", migrate_on_start=False), db=gone, run_worker=False)
    with TestClient(app) as client:
        response = client.post(
            ORDERS, json=order_payload(), headers={"Authorization": "Bearer oms_test_key"}
        )
    assert response.status_code == 503
    assert response.json()["code"] == "ERR_DATABASE_UNAVAILABLE"
    assert response.headers["Retry-After"] == "1"
    assert response.headers["content-type"] == "application/problem+json"
