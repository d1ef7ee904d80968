"""Order creation WITH stock reservation: hot SKU, hot SKU in buckets, many SKUs.

Run ``python -m bench.stock_bench`` from the project root (``make bench``). It prints figures
and never fails on speed. Per backend (PostgreSQL, SQLite) and scenario, with 1 client and
with ``--concurrency`` clients (threads, each with its own connection or session):

* ``raw``: the statements ``place_order`` issues, through psycopg / sqlite3 directly
  (``bench.raw_sql``; on PostgreSQL including the hot-SKU bucket path);
* ``service``: ``oms.orders.service.place_order`` on ``oms.core.uow.Database``.

Scenarios, each in its own tenant (every order has one line of qty 1):

* ``hot``: one SKU, one stock row: every order locks the same row;
* ``buckets``: the same SKU split into 8 buckets (``split_into_buckets``); on PostgreSQL each
  order locks one free bucket with ``FOR UPDATE SKIP LOCKED``. SQLite has one writer at a time
  whatever the rows, and the service only uses buckets on PostgreSQL: measured all the same;
* ``many``: 10,000 SKUs, each order picks one at random.

Between runs the orders, holds and ``reserve`` ledger rows are deleted and ``reserved`` is
zeroed, so every run starts from the same stock; ``verify_stock`` runs after every run.
PostgreSQL uses the database ``oms_stock_bench`` on the server of ``OMS_BENCH_POSTGRES_URL``;
its ``public`` schema is dropped and re-created at the start. SQLite uses a temporary file.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, insert, make_url, text

from bench.harness import Mode, Result, run_mode
from bench.payloads import bench_actor, order_payload
from bench.raw_sql import forget_buckets, postgres_placer, sqlite_placer
from oms.config import get_settings
from oms.core.auth import create_tenant
from oms.core.clock import SystemClock
from oms.core.context import Actor
from oms.core.db import make_engine
from oms.core.ids import new_id
from oms.core.migrate import upgrade
from oms.core.uow import Database
from oms.inventory.models import LedgerEntry, StockItem
from oms.inventory.queries import verify_stock
from oms.inventory.schemas import MovementIn
from oms.inventory.service import record_movement, split_into_buckets
from oms.orders.schemas import OrderCreate
from oms.orders.service import place_order

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "oms_stock_bench"
SERVICE_TARGET = 0.50  # service-layer throughput, as a share of raw, on PostgreSQL
BUCKET_TARGET = 1.5  # hot SKU in 8 buckets vs. one row (PostgreSQL, concurrent, service)
BUCKETS = 8
MANY_SKUS = 10_000
STOCK_PER_SKU = 1_000_000_000  # plenty: 10^9 per SKU, 1.25 * 10^8 per bucket
HOT_SKU = "SKU-FLASH-SALE"
_ORDER_TABLES = (  # children first: SQLite deletes them one by one
    "stock_reservations",
    "order_lines",
    "orders",
    "audit_entries",
    "outbox_messages",
    "idempotency_keys",
)
_SCENARIOS = ("hot", "buckets", "many")
_LABELS = {
    "hot": "hot SKU, 1 row",
    "buckets": f"hot SKU, {BUCKETS} buckets",
    "many": f"{MANY_SKUS:,} SKUs",
}

Placer = Callable[[Any], None]


@dataclass(frozen=True, slots=True)
class Scenario:
    """One tenant with its stock, and the SKUs its orders pick from."""

    name: str
    actor: Actor
    skus: tuple[str, ...]

    def payload(self, external_id: str, seq: int, rng: random.Random) -> dict[str, Any]:
        """The orders bench's order, with one line of qty 1 of this scenario's SKU(s)."""
        sku = self.skus[0] if len(self.skus) == 1 else self.skus[rng.randrange(len(self.skus))]
        line = {"sku": sku, "name": f"Flash sale item {sku}", "qty": 1, "unit_price": 12_800}
        return order_payload(external_id, seq) | {"lines": [line]}


@dataclass(frozen=True, slots=True)
class Backend:
    """A migrated database, and how to reach it without oms."""

    name: str
    db: Database
    raw: Callable[[Actor], AbstractContextManager[Placer]]
    reset: Callable[[], None]


@dataclass(frozen=True, slots=True)
class Row:
    """One timed run, with its scenario and the ``verify_stock`` that followed it."""

    scenario: str
    result: Result
    rows_checked: int
    drifts: int


# --- backends ----------------------------------------------------------------------------


def _hold() -> timedelta:
    """How long ``place_order`` holds stock (the raw baseline writes the same expiry)."""
    return timedelta(seconds=get_settings().reservation_ttl_seconds)


def _reset(engine: Engine) -> None:
    """Forget every order and hold; keep the stock as seeded (``reserved`` back to 0)."""
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        if postgres:
            conn.execute(text(f"TRUNCATE {', '.join(_ORDER_TABLES)} CASCADE"))
        else:
            for table in _ORDER_TABLES:
                conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(text("DELETE FROM stock_ledger WHERE kind = 'reserve'"))
        conn.execute(text("UPDATE stock_items SET reserved = 0 WHERE reserved <> 0"))
    if postgres:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE stock_items, stock_ledger"))
            conn.execute(text("CHECKPOINT"))
        return
    dbapi = engine.raw_connection()  # autocommit: oms's SQLite hook would BEGIN IMMEDIATE
    try:
        dbapi.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        dbapi.close()


@contextmanager
def sqlite_backend() -> Iterator[Backend]:
    """A fresh SQLite file (WAL) in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="oms-stock-bench-") as tmp:
        path = str(Path(tmp) / "bench.db")
        engine = make_engine(f"sqlite:///{path}")
        try:
            upgrade(engine)

            def raw(actor: Actor) -> AbstractContextManager[Placer]:
                return sqlite_placer(path, actor, _hold())

            db = Database(engine, SystemClock())
            yield Backend("sqlite", db, raw, lambda: _reset(engine))
        finally:
            engine.dispose()


def _ensure_database(server_url: str) -> str:
    """Create ``oms_stock_bench`` on the server if needed; return a libpq URL for it."""
    server = make_url(server_url).set(drivername="postgresql")
    with psycopg.connect(server.render_as_string(hide_password=False), autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DATABASE,))
        if found.fetchone() is None:
            conn.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    return server.set(database=BENCH_DATABASE).render_as_string(hide_password=False)


@contextmanager
def postgres_backend(server_url: str) -> Iterator[Backend]:
    """The ``oms_stock_bench`` database with a fresh ``public`` schema, migrated to head."""
    url = _ensure_database(server_url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            # bi (the BI views, migration 0029) lives beside public and is rebuilt with it.
            conn.execute(text("DROP SCHEMA IF EXISTS bi CASCADE"))
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(engine)

        def raw(actor: Actor) -> AbstractContextManager[Placer]:
            return postgres_placer(url, actor, _hold(), buckets=True)

        db = Database(engine, SystemClock())
        yield Backend("postgres", db, raw, lambda: _reset(engine))
    finally:
        engine.dispose()


# --- scenarios ---------------------------------------------------------------------------


def _tenant(db: Database, name: str) -> Actor:
    tenant = create_tenant(db, name=f"stock bench {name}")
    return bench_actor(tenant.tenant_id, tenant.admin_key.key_id)


def _bulk_stock(db: Database, actor: Actor, skus: Sequence[str]) -> None:
    """Stock rows and their ``inbound`` ledger rows, in one transaction (10,000 SKUs)."""
    now = datetime.now(UTC)
    row = {"tenant_id": actor.tenant_id, "warehouse": "main", "bucket": 0}
    items = [
        row | {"sku": sku, "on_hand": STOCK_PER_SKU, "reserved": 0, "safety_stock": 0}
        for sku in skus
    ]
    ledger = [
        row
        | {"id": new_id(), "sku": sku, "kind": "inbound", "delta_on_hand": STOCK_PER_SKU}
        | {"delta_reserved": 0, "on_hand_after": STOCK_PER_SKU, "reserved_after": 0}
        | {"ref_type": "manual", "ref_id": None, "reason": "stock bench seed"}
        | {"actor": actor.principal, "trace_id": None, "created_at": now}
        for sku in skus
    ]
    with db.uow() as uow:
        stamped = [item | {"version": 2, "updated_at": now} for item in items]
        uow.session.execute(insert(StockItem), stamped)
        uow.session.execute(insert(LedgerEntry), ledger)
        uow.commit()


def make_scenario(db: Database, name: str) -> Scenario:
    """Create the scenario's tenant and stock (the first SKU through the inventory service)."""
    actor = _tenant(db, name)
    many = name == "many"
    skus = tuple(f"SKU-{i:05d}" for i in range(MANY_SKUS)) if many else (HOT_SKU,)
    # The first inbound creates the tenant's default warehouse and the SKU's row (bucket 0).
    record_movement(db, actor, MovementIn(sku=skus[0], kind="inbound", qty=STOCK_PER_SKU))
    if name == "many":
        _bulk_stock(db, actor, skus[1:])
    if name == "buckets":
        split_into_buckets(db, actor, HOT_SKU, warehouse=None, count=BUCKETS)
        forget_buckets()
    return Scenario(name, actor, skus)


# --- modes -------------------------------------------------------------------------------


def raw_mode(backend: Backend, scenario: Scenario) -> Mode[dict[str, Any]]:
    rng = random.Random(20_240_601)  # which SKU each order picks: repeatable

    def prepare(external_id: str, seq: int) -> dict[str, Any]:
        return scenario.payload(external_id, seq, rng)

    return Mode("raw", prepare, lambda: backend.raw(scenario.actor))


def service_mode(backend: Backend, scenario: Scenario) -> Mode[OrderCreate]:
    """``place_order`` through the unit of work, as the HTTP route calls it."""
    rng = random.Random(20_240_601)  # which SKU each order picks: repeatable

    def prepare(external_id: str, seq: int) -> OrderCreate:
        return OrderCreate.model_validate(scenario.payload(external_id, seq, rng))

    @contextmanager
    def client() -> Iterator[Callable[[OrderCreate], None]]:
        def place(data: OrderCreate) -> None:
            if not place_order(backend.db, scenario.actor, data).created:
                raise RuntimeError(f"order {data.external_id} already existed")

        yield place

    return Mode("service", prepare, client)


# --- running -----------------------------------------------------------------------------


def _timed(
    backend: Backend, scenario: Scenario, mode: Mode[Any], args: argparse.Namespace, clients: int
) -> Row:
    backend.reset()
    tag = f"{backend.name}-{scenario.name}-{mode.name}-c{clients}"
    result = run_mode(
        mode,
        backend=backend.name,
        tag=tag,
        orders=args.orders,
        warmup=args.warmup,
        clients=clients,
    )
    checked, drifts = verify_stock(backend.db)
    row = Row(scenario.name, result, checked, len(drifts))
    print(f"  {_row(row, None)}   verify: {checked} rows, {len(drifts)} drift", file=sys.stderr)
    for drift in drifts[:5]:
        print(f"    DRIFT {drift}", file=sys.stderr)
    return row


def bench_backend(backend: Backend, args: argparse.Namespace) -> list[Row]:
    """Every chosen scenario: raw then service, with 1 client, then with N clients."""
    rows: list[Row] = []
    client_counts = sorted({1, args.concurrency})
    for name in _chosen_scenarios(args):
        scenario = make_scenario(backend.db, name)
        for clients in client_counts:
            for mode in (raw_mode(backend, scenario), service_mode(backend, scenario)):
                rows.append(_timed(backend, scenario, mode, args, clients))
    return rows


# --- report ------------------------------------------------------------------------------

_HEADER = f"{'backend':<9} {'scenario':<20} {'clients':>7} {'mode':<8} {'orders/s':>9}"
_HEADER += f" {'vs raw':>7} {'p50 ms':>7} {'p99 ms':>7} {'cpu ms':>7}"


def _row(row: Row, raw: Row | None) -> str:
    result = row.result
    ratio = f"{result.rate / raw.result.rate:6.0%}" if raw is not None else "     -"
    return (
        f"{result.backend:<9} {_LABELS[row.scenario]:<20} {result.clients:>7} "
        f"{result.mode:<8} {result.rate:>9.0f} {ratio:>7} {result.percentile_ms(50):>7.2f} "
        f"{result.percentile_ms(99):>7.2f} {result.cpu_ms:>7.2f}"
    )


def _find(rows: Sequence[Row], backend: str, scenario: str, mode: str, clients: int) -> Row | None:
    for row in rows:
        r = row.result
        if (r.backend, row.scenario, r.mode, r.clients) == (backend, scenario, mode, clients):
            return row
    return None


def print_table(rows: Sequence[Row], args: argparse.Namespace) -> None:
    """The figures, one line per run, with the ratio to the raw run of the same cell."""
    print(
        f"\noms order creation with stock reservation: {args.orders} orders per run after "
        f"{args.warmup} warm-up orders per client; one line of qty 1 per order; "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    print(_HEADER)
    print("-" * len(_HEADER))
    for row in rows:
        r = row.result
        print(_row(row, _find(rows, r.backend, row.scenario, "raw", r.clients)))
    print(
        "cpu ms = CPU time of this process per order (the PostgreSQL server's is not counted).\n"
        f"SQLite: one writer at a time (BEGIN IMMEDIATE), and the service takes the bucket "
        f"path only on PostgreSQL,\n  so '{_LABELS['buckets']}' on SQLite locks like one row: "
        "reported for completeness, not a bucket measurement."
    )
    clean = all(row.drifts == 0 for row in rows)
    checked = max((row.rows_checked for row in rows), default=0)
    verdict = "no drift after any run" if clean else "DRIFT found (see stderr)"
    print(f"verify_stock after each of {len(rows)} runs: {verdict} (up to {checked} stock rows)")


def _ratio(num: Row | None, den: Row | None) -> float | None:
    if num is None or den is None:
        return None
    return num.result.rate / den.result.rate


def print_targets(rows: Sequence[Row], args: argparse.Namespace) -> None:
    """Whether the PostgreSQL targets are met (informational: nothing fails on speed)."""
    print(f"\nTargets (PostgreSQL): service >= {SERVICE_TARGET:.0%} of raw orders/s")
    for scenario in _SCENARIOS:
        for clients in sorted({1, args.concurrency}):
            service = _find(rows, "postgres", scenario, "service", clients)
            ratio = _ratio(service, _find(rows, "postgres", scenario, "raw", clients))
            label = f"{_LABELS[scenario]}, {clients} client{'s' if clients > 1 else ''}"
            if ratio is None:
                print(f"  {label:<30} not measured")
                continue
            verdict = "MET" if ratio >= SERVICE_TARGET else "MISSED"
            print(f"  {label:<30} {ratio:6.0%} -> {verdict}")
    clients = args.concurrency
    print(
        f"Target (PostgreSQL, {clients} clients): {_LABELS['buckets']} >= "
        f"{BUCKET_TARGET}x {_LABELS['hot']} (service; raw shown alongside)"
    )
    for mode in ("service", "raw"):
        bucketed = _find(rows, "postgres", "buckets", mode, clients)
        ratio = _ratio(bucketed, _find(rows, "postgres", "hot", mode, clients))
        if ratio is None:
            print(f"  {mode:<8} not measured")
            continue
        verdict = ("MET" if ratio >= BUCKET_TARGET else "MISSED") if mode == "service" else "-"
        print(f"  {mode:<8} {ratio:5.2f}x -> {verdict}")


# --- entry point -------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.stock_bench", description=__doc__)
    parser.add_argument("--orders", type=int, default=1500, help="timed orders per run")
    parser.add_argument("--warmup", type=int, default=50, help="warm-up orders per client")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "all"), default="all")
    parser.add_argument(
        "--scenario", choices=(*_SCENARIOS, "all"), default="all", help="which stock layout"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=8,
        help="threads for the concurrent runs (each scenario also runs with 1 client)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("OMS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="server to create the oms_stock_bench database on (env OMS_BENCH_POSTGRES_URL)",
    )
    args = parser.parse_args(argv)
    if args.orders < 2 or args.concurrency < 1 or args.warmup < 0:
        parser.error("--orders must be >= 2, --concurrency >= 1, --warmup >= 0")
    return args


def _chosen_scenarios(args: argparse.Namespace) -> tuple[str, ...]:
    return _SCENARIOS if args.scenario == "all" else (args.scenario,)


def _backends(args: argparse.Namespace) -> list[Callable[[], AbstractContextManager[Backend]]]:
    chosen: list[Callable[[], AbstractContextManager[Backend]]] = []
    if args.backend in ("postgres", "all"):
        chosen.append(lambda: postgres_backend(args.postgres_url))
    if args.backend in ("sqlite", "all"):
        chosen.append(sqlite_backend)
    return chosen


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    rows: list[Row] = []
    for open_backend in _backends(args):
        with open_backend() as backend:
            print(f"running {backend.name} ...", file=sys.stderr, flush=True)
            rows.extend(bench_backend(backend, args))
    print_table(rows, args)
    print_targets(rows, args)


if __name__ == "__main__":
    main()
