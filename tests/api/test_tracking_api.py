"""Carrier tracking pushes over HTTP, each signed here by its own protocol's rules
(protocols.md §4, §5.2 to 5.5), not by the implementation's helpers: genuine, forged, replayed
and duplicated pushes; scans on the shipment; the effects on the order and tickets."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from typing import Any
from urllib.parse import quote_plus, urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from oms.cli import app as cli
from oms.config import get_settings
from oms.core.clock import ManualClock
from oms.core.models import InboxMessage
from oms.core.uow import Database
from oms.fulfilment.tracking import service
from tests.fixtures.jobs import app_worker
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.tracking import WHSEC, generic_push, shipped_order

SALT = "k100-salt-0123456789"
SF_TOKEN = "sf-url-token-abcdef0123456789"
SF_CHECKWORD = "sf-checkword-9f8e7d6c"
CAINIAO_SECRET = "cainiao-secret-key-42"
CAINIAO_APP = "TEA_HOUSE_APP"
TRACKING_NO = "SF1234567890"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def configured(db: Database, tenant: TenantKeys) -> TenantKeys:
    service.configure(db, tenant.tenant_id, "kuaidi100", secret=SALT)
    service.configure(db, tenant.tenant_id, "sf", secret=SF_TOKEN, checkword=SF_CHECKWORD)
    service.configure(db, tenant.tenant_id, "cainiao", secret=CAINIAO_SECRET, app_key=CAINIAO_APP)
    service.configure(db, tenant.tenant_id, "generic", secret=WHSEC)
    return tenant


def _shipment(client: TestClient, tenant: TenantKeys, order_id: str) -> dict[str, Any]:
    page = client.get(f"/api/v1/orders/{order_id}/shipments", headers=tenant.headers()).json()
    found: dict[str, Any] = page["items"][0]
    return found


def _order_status(client: TestClient, tenant: TenantKeys, order_id: str) -> str:
    status: str = client.get(f"/api/v1/orders/{order_id}", headers=tenant.headers()).json()[
        "status"
    ]
    return status


def _tickets(client: TestClient, tenant: TenantKeys, kind: str) -> list[dict[str, Any]]:
    page = client.get(f"/api/v1/tickets?kind={kind}", headers=tenant.headers()).json()
    items: list[dict[str, Any]] = page["items"]
    return items


def _inbox(db: Database, source: str) -> list[InboxMessage]:
    with db.reader() as session:
        rows = session.scalars(
            select(InboxMessage)
            .where(InboxMessage.source == source)
            .order_by(InboxMessage.received_at, InboxMessage.id)
        )
        return list(rows)


# --- Kuaidi100 -------------------------------------------------------------------------------


def _k100_param(
    records: list[tuple[str, str, str]],
    *,
    state: str,
    status: str = "polling",
    number: str = TRACKING_NO,
    com: str = "shunfeng",
    **extra: Any,
) -> str:
    """records: (time, context, status word), oldest first; sent newest first as Kuaidi100 does."""
    data = [
        {"context": text, "time": at, "ftime": at, "status": word, "areaName": "浙江省,杭州市"}
        for at, text, word in reversed(records)
    ]
    last = {
        "message": "ok",
        "state": state,
        "ischeck": "1" if state == "3" else "0",
        "com": com,
        "nu": number,
        "data": data,
    }
    return json.dumps(
        {"status": status, "message": "", "lastResult": last} | extra, ensure_ascii=False
    )


def _md5(text: str) -> bytes:
    return hashlib.md5(text.encode()).digest()  # noqa: S324 - the carriers' own scheme


def _k100(param: str, salt: str = SALT) -> bytes:
    sign = _md5(param + salt).hex().upper()
    return urlencode({"param": param, "sign": sign}).encode()


PICKED = ("2026-01-24 14:00:00", "【杭州市】顺丰速运 已收取快件", "揽收")
MOVING = ("2026-01-24 16:30:00", "快件在【杭州转运中心】已装车", "在途")
SIGNED = ("2026-01-24 18:40:00", "已签收,签收人:本人", "签收")


def _push(
    client: TestClient,
    protocol: str,
    tenant_id: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    query: str = "",
) -> Any:
    return client.post(
        f"/api/v1/tracking/{protocol}/{tenant_id}{query}", content=body, headers=headers or FORM
    )


def test_kuaidi100_snapshot_stores_scans_oldest_first_and_delivers_the_order(
    client: TestClient, configured: TenantKeys, clock: ManualClock
) -> None:
    order_id = shipped_order(client, clock, configured)
    param = _k100_param([PICKED, MOVING, SIGNED], state="3", status="shutdown")
    response = _push(client, "kuaidi100", configured.tenant_id, _k100(param))
    assert response.status_code == 200
    assert response.json() == {"result": True, "returnCode": "200", "message": "成功"}
    shipment = _shipment(client, configured, order_id)
    assert (shipment["tracking_status"], shipment["tracking_sub_status"]) == ("delivered", "signed")
    assert shipment["raw_code"] == "3"
    assert shipment["last_scan_at"].startswith("2026-01-24T10:40:00")
    assert (shipment["eta_from"], shipment["eta_to"]) == (None, None)
    assert [s["text"] for s in shipment["scans"]] == [PICKED[1], MOVING[1], SIGNED[1]]
    assert [s["tracking_status"] for s in shipment["scans"]] == [
        "in_transit",
        "in_transit",
        "delivered",
    ]
    assert shipment["scans"][0]["location"] == "浙江省,杭州市"
    assert _order_status(client, configured, order_id) == "delivered"
    timeline = client.get(f"/api/v1/orders/{order_id}/timeline", headers=configured.headers())
    last = timeline.json()["items"][-1]
    assert (last["event"], last["source"]) == ("deliver", "carrier:shunfeng")


def test_kuaidi100_duplicate_and_updated_snapshots_add_only_new_scans(
    client: TestClient, configured: TenantKeys, db: Database, clock: ManualClock
) -> None:
    order_id = shipped_order(client, clock, configured)
    first = _k100(_k100_param([PICKED, MOVING], state="0"))
    assert _push(client, "kuaidi100", configured.tenant_id, first).status_code == 200
    assert _push(client, "kuaidi100", configured.tenant_id, first).status_code == 200
    rows = _inbox(db, "tracking:kuaidi100")
    assert [(r.verification, r.deliveries, r.outcome) for r in rows] == [("verified", 2, "applied")]
    again = _k100(_k100_param([PICKED, MOVING, SIGNED], state="3", status="updateall"))
    assert _push(client, "kuaidi100", configured.tenant_id, again).status_code == 200
    scans = _shipment(client, configured, order_id)["scans"]
    assert [s["text"] for s in scans] == [PICKED[1], MOVING[1], SIGNED[1]]


def test_kuaidi100_forged_push_is_refused_in_its_format_and_kept_raw(
    client: TestClient, configured: TenantKeys, db: Database, clock: ManualClock
) -> None:
    order_id = shipped_order(client, clock, configured)
    forged = _k100(_k100_param([PICKED, SIGNED], state="3"), salt="not-the-salt")
    response = _push(client, "kuaidi100", configured.tenant_id, forged)
    assert response.status_code == 401
    body = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (body["code"], body["result"], body["returnCode"]) == (
        "ERR_TRACKING_SIGNATURE_INVALID",
        False,
        "500",
    )
    [row] = _inbox(db, "tracking:kuaidi100")
    assert (row.verification, row.error_code, row.body) == (
        "rejected",
        "ERR_TRACKING_SIGNATURE_INVALID",
        forged,
    )
    assert _shipment(client, configured, order_id)["scans"] == []
    unsigned = urlencode({"param": _k100_param([PICKED], state="1")}).encode()
    missing = _push(client, "kuaidi100", configured.tenant_id, unsigned)
    assert (missing.status_code, missing.json()["code"]) == (401, "ERR_TRACKING_SIGNATURE_MISSING")


def test_kuaidi100_bad_input_is_a_stable_code_with_the_raw_body_kept(
    client: TestClient, configured: TenantKeys, db: Database
) -> None:
    broken = _k100("{not json")
    response = _push(client, "kuaidi100", configured.tenant_id, broken)
    assert (response.status_code, response.json()["code"]) == (400, "ERR_TRACKING_MALFORMED_PUSH")
    no_time = _k100(_k100_param([("", "x", "在途")], state="0"))
    response = _push(client, "kuaidi100", configured.tenant_id, no_time)
    assert (response.status_code, response.json()["code"]) == (400, "ERR_TRACKING_MALFORMED_PUSH")
    assert [r.body for r in _inbox(db, "tracking:kuaidi100")] == [broken, no_time]
    unknown = _push(client, "dhl", configured.tenant_id, broken)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "ERR_TRACKING_PROTOCOL_UNKNOWN")
    nobody = _push(client, "kuaidi100", "no-such-tenant", broken)
    assert (nobody.status_code, nobody.json()["code"]) == (404, "ERR_TRACKING_TENANT_UNKNOWN")


@pytest.mark.parametrize("state", ["2", "4", "6", "14"])
def test_kuaidi100_problem_and_return_states_open_an_exception_ticket_at_once(
    client: TestClient, configured: TenantKeys, state: str, clock: ManualClock
) -> None:
    order_id = shipped_order(client, clock, configured)
    problem = ("2026-01-24 17:00:00", "收件人地址不详", "疑难")
    param = _k100_param([PICKED, (problem[0], problem[1], "")], state=state)
    assert _push(client, "kuaidi100", configured.tenant_id, _k100(param)).status_code == 200
    [ticket] = _tickets(client, configured, "delivery_exception")
    assert ticket["order_id"] == order_id
    assert ticket["details"]["raw_code"] == state
    returns = _tickets(client, configured, "delivery_returned")
    assert len(returns) == (1 if state in {"4", "6"} else 0)


def test_kuaidi100_resultv2_codes_and_carrier_correction(
    client: TestClient, configured: TenantKeys, clock: ManualClock
) -> None:
    order_id = shipped_order(client, clock, configured, carrier="yunda", tracking_no="YD0000000001")
    data = [
        {"context": "已放入菜鸟驿站", "ftime": "2026-01-24 18:00:00", "statusCode": "501"},
        {"context": "已揽收", "ftime": "2026-01-24 15:00:00", "statusCode": "103"},
    ]
    param = json.dumps(
        {
            "status": "polling",
            "autoCheck": "1",
            "comOld": "yunda",
            "comNew": "zhongtong",
            "lastResult": {"state": "5", "com": "zhongtong", "nu": "YD0000000001", "data": data},
        },
        ensure_ascii=False,
    )
    assert _push(client, "kuaidi100", configured.tenant_id, _k100(param)).status_code == 200
    shipment = _shipment(client, configured, order_id)
    assert [s["raw_code"] for s in shipment["scans"]] == ["103", "501"]
    assert (shipment["tracking_status"], shipment["tracking_sub_status"]) == (
        "available_for_pickup",
        "locker_or_station",
    )


def test_a_push_for_an_unknown_parcel_is_kept_and_visible(
    client: TestClient, configured: TenantKeys
) -> None:
    param = _k100_param([PICKED], state="1", number="SF0000000404")
    response = _push(client, "kuaidi100", configured.tenant_id, _k100(param))
    assert response.json()["result"] is True
    page = client.get("/api/v1/tracking/unmatched", headers=configured.headers()).json()
    [unmatched] = page["items"]
    assert unmatched["parcels"][0]["tracking_no"] == "SF0000000404"
    assert unmatched["source"] == "tracking:kuaidi100"


def test_pushes_that_came_before_the_shipment_are_applied_once_it_is_recorded(
    client: TestClient, db: Database, configured: TenantKeys, clock: ManualClock
) -> None:
    # The carrier's first scans arrive before the merchant's system records the parcel.
    early = _k100_param([PICKED, MOVING], state="0", number="SF0000000777")
    assert _push(client, "kuaidi100", configured.tenant_id, _k100(early)).json()["result"]
    other = _k100_param([PICKED], state="0", number="SF0000000778")
    assert _push(client, "kuaidi100", configured.tenant_id, _k100(other)).json()["result"]
    order_id = shipped_order(client, clock, configured, tracking_no="SF0000000777")

    worker = app_worker(db)
    while worker.run_once():
        pass

    shipment = _shipment(client, configured, order_id)
    assert [s["raw_code"] for s in shipment["scans"]] == ["1", "0"]  # 揽收, 在途, oldest first
    assert shipment["tracking_status"] == "in_transit"
    page = client.get("/api/v1/tracking/unmatched", headers=configured.headers()).json()
    assert [p["parcels"][0]["tracking_no"] for p in page["items"]] == ["SF0000000778"]
    # Replaying again (a redelivered job) changes nothing.
    assert service.replay_unmatched(db, configured.tenant_id, "shunfeng", "SF0000000777") == 0
    assert len(_shipment(client, configured, order_id)["scans"]) == 2


def test_a_delivered_scan_on_an_order_that_moved_on_keeps_the_scan(
    client: TestClient, configured: TenantKeys, clock: ManualClock
) -> None:
    order_id = shipped_order(client, clock, configured)
    for event in ("deliver", "complete"):
        client.post(
            f"/api/v1/orders/{order_id}/events", json={"event": event}, headers=configured.headers()
        )
    param = _k100_param([PICKED, SIGNED], state="3")
    assert _push(client, "kuaidi100", configured.tenant_id, _k100(param)).status_code == 200
    assert len(_shipment(client, configured, order_id)["scans"]) == 2
    assert _order_status(client, configured, order_id) == "completed"
    timeline = client.get(f"/api/v1/orders/{order_id}/timeline", headers=configured.headers())
    last = timeline.json()["items"][-1]
    assert (last["event"], last["source"]) == ("deliver", "carrier:shunfeng")
    assert last["outcome"] != "applied"


# --- SF --------------------------------------------------------------------------------------


def _routes(*routes: tuple[str, str, str], number: str = TRACKING_NO) -> dict[str, Any]:
    return {
        "Body": {
            "WaybillRoute": [
                {
                    "mailno": number,
                    "orderid": "T1",
                    "acceptTime": at,
                    "acceptAddress": "杭州",
                    "remark": text,
                    "opCode": op,
                    "id": f"{number}-{op}-{at}",
                }
                for at, op, text in routes
            ]
        }
    }


JSON = {"Content-Type": "application/json"}


def test_sf_plain_push_with_the_token_and_its_forgeries(
    client: TestClient, configured: TenantKeys, db: Database, clock: ManualClock
) -> None:
    order_id = shipped_order(client, clock, configured)
    body = json.dumps(
        _routes(
            ("2026-01-24 15:00:00", "50", "顺丰速运 已收取快件"),
            ("2026-01-24 17:00:00", "44", "正在派送途中"),
        )
    ).encode()
    ok = _push(client, "sf", configured.tenant_id, body, JSON, f"?token={SF_TOKEN}")
    assert (ok.status_code, ok.json()) == (200, {"return_code": "0000", "return_msg": "成功"})
    again = _push(client, "sf", configured.tenant_id, body, JSON, f"?token={SF_TOKEN}")
    assert again.status_code == 200
    shipment = _shipment(client, configured, order_id)
    assert [s["raw_code"] for s in shipment["scans"]] == ["50", "44"]
    assert shipment["tracking_status"] == "out_for_delivery"
    forged = _push(client, "sf", configured.tenant_id, body, JSON, "?token=guess-guess-guess")
    assert (forged.status_code, forged.json()["return_code"]) == (401, "1000")
    bare = _push(client, "sf", configured.tenant_id, body, JSON)
    assert bare.json()["code"] == "ERR_TRACKING_SIGNATURE_MISSING"
    rows = _inbox(db, "tracking:sf")
    assert [(r.verification, r.deliveries) for r in rows] == [
        ("verified", 2),
        ("rejected", 1),
        ("rejected", 1),
    ]


@pytest.mark.parametrize("quoted", [False, True])
def test_sf_signed_envelope_verifies_with_or_without_quote_plus(
    client: TestClient, configured: TenantKeys, db: Database, quoted: bool, clock: ManualClock
) -> None:
    order_id = shipped_order(client, clock, configured)
    msg_data = json.dumps(
        _routes(("2026-01-24 18:00:00", "631", "退回件已签收")), ensure_ascii=False
    )
    timestamp = "1769230800000"
    signed = msg_data + timestamp + SF_CHECKWORD
    text = quote_plus(signed) if quoted else signed
    digest = base64.b64encode(_md5(text)).decode()
    envelope = {
        "partnerID": "TEA",
        "requestID": f"req-{quoted}",
        "serviceCode": "RoutePush",
        "timestamp": timestamp,
        "msgDigest": digest,
        "msgData": msg_data,
    }
    response = _push(client, "sf", configured.tenant_id, urlencode(envelope).encode())
    assert response.json() == {"return_code": "0000", "return_msg": "成功"}
    [row] = _inbox(db, "tracking:sf")
    assert row.details["digest_variant"] == ("quote_plus" if quoted else "plain")
    assert _shipment(client, configured, order_id)["tracking_status"] == "returned"
    assert len(_tickets(client, configured, "delivery_returned")) == 1
    forged = dict(envelope, msgDigest=base64.b64encode(b"0" * 16).decode(), requestID="x")
    refused = _push(client, "sf", configured.tenant_id, urlencode(forged).encode())
    assert (refused.status_code, refused.json()["return_code"]) == (401, "1000")


# --- Cainiao ---------------------------------------------------------------------------------


def _cainiao(interface: dict[str, Any], secret: str = CAINIAO_SECRET, **extra: str) -> bytes:
    text = json.dumps(interface, ensure_ascii=False)
    digest = base64.b64encode(_md5(text + secret)).decode()
    form = {
        "logistics_interface": text,
        "data_digest": digest,
        "msg_type": "TRACE_PUSH",
        "logistic_provider_id": CAINIAO_APP,
    } | extra
    return urlencode(form).encode()


def test_cainiao_push_genuine_forged_and_duplicated(
    client: TestClient, configured: TenantKeys, db: Database, clock: ManualClock
) -> None:
    order_id = shipped_order(
        client, clock, configured, carrier="yuantong", tracking_no="YT7000000001"
    )
    interface = {
        "mailNo": "YT7000000001",
        "cpCode": "YTO",
        "traces": [
            {"action": "GOT", "time": "2026-01-24 14:10:00", "desc": "已揽件", "city": "杭州"},
            {"action": "SIGN", "time": "2026-01-24 18:10:00", "desc": "已签收", "city": "上海"},
        ],
    }
    body = _cainiao(interface)
    response = _push(client, "cainiao", configured.tenant_id, body)
    assert (response.status_code, response.json()["success"]) == (200, "true")
    assert _push(client, "cainiao", configured.tenant_id, body).json()["success"] == "true"
    shipment = _shipment(client, configured, order_id)
    assert [s["raw_code"] for s in shipment["scans"]] == ["GOT", "SIGN"]
    assert _order_status(client, configured, order_id) == "delivered"
    forged = _push(client, "cainiao", configured.tenant_id, _cainiao(interface, "wrong-secret"))
    assert (forged.status_code, forged.json()["success"]) == (401, "false")
    hex_digest = _cainiao(interface)  # the hex variant of the digest is not the protocol
    text = json.dumps(interface, ensure_ascii=False)
    hex_form = {
        "logistics_interface": text,
        "data_digest": base64.b64encode(_md5(text + CAINIAO_SECRET).hex().encode()).decode(),
    }
    assert hex_digest != urlencode(hex_form).encode()
    refused = _push(client, "cainiao", configured.tenant_id, urlencode(hex_form).encode())
    assert refused.json()["code"] == "ERR_TRACKING_SIGNATURE_INVALID"
    rows = _inbox(db, "tracking:cainiao")
    assert (rows[0].verification, rows[0].deliveries) == ("verified", 2)


# --- Generic (Standard Webhooks) -------------------------------------------------------------


def test_generic_push_genuine_forged_replayed_and_duplicated(
    client: TestClient, configured: TenantKeys, clock: ManualClock
) -> None:
    order_id = shipped_order(client, clock, configured, carrier="jd", tracking_no="JD0000000001")
    payload = {
        "carrier": "jd",
        "tracking_no": "JD0000000001",
        "scheme": "17track",
        "events": [
            {
                "at": "2026-01-24T09:00:00Z",
                "code": "Exception_Damage",
                "text": "外包装破损",
                "location": "北京",
            }
        ],
    }
    headers, body = generic_push(clock, payload)
    ok = _push(client, "generic", configured.tenant_id, body, headers)
    assert (ok.status_code, ok.json()) == (200, {"status": "accepted"})
    assert _push(client, "generic", configured.tenant_id, body, headers).status_code == 200
    shipment = _shipment(client, configured, order_id)
    assert [(s["tracking_sub_status"], s["raw_code"]) for s in shipment["scans"]] == [
        ("damaged", "Exception_Damage")
    ]
    assert len(_tickets(client, configured, "delivery_exception")) == 1
    forged_headers, _ = generic_push(
        clock, payload, secret="whsec_" + base64.b64encode(b"x" * 32).decode()
    )
    forged = _push(client, "generic", configured.tenant_id, body, forged_headers)
    assert (forged.status_code, forged.json()["code"]) == (401, "ERR_TRACKING_SIGNATURE_INVALID")
    clock.advance(timedelta(minutes=10))
    replayed = _push(client, "generic", configured.tenant_id, body, headers)
    assert replayed.json()["code"] == "ERR_TRACKING_TIMESTAMP_OUT_OF_TOLERANCE"


def test_tracking_configure_cli_prints_the_push_url(
    db: Database, tenant: TenantKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMS_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        args = [
            "tracking",
            "configure",
            "--tenant",
            tenant.tenant_id,
            "--carrier",
            "sf",
            "--secret",
            SF_TOKEN,
            "--checkword",
            SF_CHECKWORD,
            "--base-url",
            "https://oms.example.com",
        ]
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
        printed = json.loads(result.output)
        assert printed["push_url"] == (
            f"https://oms.example.com/api/v1/tracking/sf/{tenant.tenant_id}?token={SF_TOKEN}"
        )
        assert SF_CHECKWORD not in result.output
        bad = runner.invoke(
            cli,
            [
                "tracking",
                "configure",
                "--tenant",
                tenant.tenant_id,
                "--carrier",
                "cainiao",
                "--secret",
                CAINIAO_SECRET,
            ],
        )
        assert bad.exit_code == 2 and "ERR_TRACKING_SECRET_INVALID" in bad.output
    finally:
        get_settings.cache_clear()


def test_an_older_scan_arriving_late_does_not_turn_the_parcel_back(
    client: TestClient, configured: TenantKeys, clock: ManualClock
) -> None:
    order_id = shipped_order(client, clock, configured)
    newer = json.dumps(_routes(("2026-01-24 17:00:00", "44", "正在派送途中"))).encode()
    older = json.dumps(_routes(("2026-01-24 15:00:00", "31", "已到达杭州中转场"))).encode()
    for body in (newer, older):
        response = _push(client, "sf", configured.tenant_id, body, JSON, f"?token={SF_TOKEN}")
        assert response.status_code == 200
    shipment = _shipment(client, configured, order_id)
    assert [s["raw_code"] for s in shipment["scans"]] == ["31", "44"]
    assert (shipment["tracking_status"], shipment["raw_code"]) == ("out_for_delivery", "44")


def test_kuaidi100_abort_is_recorded_not_an_exception(
    client: TestClient, configured: TenantKeys, db: Database, clock: ManualClock
) -> None:
    shipped_order(client, clock, configured)
    param = _k100_param([PICKED], state="1", status="abort", message="3天查询无记录")
    assert _push(client, "kuaidi100", configured.tenant_id, _k100(param)).status_code == 200
    [row] = _inbox(db, "tracking:kuaidi100")
    assert (row.topic, row.details["status"], row.details["message"]) == (
        "kuaidi100.abort",
        "abort",
        "3天查询无记录",
    )
    assert _tickets(client, configured, "delivery_exception") == []


def test_an_oversized_push_is_refused_in_the_carriers_format_and_kept(
    client: TestClient, configured: TenantKeys, db: Database
) -> None:
    huge = urlencode({"param": "x" * (1024 * 1024 + 10), "sign": "0"}).encode()
    response = _push(client, "sf", configured.tenant_id, huge)
    assert response.status_code == 413
    assert (response.json()["code"], response.json()["return_code"]) == (
        "ERR_PAYLOAD_TOO_LARGE",
        "1000",
    )
    [row] = _inbox(db, "tracking:sf")
    assert (row.verification, row.error_code) == ("rejected", "ERR_PAYLOAD_TOO_LARGE")


def test_a_problem_earlier_in_a_delivered_trace_opens_no_ticket(
    client: TestClient, configured: TenantKeys, clock: ManualClock
) -> None:
    order_id = shipped_order(client, clock, configured)
    problem = ("2026-01-24 17:00:00", "收件人电话无人接听", "疑难")
    param = _k100_param([PICKED, problem, SIGNED], state="3", status="shutdown")
    assert _push(client, "kuaidi100", configured.tenant_id, _k100(param)).status_code == 200
    assert _tickets(client, configured, "delivery_exception") == []
    assert _order_status(client, configured, order_id) == "delivered"
