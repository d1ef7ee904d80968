"""Tracking pushes ingested per second, per protocol, through HTTP.

Run ``python -m bench.tracking_bench`` from the project root. It prints figures and never
fails on speed. Per backend (SQLite, PostgreSQL), for each protocol (Kuaidi100, SF plain with
its URL token, SF signed envelope, Cainiao, generic Standard Webhooks), signed pushes that each
carry one new scan for one of 50 shipped parcels go through ``POST
/api/v1/tracking/{protocol}/{tenant}`` on a real uvicorn server with keep-alive httpx clients:
verified, inboxed, deduplicated, the scan stored, the shipment's tracking updated.

PostgreSQL uses the database ``oms_tracking_bench`` (dropped and created) on the server of
``OMS_BENCH_POSTGRES_URL``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from sqlalchemy import make_url
from standardwebhooks.webhooks import Webhook

from bench.harness import Mode, Result, run_mode
from bench.http_server import serve
from bench.ingest_bench import http_mode
from bench.payloads import SKUS, order_payload
from oms.app import create_app
from oms.config import Settings
from oms.core.auth import create_tenant
from oms.core.clock import SystemClock
from oms.core.context import Actor
from oms.core.db import make_engine
from oms.core.migrate import upgrade
from oms.core.uow import Database
from oms.fulfilment.schemas import ShipmentIn
from oms.fulfilment.service import record_shipment
from oms.fulfilment.tracking import service as tracking
from oms.inventory.schemas import MovementIn
from oms.inventory.service import record_movement
from oms.orders.schemas import OrderCreate, OrderEventIn
from oms.orders.service import apply_event, place_order

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "oms_tracking_bench"
PARCELS = 50
SALT, TOKEN, CHECKWORD = "bench-salt-0123", "bench-url-token-0123456789", "bench-checkword"
CAINIAO_SECRET, CAINIAO_APP = "bench-cainiao-secret", "BENCH_APP"
WHSEC = "whsec_" + base64.b64encode(b"tracking-bench-secret-32-bytes!!").decode()
START = datetime(2026, 1, 1, tzinfo=UTC)
Delivery = tuple[dict[str, str], bytes]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _md5(text: str) -> bytes:
    return hashlib.md5(text.encode()).digest()  # noqa: S324 - the carriers' own scheme


def _number(seq: int) -> str:
    return f"SF{seq % PARCELS:010d}"


def _local(seq: int) -> str:
    """A distinct China-time scan time per message (one minute apart)."""
    return (START + timedelta(hours=8, minutes=seq)).strftime("%Y-%m-%d %H:%M:%S")


def kuaidi100(external_id: str, seq: int) -> Delivery:
    record = {"context": f"快件到达 {external_id}", "ftime": _local(seq), "status": "在途"}
    last = {"state": "0", "com": "shunfeng", "nu": _number(seq), "data": [record]}
    param = json.dumps({"status": "polling", "lastResult": last}, ensure_ascii=False)
    sign = _md5(param + SALT).hex().upper()
    return FORM, urlencode({"param": param, "sign": sign}).encode()


def _routes(external_id: str, seq: int) -> str:
    route = {
        "mailno": _number(seq),
        "acceptTime": _local(seq),
        "opCode": "30",
        "remark": f"已发出 {external_id}",
        "acceptAddress": "杭州",
        "id": external_id,
    }
    return json.dumps({"Body": {"WaybillRoute": [route]}}, ensure_ascii=False)


def sf_plain(external_id: str, seq: int) -> Delivery:
    return {"Content-Type": "application/json"}, _routes(external_id, seq).encode()


def sf_envelope(external_id: str, seq: int) -> Delivery:
    data, timestamp = _routes(external_id, seq), "1767225600000"
    digest = base64.b64encode(_md5(data + timestamp + CHECKWORD)).decode()
    form = {
        "partnerID": "BENCH",
        "requestID": external_id,
        "serviceCode": "RoutePush",
        "timestamp": timestamp,
        "msgDigest": digest,
        "msgData": data,
    }
    return FORM, urlencode(form).encode()


def cainiao(external_id: str, seq: int) -> Delivery:
    trace = {"action": "ARRIVE", "time": _local(seq), "desc": f"到达 {external_id}"}
    text = json.dumps(
        {"mailNo": _number(seq), "cpCode": "SF", "traces": [trace]}, ensure_ascii=False
    )
    digest = base64.b64encode(_md5(text + CAINIAO_SECRET)).decode()
    form = {
        "logistics_interface": text,
        "data_digest": digest,
        "msg_type": "TRACE",
        "logistic_provider_id": CAINIAO_APP,
    }
    return FORM, urlencode(form).encode()


def generic(external_id: str, seq: int) -> Delivery:
    at = START + timedelta(minutes=seq)
    body = json.dumps(
        {
            "carrier": "shunfeng",
            "tracking_no": _number(seq),
            "scheme": "aftership",
            "events": [{"at": at.isoformat(), "code": "InTransit", "text": external_id}],
        }
    )
    now = datetime.now(UTC)  # the server checks ±5 min against its system clock
    headers = {
        "Content-Type": "application/json",
        "webhook-id": f"msg_{external_id}",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(WHSEC).sign(f"msg_{external_id}", now, body),
    }
    return headers, body.encode()


PROTOCOLS: list[tuple[str, str, str, Callable[[str, int], Delivery]]] = [
    ("kuaidi100", "kuaidi100", "", kuaidi100),
    ("sf plain", "sf", f"?token={TOKEN}", sf_plain),
    ("sf envelope", "sf", "", sf_envelope),
    ("cainiao", "cainiao", "", cainiao),
    ("generic", "generic", "", generic),
]


def _ready(url: str) -> tuple[Database, str]:
    engine = make_engine(url)
    upgrade(engine)
    db = Database(engine, SystemClock())
    tenant = create_tenant(db, name="tracking bench tenant")
    actor = Actor(tenant.tenant_id, f"api_key:{tenant.admin_key.key_id}", "admin")
    for sku in SKUS:
        record_movement(db, actor, MovementIn(sku=sku, kind="inbound", qty=1_000_000))
    for index in range(PARCELS):
        order = place_order(db, actor, OrderCreate.model_validate(order_payload(f"p{index}", 0)))
        order_id = order.order.id
        apply_event(db, actor, order_id, OrderEventIn(event="pay"))
        lines = [{"sku": line.sku, "qty": line.qty} for line in order.order.lines]
        record_shipment(
            db,
            actor,
            ShipmentIn.model_validate(
                {
                    "order_id": order_id,
                    "warehouse": "main",
                    "carrier": "shunfeng",
                    "tracking_no": _number(index),
                    "lines": lines,
                }
            ),
        )
    tracking.configure(db, tenant.tenant_id, "kuaidi100", secret=SALT)
    tracking.configure(db, tenant.tenant_id, "sf", secret=TOKEN, checkword=CHECKWORD)
    tracking.configure(db, tenant.tenant_id, "cainiao", secret=CAINIAO_SECRET, app_key=CAINIAO_APP)
    tracking.configure(db, tenant.tenant_id, "generic", secret=WHSEC)
    return db, tenant.tenant_id


@contextmanager
def sqlite_backend() -> Iterator[tuple[Database, str]]:
    with tempfile.TemporaryDirectory(prefix="oms-tracking-bench-") as tmp:
        db, tenant = _ready(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            yield db, tenant
        finally:
            db.engine.dispose()


@contextmanager
def postgres_backend(server_url: str) -> Iterator[tuple[Database, str]]:
    server = make_url(server_url).set(drivername="postgresql")
    with psycopg.connect(server.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    db, tenant = _ready(server.set(database=BENCH_DATABASE).render_as_string(hide_password=False))
    try:
        yield db, tenant
    finally:
        db.engine.dispose()


def run_backend(name: str, db: Database, tenant: str, args: argparse.Namespace) -> list[Result]:
    settings = Settings(env="test", embedded_worker=False, log_level="WARNING")
    app = create_app(settings, db=db, run_worker=False)
    results = []
    with serve(app) as base_url:
        for label, protocol, query, prepare in PROTOCOLS:
            path = f"/api/v1/tracking/{protocol}/{tenant}{query}"
            mode: Mode[Delivery] = http_mode(label, base_url, path, prepare, 200)
            results.append(
                run_mode(
                    mode,
                    backend=name,
                    tag=protocol + label[-3:],
                    orders=args.messages,
                    warmup=args.warmup,
                    clients=args.clients,
                )
            )
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"])
    args = parser.parse_args(argv)
    rows: list[Result] = []
    url = os.environ.get("OMS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    openers = {"sqlite": sqlite_backend, "postgres": lambda: postgres_backend(url)}
    for name in args.backends:
        try:
            with openers[name]() as (db, tenant):
                rows += run_backend(name, db, tenant, args)
        except Exception as exc:  # a figure missing is reported, not fatal to the others
            print(f"{name}: not measured: {type(exc).__name__}: {exc}", file=sys.stderr)
    print(
        f"{'backend':<10}{'protocol':<14}{'clients':>8}{'msgs':>7}{'push/s':>9}"
        f"{'p50 ms':>9}{'p99 ms':>9}"
    )
    for r in rows:
        print(
            f"{r.backend:<10}{r.mode:<14}{r.clients:>8}{r.orders:>7}{r.rate:>9.1f}"
            f"{r.percentile_ms(50):>9.2f}{r.percentile_ms(99):>9.2f}"
        )


if __name__ == "__main__":
    main()
