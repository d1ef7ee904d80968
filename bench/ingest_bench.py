"""Ingest benchmark: verified callbacks and webhooks taken in per second through HTTP.

Run ``python -m bench.ingest_bench`` from the project root (``make bench``). It prints figures
and never fails on speed. Per backend (SQLite, PostgreSQL), in one run:

* ``shopify new``: signed ``orders/create`` webhooks, each a new platform order: verified
  (HMAC), inboxed, deduplicated, the order placed (stock reserved);
* ``shopify redelivery``: the same deliveries again: verified, counted, answered ``duplicate``;
* ``alipay notify``: RSA2-signed notifications for existing orders: verified, inboxed, a
  ``received`` payment and a ``payment.confirm`` job enqueued (the job is not run);

each through ``POST`` on a real uvicorn server with a keep-alive httpx client. The baseline,
in the same run, is signature verification alone per message (the connector's HMAC check;
RSA2 verify of the notification with the gateway's public key), and the ratio says how many
messages the whole intake takes in the time verification alone would take for one.

PostgreSQL uses the database ``oms_ingest_bench`` (dropped and created) on the server of
``OMS_BENCH_POSTGRES_URL``.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import hmac
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bench.databases import fresh_postgres
from bench.harness import Mode, Result, run_mode
from bench.http_server import serve
from bench.payloads import SKUS as ORDER_SKUS
from bench.payloads import order_payload
from oms.app import create_app
from oms.channels import service as channels
from oms.channels.connectors import Credentials, connector_for
from oms.channels.schemas import ChannelConfigIn
from oms.config import Settings
from oms.core.auth import create_tenant
from oms.core.clock import SystemClock
from oms.core.context import Actor
from oms.core.db import make_engine
from oms.core.migrate import upgrade
from oms.core.uow import Database
from oms.inventory.schemas import MovementIn
from oms.inventory.service import record_movement
from oms.orders.schemas import OrderCreate, OrderOut
from oms.orders.service import place_order
from oms.payments import service as payments
from oms.payments.config import load_credentials
from oms.payments.gateways import alipay
from oms.payments.schemas import AlipayConfigIn

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "oms_ingest_bench"
SHOPIFY_SECRET = "shpss_" + secrets.token_hex(16)  # a fresh one per run
APP_ID = "2021000000000001"
SAMPLE = (
    Path(__file__).resolve().parent.parent / "tests/fixtures/channels/shopify_orders_create.json"
)
SKUS = ("TEA-LJ-250", "CUP-GLS-300")
Delivery = tuple[dict[str, str], bytes]


@dataclass(frozen=True, slots=True)
class Backend:
    name: str
    db: Database
    actor: Actor
    gateway_key: rsa.RSAPrivateKey


@dataclass(frozen=True, slots=True)
class Row:
    backend: str
    result: Result
    verify_us: float

    @property
    def ratio(self) -> float:
        """Verification-only rate over the full intake rate (how much the rest costs)."""
        return (1e6 / self.verify_us) / self.result.rate


# --- backends ----------------------------------------------------------------------------


def _pem(key: rsa.RSAPrivateKey, public: bool) -> str:
    if public:
        data = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    else:
        data = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    return data.decode()


def _ready(name: str, url: str) -> Backend:
    engine = make_engine(url)
    upgrade(engine)
    db = Database(engine, SystemClock())
    tenant = create_tenant(db, name="ingest bench tenant")
    actor = Actor(tenant.tenant_id, f"api_key:{tenant.admin_key.key_id}", "admin")
    for sku in (*SKUS, *ORDER_SKUS):
        record_movement(db, actor, MovementIn(sku=sku, kind="inbound", qty=1_000_000_000))
    channels.configure_channel(
        db, tenant.tenant_id, "shopify", ChannelConfigIn(secret=SHOPIFY_SECRET)
    )
    gateway_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    merchant_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    config = AlipayConfigIn(
        app_id=APP_ID,
        gateway_public_key=_pem(gateway_key, public=True),
        merchant_private_key=_pem(merchant_key, public=False),
        base_url="https://openapi.alipay.com/gateway.do",
    )
    payments.configure_gateway(db, actor, config)
    return Backend(name, db, actor, gateway_key)


@contextmanager
def sqlite_backend() -> Iterator[Backend]:
    with tempfile.TemporaryDirectory(prefix="oms-ingest-bench-") as tmp:
        backend = _ready("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            yield backend
        finally:
            backend.db.engine.dispose()


@contextmanager
def postgres_backend(server_url: str) -> Iterator[Backend]:
    """``oms_ingest_bench``, dropped and created, migrated to head."""
    backend = _ready("postgres", fresh_postgres(server_url, BENCH_DATABASE))
    try:
        yield backend
    finally:
        backend.db.engine.dispose()


# --- messages ----------------------------------------------------------------------------


def shopify_delivery(external_id: str, seq: int) -> Delivery:
    """A signed ``orders/create`` for a platform order of its own (id and number from seq)."""
    payload: dict[str, Any] = copy.deepcopy(_sample())
    payload["id"] = 7_000_000_000_000 + int(
        hashlib.sha256(external_id.encode()).hexdigest()[:10], 16
    )
    payload["name"] = f"#{seq}"
    payload["order_number"] = seq
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    digest = hmac.new(SHOPIFY_SECRET.encode(), body, hashlib.sha256).digest()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
        "X-Shopify-Shop-Domain": "tea-house.myshopify.com",
        "X-Shopify-Webhook-Id": f"wh-{external_id}",
        "X-Shopify-Event-Id": f"evt-{external_id}",
    }
    return headers, body


_SAMPLE_CACHE: list[dict[str, Any]] = []


def _sample() -> dict[str, Any]:
    if not _SAMPLE_CACHE:
        _SAMPLE_CACHE.append(json.loads(SAMPLE.read_text()))
    return _SAMPLE_CACHE[0]


def alipay_delivery(backend: Backend, external_id: str) -> Delivery:
    """A pending order placed now, and Alipay's signed notification that it was paid."""
    order = _placed_order(backend, external_id)
    fen = order.totals.total
    total = f"{fen // 100}.{fen % 100:02d}"
    params = {
        "notify_id": f"ntf-{external_id}",
        "notify_time": "2026-01-24 13:00:03",
        "notify_type": "trade_status_sync",
        "app_id": APP_ID,
        "charset": "utf-8",
        "version": "1.0",
        "sign_type": "RSA2",
        "trade_no": f"2026{hashlib.sha256(external_id.encode()).hexdigest()[:24]}",
        "out_trade_no": order.order_no,
        "trade_status": "TRADE_SUCCESS",
        "total_amount": total,
        "gmt_payment": "2026-01-24 13:00:01",
        "subject": "西湖龙井 & 玻璃杯",
    }
    unsigned = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign_type")
    signature = backend.gateway_key.sign(unsigned.encode(), padding.PKCS1v15(), hashes.SHA256())
    params["sign"] = base64.b64encode(signature).decode()
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    return headers, urlencode(params).encode()


def _placed_order(backend: Backend, external_id: str) -> OrderOut:
    data = OrderCreate.model_validate(order_payload(external_id, 0))
    return place_order(backend.db, backend.actor, data).order


# --- modes -------------------------------------------------------------------------------


def http_mode(
    name: str, base_url: str, path: str, prepare: Callable[[str, int], Delivery], expect: int
) -> Mode[Delivery]:
    @contextmanager
    def client() -> Iterator[Callable[[Delivery], None]]:
        with httpx.Client(base_url=base_url, timeout=30) as http:

            def post(delivery: Delivery) -> None:
                headers, body = delivery
                answer = http.post(path, content=body, headers=headers)
                if answer.status_code != expect:
                    raise RuntimeError(f"{name}: {answer.status_code} {answer.text[:200]}")

            yield post

    return Mode(name, prepare, client)


def verify_cost_us(verify: Callable[[Delivery], None], deliveries: list[Delivery]) -> float:
    """Microseconds per message for signature verification alone (best of three passes)."""
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        for delivery in deliveries:
            verify(delivery)
        best = min(best, time.perf_counter() - began)
    return best / len(deliveries) * 1e6


def shopify_verifier(backend: Backend) -> Callable[[Delivery], None]:
    connector = connector_for("shopify")
    assert connector is not None
    credentials = Credentials(SHOPIFY_SECRET, None)
    now = backend.db.clock.now()

    def verify(delivery: Delivery) -> None:
        headers = {k.lower(): v for k, v in delivery[0].items()}
        connector.verify(credentials, headers, delivery[1], now=now)

    return verify


def alipay_verifier(backend: Backend) -> Callable[[Delivery], None]:
    creds = load_credentials(backend.db, backend.actor.tenant_id, "alipay")
    assert isinstance(creds, alipay.AlipayCredentials)

    def verify(delivery: Delivery) -> None:
        alipay.verify_notification(alipay.parse_form(delivery[1]), creds)

    return verify


# --- running -----------------------------------------------------------------------------


def _plans(backend: Backend, base_url: str) -> list[tuple[Mode[Delivery], str, float]]:
    """Each HTTP mode, its id tag (shared by new and redelivery), and its verify-only cost."""
    tenant = backend.actor.tenant_id
    shop = f"/api/v1/channels/shopify/webhooks/{tenant}"
    pay = f"/api/v1/payments/alipay/notify/{tenant}"
    shop_us = verify_cost_us(
        shopify_verifier(backend), [shopify_delivery(f"v-{i}", i) for i in range(200)]
    )
    pay_us = verify_cost_us(
        alipay_verifier(backend), [alipay_delivery(backend, f"v-pay-{i}") for i in range(200)]
    )
    paid = http_mode("alipay notify", base_url, pay, lambda e, _s: alipay_delivery(backend, e), 200)
    return [
        (http_mode("shopify new", base_url, shop, shopify_delivery, 200), "shop", shop_us),
        (http_mode("shopify redelivery", base_url, shop, shopify_delivery, 200), "shop", shop_us),
        (paid, "pay", pay_us),
    ]


def run_backend(backend: Backend, *, messages: int, warmup: int, clients: int) -> list[Row]:
    """The three HTTP modes on one backend, each beside its verification-only baseline."""
    settings = Settings(env="test", embedded_worker=False, log_level="WARNING")
    app = create_app(settings, db=backend.db, run_worker=False)
    rows: list[Row] = []
    with serve(app) as base_url:
        for mode, tag, verify_us in _plans(backend, base_url):
            result = run_mode(
                mode,
                backend=backend.name,
                tag=f"{tag}-{clients}",
                orders=messages,
                warmup=warmup,
                clients=clients,
            )
            rows.append(Row(backend.name, result, verify_us))
    return rows


def print_table(rows: list[Row]) -> None:
    head = (
        f"{'backend':<9}{'mode':<20}{'clients':>8}{'msgs':>7}{'msg/s':>9}{'p50 ms':>9}"
        f"{'p99 ms':>9}{'verify µs':>11}{'verify/s':>10}{'ratio':>8}"
    )
    print(head)
    print("-" * len(head))
    for row in rows:
        r = row.result
        print(
            f"{row.backend:<9}{r.mode:<20}{r.clients:>8}{r.orders:>7}{r.rate:>9.1f}"
            f"{r.percentile_ms(50):>9.2f}{r.percentile_ms(99):>9.2f}{row.verify_us:>11.1f}"
            f"{1e6 / row.verify_us:>10.0f}{row.ratio:>8.1f}"
        )
    print(
        "\nratio = verification-only rate / full intake rate: how many times more messages"
        " signature checks alone could take in than the whole HTTP intake does."
    )


Opener = Callable[[], AbstractContextManager[Backend]]


def _backends(args: argparse.Namespace) -> list[tuple[str, Opener]]:
    found: list[tuple[str, Opener]] = []
    if "sqlite" in args.backends:
        found.append(("sqlite", sqlite_backend))
    if "postgres" in args.backends:
        url = os.environ.get("OMS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
        found.append(("postgres", lambda: postgres_backend(url)))
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"])
    args = parser.parse_args(argv)
    rows: list[Row] = []
    for name, open_backend in _backends(args):
        try:
            with open_backend() as backend:
                rows += run_backend(
                    backend, messages=args.messages, warmup=args.warmup, clients=args.clients
                )
        except Exception as exc:  # a figure missing is reported, not fatal to the others
            print(f"{name}: not measured: {type(exc).__name__}: {exc}", file=sys.stderr)
    print_table(rows)


if __name__ == "__main__":
    main()
