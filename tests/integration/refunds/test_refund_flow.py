"""Refund requests, decisions and execution through the (local) gateways."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from oms.core.jobs import list_jobs
from oms.core.uow import Database
from oms.inventory.queries import stock_levels
from oms.refunds.execution import execute_refund
from tests.fixtures.gateways import ORDER_TOTAL, FakeGateway
from tests.fixtures.tenants import TenantKeys
from tests.integration.refunds.conftest import (
    approve,
    channel_paid_order,
    create_order,
    gateway_paid_order,
    order_status,
    refund,
    request,
)


def test_an_approved_whole_order_refund_goes_through_alipay_and_closes_the_order(
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
) -> None:
    order = gateway_paid_order(client, configured, gateway, run_jobs)
    asked = request(client, configured, order_id=order["id"], whole_order=True)
    assert asked.status_code == 201, asked.text
    body = asked.json()
    assert (body["status"], body["amount"], body["gateway"]) == ("requested", ORDER_TOTAL, "alipay")
    assert approve(client, configured, body["id"]).json()["status"] == "approved"
    run_jobs()
    done = refund(client, configured, body["id"])
    assert done["status"] == "refunded"
    assert gateway.refunds == {
        body["id"]: {"out_trade_no": order["order_no"], "amount": ORDER_TOTAL}
    }
    assert all(r["signed_ok"] for r in gateway.refund_requests)
    assert order_status(client, configured, order["id"]) == "closed"
    timeline = client.get(
        f"/api/v1/orders/{order['id']}/timeline", headers=configured.headers()
    ).json()["items"]
    events = [(e["event"], e["source"]) for e in timeline]
    source = f"refund:{body['id']}"
    for event in ("refund_requested", "refund_approved", "refund_executing", "refund_refunded"):
        assert (event, source) in events
    assert ("close", source) in events


def test_a_partial_wechatpay_refund_leaves_the_order_open(
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
) -> None:
    order = gateway_paid_order(client, configured, gateway, run_jobs, via="wechatpay")
    asked = request(client, configured, order_id=order["id"], amount=1000).json()
    approve(client, configured, asked["id"])
    run_jobs()
    assert refund(client, configured, asked["id"])["status"] == "refunded"
    assert [r["kind"] for r in gateway.refund_requests] == ["wechatpay"]
    assert gateway.refund_requests[0]["signed_ok"]
    assert order_status(client, configured, order["id"]) == "paid"


def test_refunds_never_exceed_the_paid_amount(
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
) -> None:
    order = gateway_paid_order(client, configured, gateway, run_jobs)
    assert (
        request(client, configured, order_id=order["id"], amount=ORDER_TOTAL - 100).status_code
        == 201
    )
    too_much = request(client, configured, order_id=order["id"], amount=101)
    assert too_much.status_code == 409
    assert too_much.json()["code"] == "ERR_REFUND_EXCEEDS_PAID"
    assert too_much.json()["details"]["refundable"] == 100
    assert (
        request(client, configured, order_id=order["id"], whole_order=True).json()["amount"] == 100
    )
    nothing_left = request(client, configured, order_id=order["id"], whole_order=True)
    assert nothing_left.json()["code"] == "ERR_REFUND_EXCEEDS_PAID"


def test_a_rejected_refund_frees_its_share(client: TestClient, tenant: TenantKeys) -> None:
    order = channel_paid_order(client, tenant)
    first = request(client, tenant, order_id=order["id"], whole_order=True).json()
    rejected = client.post(
        f"/api/v1/refunds/{first['id']}/reject", json={"note": "no"}, headers=tenant.headers()
    )
    assert (rejected.json()["status"], rejected.json()["decision_note"]) == ("rejected", "no")
    assert request(client, tenant, order_id=order["id"], whole_order=True).status_code == 201


def test_a_unit_goes_back_once_even_when_the_paid_amount_would_cover_it(
    client: TestClient, tenant: TenantKeys
) -> None:
    order = channel_paid_order(client, tenant)  # two TEA-LJ-250 among its lines
    tea = [{"sku": "TEA-LJ-250", "qty": 2}]
    first = request(client, tenant, order_id=order["id"], lines=tea)
    assert first.status_code == 201, first.text
    again = request(client, tenant, order_id=order["id"], lines=[{"sku": "TEA-LJ-250", "qty": 1}])
    assert again.status_code == 422
    assert again.json()["code"] == "ERR_REFUND_UNITS_EXCEED_REFUNDABLE"
    details = again.json()["details"]
    assert (details["skus"], details["left"]) == (["TEA-LJ-250"], {"TEA-LJ-250": 0})
    listed = client.get(f"/api/v1/refunds?order_id={order['id']}", headers=tenant.headers())
    assert len(listed.json()["items"]) == 1  # the refused request wrote nothing
    client.post(
        f"/api/v1/refunds/{first.json()['id']}/reject",
        json={"note": "no"},
        headers=tenant.headers(),
    )
    assert request(client, tenant, order_id=order["id"], lines=tea).status_code == 201


def test_a_gateway_failure_is_retried_with_the_same_out_request_no(
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
) -> None:
    order = gateway_paid_order(client, configured, gateway, run_jobs)
    asked = request(client, configured, order_id=order["id"], amount=500).json()
    gateway.fail_refunds = 1
    approve(client, configured, asked["id"])
    run_jobs()
    assert refund(client, configured, asked["id"])["status"] == "refunding"
    run_jobs(later=True)
    assert refund(client, configured, asked["id"])["status"] == "refunded"
    numbers = {r["number"] for r in gateway.refund_requests}
    assert numbers == {asked["id"]}
    assert list(gateway.refunds) == [asked["id"]]


def test_a_refund_that_keeps_failing_is_failed_and_can_be_retried(
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
) -> None:
    order = gateway_paid_order(client, configured, gateway, run_jobs, via="wechatpay")
    asked = request(client, configured, order_id=order["id"], amount=500).json()
    gateway.fail_refunds = 10
    approve(client, configured, asked["id"])
    for _ in range(4):
        run_jobs(later=True)
    failed = refund(client, configured, asked["id"])
    assert failed["status"] == "failed" and failed["last_error"]
    gateway.fail_refunds = 0
    retried = client.post(f"/api/v1/refunds/{asked['id']}/retry", headers=configured.headers())
    assert retried.json()["status"] == "refunding"
    run_jobs()
    assert refund(client, configured, asked["id"])["status"] == "refunded"
    assert {r["number"] for r in gateway.refund_requests} == {asked["id"]}


def test_duplicated_jobs_and_answers_refund_once(
    client: TestClient,
    db: Database,
    configured: TenantKeys,
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
) -> None:
    order = gateway_paid_order(client, configured, gateway, run_jobs)
    asked = request(client, configured, order_id=order["id"], amount=700).json()
    approve(client, configured, asked["id"])
    run_jobs()
    args = {"tenant_id": configured.tenant_id, "refund_id": asked["id"], "is_last_attempt": False}
    assert execute_refund(db, **args) == "refunded"  # a redelivered job: nothing to send
    # The gateway answering a repeat with fund_change=N changes nothing either.
    gateway.refunds[asked["id"]] = {"out_trade_no": order["order_no"], "amount": 700}
    assert execute_refund(db, **args) == "refunded"
    assert len(gateway.refunds) == 1
    listed = client.get(f"/api/v1/refunds?order_id={order['id']}", headers=configured.headers())
    assert [r["status"] for r in listed.json()["items"]] == ["refunded"]


def test_the_request_id_and_the_idempotency_key_make_requests_idempotent(
    client: TestClient, tenant: TenantKeys
) -> None:
    order = channel_paid_order(client, tenant)
    first = request(client, tenant, order_id=order["id"], amount=100, request_id="r-1")
    again = request(client, tenant, order_id=order["id"], amount=100, request_id="r-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    other = channel_paid_order(client, tenant)
    reused = request(client, tenant, order_id=other["id"], amount=100, request_id="r-1")
    assert reused.json()["code"] == "ERR_REFUND_REQUEST_ID_REUSED"
    body = {"order_id": order["id"], "amount": 100, "reason": "other"}
    headers = tenant.headers(**{"Idempotency-Key": "k-1"})
    one = client.post("/api/v1/refunds", json=body, headers=headers)
    two = client.post("/api/v1/refunds", json=body, headers=headers)
    assert one.json()["id"] == two.json()["id"]
    listed = client.get(f"/api/v1/refunds?order_id={order['id']}", headers=tenant.headers())
    assert len(listed.json()["items"]) == 2


def test_bad_requests_answer_with_their_codes(client: TestClient, tenant: TenantKeys) -> None:
    order = channel_paid_order(client, tenant)
    unpaid = create_order(client, tenant)
    cases = [
        ({"order_id": order["id"]}, 422, "ERR_VALIDATION"),
        ({"order_id": order["id"], "amount": 1, "whole_order": True}, 422, "ERR_VALIDATION"),
        ({"order_id": order["id"], "amount": 1, "reason": "bored"}, 422, "ERR_VALIDATION"),
        ({"order_id": order["id"], "amount": 0}, 422, "ERR_VALIDATION"),
        (
            {"order_id": order["id"], "lines": [{"sku": "NOPE", "qty": 1}]},
            422,
            "ERR_REFUND_INVALID_LINES",
        ),
        (
            {"order_id": order["id"], "lines": [{"sku": "TEA-LJ-250", "qty": 3}]},
            422,
            "ERR_REFUND_INVALID_LINES",
        ),
        ({"order_id": unpaid["id"], "amount": 1}, 409, "ERR_REFUND_NOT_REFUNDABLE"),
        ({"order_id": "missing", "amount": 1}, 404, "ERR_ORDER_NOT_FOUND"),
    ]
    for body, status, code in cases:
        answer = request(client, tenant, **body)
        assert (answer.status_code, answer.json()["code"]) == (status, code), body
    lines = request(client, tenant, order_id=order["id"], lines=[{"sku": "TEA-LJ-250", "qty": 2}])
    assert lines.json()["amount"] == 2 * 32800
    assert client.get("/api/v1/refunds/nope", headers=tenant.headers()).status_code == 404
    rid = lines.json()["id"]
    assert approve(client, tenant, rid).status_code == 200
    twice = approve(client, tenant, rid)
    assert (twice.status_code, twice.json()["code"]) == (409, "ERR_REFUND_ILLEGAL_TRANSITION")
    denied = request(client, tenant, role="warehouse", order_id=order["id"], amount=1)
    assert denied.json()["code"] == "ERR_AUTH_FORBIDDEN"


def test_returned_goods_are_booked_as_return_movements(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order = channel_paid_order(client, tenant)
    asked = request(client, tenant, order_id=order["id"], lines=[{"sku": "CUP-GLS-300", "qty": 1}])
    before = stock_levels(db, tenant.tenant_id, ["CUP-GLS-300"])[0].on_hand
    rid = asked.json()["id"]
    received = client.post(
        f"/api/v1/refunds/{rid}/receive-return",
        json={"lines": [{"sku": "CUP-GLS-300", "qty": 1}]},
        headers=tenant.headers("warehouse"),
    )
    assert received.status_code == 200, received.text
    assert received.json()["returned"][0]["ledger_id"]
    after = stock_levels(db, tenant.tenant_id, ["CUP-GLS-300"])[0].on_hand
    assert after == before + 1
    too_many = client.post(
        f"/api/v1/refunds/{rid}/receive-return",
        json={"lines": [{"sku": "CUP-GLS-300", "qty": 1}]},
        headers=tenant.headers("warehouse"),
    )
    assert too_many.json()["code"] == "ERR_REFUND_INVALID_LINES"


def test_a_refused_request_leaves_no_trace_behind(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order = channel_paid_order(client, tenant)
    before = len(list_jobs(db, tenant_id=tenant.tenant_id))
    refused = request(client, tenant, order_id=order["id"], amount=ORDER_TOTAL + 1)
    assert refused.json()["code"] == "ERR_REFUND_EXCEEDS_PAID"
    assert len(list_jobs(db, tenant_id=tenant.tenant_id)) == before
    timeline = client.get(f"/api/v1/orders/{order['id']}/timeline", headers=tenant.headers())
    assert not [e for e in timeline.json()["items"] if e["event"].startswith("refund_")]
    assert client.get("/api/v1/refunds", headers=tenant.headers()).json()["items"] == []


def test_a_processing_wechatpay_refund_is_asked_again_until_it_succeeds(
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
) -> None:
    order = gateway_paid_order(client, configured, gateway, run_jobs, via="wechatpay")
    asked = request(client, configured, order_id=order["id"], whole_order=True).json()
    gateway.wechat_refund_status = "PROCESSING"
    approve(client, configured, asked["id"])
    run_jobs()
    assert refund(client, configured, asked["id"])["status"] == "refunding"
    gateway.wechat_refund_status = "SUCCESS"
    run_jobs(later=True)
    assert refund(client, configured, asked["id"])["status"] == "refunded"
    assert len(gateway.refunds) == 1 and len(gateway.refund_requests) == 2
    assert order_status(client, configured, order["id"]) == "closed"
