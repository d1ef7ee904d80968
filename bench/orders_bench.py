"""Order-creation benchmark: raw driver vs. service layer vs. HTTP, on SQLite and PostgreSQL.

Run ``python -m bench.orders_bench`` from the project root (``make bench``). It prints
figures and never fails on speed. Modes, per backend, in one run:

* ``raw``: the statements ``place_order`` issues, through sqlite3 / psycopg directly;
* ``service``: ``oms.orders.service.place_order`` on ``oms.core.uow.Database``;
* ``http``: ``POST /api/v1/orders`` on a real uvicorn server, via a keep-alive httpx client;
* ``http+idem``: the same with an ``Idempotency-Key`` on every request.

and on PostgreSQL, with 8 and ``--more-clients`` concurrent clients:

* ``raw`` and ``service`` in threads;
* ``http-wN``: HTTP against a separate ``oms serve --workers N`` process (as deployed);
* ``limit``: the raw placer's transaction driven by ``pgbench`` on the same server in the
  same run (``bench.pgbench_limit``): the database's own ceiling, which the ``vs limit``
  target compares HTTP with. Skipped, with a message, where ``pgbench`` is missing.

PostgreSQL uses the database ``oms_bench`` on the server of ``OMS_BENCH_POSTGRES_URL``; its
``public`` schema is dropped and re-created at the start.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import Engine, make_url, text

from bench.harness import Mode, Result, run_mode
from bench.http_server import serve, serve_process
from bench.payloads import SKUS, USER_AGENT, bench_actor, order_payload
from bench.pgbench_limit import pgbench_available, pgbench_script, run_pgbench
from bench.raw_sql import postgres_placer, sqlite_placer
from oms.app import create_app
from oms.config import Settings, get_settings
from oms.core.auth import create_tenant
from oms.core.clock import SystemClock
from oms.core.context import Actor
from oms.core.db import make_engine
from oms.core.migrate import upgrade
from oms.core.uow import Database
from oms.inventory.schemas import MovementIn
from oms.inventory.service import record_movement
from oms.orders.schemas import OrderCreate
from oms.orders.service import place_order

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "oms_bench"
SERVICE_TARGET = 0.50  # service-layer throughput, as a share of raw, on PostgreSQL
HTTP_TARGET = 0.25  # HTTP throughput, as a share of raw, on PostgreSQL
LIMIT_TARGET = 0.25  # http-wN with 8 clients, as a share of pgbench's limit with 8
P99_TARGET_MS = 100.0
SERVER_CPU_TARGET_MS = 1.0
_DATA_TABLES = (  # children first: SQLite deletes them one by one
    "stock_reservations",
    "stock_ledger",
    "order_lines",
    "orders",
    "audit_entries",
    "outbox_messages",
    "idempotency_keys",
)
_STOCK_PER_SKU = 1_000_000_000  # plenty: every order holds a few units, nothing is released

Placer = Callable[[Any], None]


@dataclass(frozen=True, slots=True)
class Backend:
    """A migrated database with one tenant, and how to reach it without oms."""

    name: str
    url: str
    db: Database
    actor: Actor
    api_key: str
    raw: Mode[dict[str, Any]]
    reset: Callable[[], None]


# --- backends ----------------------------------------------------------------------------


def _with_tenant(
    name: str, url: str, engine: Engine, raw: Callable[[Actor], Mode[dict[str, Any]]]
) -> Backend:
    db = Database(engine, SystemClock())
    tenant = create_tenant(db, name="bench tenant")
    actor = bench_actor(tenant.tenant_id, tenant.admin_key.key_id)
    _seed_stock(db, actor)
    return Backend(
        name=name,
        url=url,
        db=db,
        actor=actor,
        api_key=tenant.admin_key.api_key,
        raw=raw(actor),
        reset=lambda: _reset(engine),
    )


def _seed_stock(db: Database, actor: Actor) -> None:
    """Stock for the benchmark's SKUs, so ``place_order`` can reserve (inventory module)."""
    for sku in SKUS:
        record_movement(db, actor, MovementIn(sku=sku, kind="inbound", qty=_STOCK_PER_SKU))


def _hold() -> timedelta:
    """How long ``place_order`` holds stock (the raw baseline writes the same expiry)."""
    return timedelta(seconds=get_settings().reservation_ttl_seconds)


def _reset(engine: Engine) -> None:
    """Empty the tables orders write to, so every mode starts from the same state."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(_DATA_TABLES)} CASCADE"))
        else:
            for table in _DATA_TABLES:
                conn.execute(text(f"DELETE FROM {table}"))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
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
    with tempfile.TemporaryDirectory(prefix="oms-bench-") as tmp:
        path = str(Path(tmp) / "bench.db")
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        try:
            upgrade(engine)

            def raw(actor: Actor) -> Mode[dict[str, Any]]:
                return Mode("raw", order_payload, lambda: sqlite_placer(path, actor, _hold()))

            yield _with_tenant("sqlite", url, engine, raw)
        finally:
            engine.dispose()


def _ensure_database(server_url: str) -> str:
    """Create ``oms_bench`` on the server if needed; return a libpq URL for it."""
    server = make_url(server_url).set(drivername="postgresql")
    with psycopg.connect(server.render_as_string(hide_password=False), autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DATABASE,))
        if found.fetchone() is None:
            conn.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    return server.set(database=BENCH_DATABASE).render_as_string(hide_password=False)


@contextmanager
def postgres_backend(server_url: str) -> Iterator[Backend]:
    """The ``oms_bench`` database with a fresh ``public`` schema, migrated to head."""
    url = _ensure_database(server_url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            # bi (the BI views, migration 0029) lives beside public and is rebuilt with it.
            conn.execute(text("DROP SCHEMA IF EXISTS bi CASCADE"))
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(engine)

        def raw(actor: Actor) -> Mode[dict[str, Any]]:
            return Mode("raw", order_payload, lambda: postgres_placer(url, actor, _hold()))

        yield _with_tenant("postgres", url, engine, raw)
    finally:
        engine.dispose()


# --- modes -------------------------------------------------------------------------------


def _validated(external_id: str, seq: int) -> OrderCreate:
    return OrderCreate.model_validate(order_payload(external_id, seq))


def service_mode(backend: Backend) -> Mode[OrderCreate]:
    """``place_order`` through the unit of work, as the HTTP route calls it."""

    @contextmanager
    def client() -> Iterator[Placer]:
        def place(data: OrderCreate) -> None:
            if not place_order(backend.db, backend.actor, data).created:
                raise RuntimeError(f"order {data.external_id} already existed")

        yield place

    return Mode("service", _validated, client)


def _http_body(external_id: str, seq: int) -> tuple[bytes, str]:
    return json.dumps(order_payload(external_id, seq)).encode(), f"idem-{external_id}"


def http_mode(base_url: str, api_key: str, *, idempotency: bool) -> Mode[tuple[bytes, str]]:
    """``POST /api/v1/orders`` over one keep-alive connection per client."""
    headers = {
        "Authorization": f"Bearer {api_key}",
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }

    @contextmanager
    def client() -> Iterator[Placer]:
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:

            def place(prepared: tuple[bytes, str]) -> None:
                body, key = prepared
                extra = {"Idempotency-Key": key} if idempotency else None
                response = http.post("/api/v1/orders", content=body, headers=extra)
                if response.status_code != 201:
                    raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")

            yield place

    return Mode("http+idem" if idempotency else "http", _http_body, client)


def _app_settings(backend: Backend) -> Settings:
    return Settings(
        env="test",
        database_url=backend.url,
        embedded_worker=False,
        migrate_on_start=False,
        log_level="WARNING",
        # The benches measure the order path; the rate limits have tests of their own and
        # would refuse a bench's thousands of requests a minute.
        api_rate_limit_per_tenant="",
        api_rate_limit_per_key="",
        intake_rate_limit_per_tenant="",
    )


# --- running -----------------------------------------------------------------------------


def _timed(backend: Backend, mode: Mode[Any], args: argparse.Namespace, clients: int) -> Result:
    backend.reset()
    tag = f"{backend.name}-{mode.name}-c{clients}"
    result = run_mode(
        mode,
        backend=backend.name,
        tag=tag,
        orders=args.orders,
        warmup=args.warmup,
        clients=clients,
    )
    print(f"  {_row(result, None)}", file=sys.stderr, flush=True)
    return result


def bench_backend(backend: Backend, args: argparse.Namespace) -> list[Result]:
    """Every mode on one backend, single client; then the concurrent variant on PostgreSQL."""
    results = [
        _timed(backend, backend.raw, args, 1),
        _timed(backend, service_mode(backend), args, 1),
    ]
    app = create_app(_app_settings(backend), db=backend.db, run_worker=False)
    with serve(app) as base_url:
        for idempotency in (False, True):
            mode = http_mode(base_url, backend.api_key, idempotency=idempotency)
            results.append(_timed(backend, mode, args, 1))
    if backend.name == "postgres" and args.concurrency > 1:
        concurrent: list[Mode[Any]] = [backend.raw, service_mode(backend)]
        for clients in _client_counts(args):
            for threaded in concurrent:
                results.append(_timed(backend, threaded, args, clients))
        results.extend(_http_apart(backend, args))
        results.extend(_limit(backend, args))
    return results


def _limit(backend: Backend, args: argparse.Namespace) -> list[Result]:
    """The same transaction through pgbench, with as many clients as the other runs."""
    if not pgbench_available():
        print("  limit: pgbench is not installed, skipped", file=sys.stderr, flush=True)
        return []
    backend.reset()
    script = pgbench_script(backend.url, backend.actor, _hold(), order_payload("limit-rec", 0))
    results = []
    for clients in _client_counts(args):
        backend.reset()
        run = run_pgbench(backend.url, script, clients=clients, seconds=args.limit_seconds)
        latencies = tuple(ms / 1000 for ms in run.latencies_ms)
        result = Result("postgres", "limit", clients, run.transactions, run.seconds, 0.0, latencies)
        print(f"  {_row(result, None)}", file=sys.stderr, flush=True)
        results.append(result)
    return results


def _client_counts(args: argparse.Namespace) -> list[int]:
    return sorted({args.concurrency, *args.more_clients})


def _http_apart(backend: Backend, args: argparse.Namespace) -> list[Result]:
    """HTTP against ``oms serve --workers N`` in processes of its own, as deployed."""
    results = []
    with serve_process(backend.url, workers=args.server_workers) as server:
        mode = http_mode(server.url, backend.api_key, idempotency=False)
        apart = Mode(f"http-w{args.server_workers}", mode.prepare, mode.client)
        for clients in _client_counts(args):
            began = server.cpu_seconds()
            result = _timed(backend, apart, args, clients)
            results.append(replace(result, server_cpu_seconds=server.cpu_seconds() - began))
    return results


_PACKAGES = (
    "sqlalchemy/orm",
    "sqlalchemy/sql",
    "sqlalchemy/engine",
    "sqlalchemy/pool",
    "sqlalchemy",
    "psycopg",
    "pydantic",
    "oms/",
)


def _own_time_by_package(stats: pstats.Stats, orders: int) -> str:
    """Own (not cumulative) time per package, per order: where the CPU actually goes."""
    totals: dict[str, float] = {}
    raw_stats: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, _name), entry in raw_stats.items():
        package = next((p for p in _PACKAGES if p in filename), "other (stdlib, builtins)")
        totals[package] = totals.get(package, 0.0) + entry[2]
    everything = sum(totals.values())
    lines = [f"Own time by package (profiled ms per order; total {everything / orders * 1e3:.2f}):"]
    for package, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        share = seconds / everything
        lines.append(f"  {package:<26} {seconds / orders * 1e3:7.3f} ms  {share:6.1%}")
    return "\n".join(lines) + "\n"


def profile_service(backend: Backend, args: argparse.Namespace, top: int = 25) -> str:
    """cProfile the service-layer path; return the top entries by cumulative time."""
    backend.reset()
    mode = service_mode(backend)
    warm = [mode.prepare(f"profile-w-{i}", i) for i in range(args.warmup)]
    timed = [mode.prepare(f"profile-t-{i}", i) for i in range(args.orders)]
    with mode.client() as place:
        for data in warm:
            place(data)
        profiler = cProfile.Profile()
        profiler.enable()
        for data in timed:
            place(data)
        profiler.disable()
    out = io.StringIO()
    out.write(f"\ncProfile of the service layer on {backend.name}, {args.orders} orders:\n")
    stats = pstats.Stats(profiler, stream=out)
    out.write(_own_time_by_package(stats, args.orders))
    stats.strip_dirs().sort_stats(pstats.SortKey.CUMULATIVE).print_stats(top)
    out.write("Top 15 by own time:\n")
    stats.sort_stats(pstats.SortKey.TIME).print_stats(15)
    return out.getvalue()


# --- report ------------------------------------------------------------------------------

_HEADER = f"{'backend':<9} {'mode':<10} {'clients':>7} {'orders/s':>9} {'vs raw':>7}"
_HEADER += f" {'p50 ms':>7} {'p99 ms':>7} {'cpu ms':>7} {'srv ms':>7}"


def _row(result: Result, raw: Result | None) -> str:
    ratio = f"{result.rate / raw.rate:6.0%}" if raw is not None else "     -"
    return (
        f"{result.backend:<9} {result.mode:<10} {result.clients:>7} {result.rate:>9.0f} "
        f"{ratio:>7} {result.percentile_ms(50):>7.2f} {result.percentile_ms(99):>7.2f} "
        f"{result.cpu_ms:>7.2f} {_server_cpu(result):>7}"
    )


def _server_cpu(result: Result) -> str:
    server = result.server_cpu_ms
    return "-" if server is None else f"{server:.2f}"


def _raw_for(result: Result, results: Sequence[Result]) -> Result | None:
    for candidate in results:
        same = candidate.backend == result.backend and candidate.clients == result.clients
        if same and candidate.mode == "raw":
            return candidate
    return None


def _ratio(results: Sequence[Result], backend: str, mode: str) -> float | None:
    for result in results:
        if result.backend == backend and result.mode == mode and result.clients == 1:
            raw = _raw_for(result, results)
            return result.rate / raw.rate if raw else None
    return None


def print_table(results: Sequence[Result], args: argparse.Namespace) -> None:
    """The figures, one line per run, with the ratio to the raw run of the same backend."""
    print(
        f"\noms order creation: {args.orders} orders per run after {args.warmup} warm-up "
        f"orders per client; Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    print(_HEADER)
    print("-" * len(_HEADER))
    for result in results:
        print(_row(result, _raw_for(result, results)))
    print(
        "cpu ms = CPU time of this process per order: the client, plus the server for HTTP "
        "(uvicorn runs in-process; app log level WARNING, so no per-request log line).\n"
        "http-wN = oms serve --workers N in processes of its own (no job worker); srv ms = "
        "CPU of those processes per order; its vs raw is against raw with as many clients.\n"
        "limit = the raw transaction through pgbench (C clients, prepared statements): the "
        "server's own ceiling; cpu ms is not measured for it (0)."
    )


def _find(results: Sequence[Result], mode: str, clients: int) -> Result | None:
    for result in results:
        if result.backend == "postgres" and result.mode == mode and result.clients == clients:
            return result
    return None


def print_limit_targets(results: Sequence[Result], args: argparse.Namespace) -> None:
    """HTTP against the separate server, as a share of pgbench's limit (informational)."""
    mode, clients = f"http-w{args.server_workers}", args.concurrency
    http, limit = _find(results, mode, clients), _find(results, "limit", clients)
    print(f"\nTargets ({mode}, {clients} clients, PostgreSQL):")
    if http is None or limit is None:
        print("  not measured (needs --backend postgres, concurrency > 1 and pgbench)")
        return
    share = http.rate / limit.rate
    p99, server = http.percentile_ms(99), http.server_cpu_ms or 0.0
    checks = (
        (f"orders/s >= {LIMIT_TARGET:.0%} of the limit", f"{share:.1%}", share >= LIMIT_TARGET),
        (f"p99 < {P99_TARGET_MS:.0f} ms", f"{p99:.1f} ms", p99 < P99_TARGET_MS),
        (
            f"server CPU <= {SERVER_CPU_TARGET_MS:.0f} ms per order",
            f"{server:.2f} ms",
            server <= SERVER_CPU_TARGET_MS,
        ),
    )
    for what, figure, met in checks:
        print(f"  {what:<34} {figure:>9} -> {'MET' if met else 'MISSED'}")


def print_targets(results: Sequence[Result]) -> None:
    """Whether the PostgreSQL targets are met (informational: nothing fails on speed)."""
    print("\nTargets (PostgreSQL, single client, share of raw orders/s):")
    checks = (("service", SERVICE_TARGET), ("http", HTTP_TARGET), ("http+idem", HTTP_TARGET))
    for mode, target in checks:
        ratio = _ratio(results, "postgres", mode)
        if ratio is None:
            print(f"  {mode:<10} >= {target:.0%}: not measured (postgres not run)")
            continue
        verdict = "MET" if ratio >= target else "MISSED"
        note = " (informational)" if mode == "http+idem" else ""
        print(f"  {mode:<10} >= {target:.0%}: {ratio:.0%} -> {verdict}{note}")


# --- entry point -------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.orders_bench", description=__doc__)
    parser.add_argument("--orders", type=int, default=2000, help="timed orders per run")
    parser.add_argument("--warmup", type=int, default=50, help="warm-up orders per client")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "all"), default="all")
    parser.add_argument(
        "--concurrency", type=int, default=8, help="threads for the concurrent PostgreSQL runs"
    )
    parser.add_argument(
        "--more-clients",
        type=int,
        nargs="*",
        default=[32],
        help="further client counts for the concurrent PostgreSQL runs",
    )
    parser.add_argument(
        "--server-workers", type=int, default=2, help="processes of the separate oms serve"
    )
    parser.add_argument(
        "--limit-seconds", type=int, default=10, help="length of each pgbench (limit) run"
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the service layer on PostgreSQL"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("OMS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="server to create the oms_bench database on (env OMS_BENCH_POSTGRES_URL)",
    )
    return parser.parse_args(argv)


def _backends(args: argparse.Namespace) -> list[Callable[[], AbstractContextManager[Backend]]]:
    chosen: list[Callable[[], AbstractContextManager[Backend]]] = []
    if args.backend in ("sqlite", "all"):
        chosen.append(sqlite_backend)
    if args.backend in ("postgres", "all"):
        chosen.append(lambda: postgres_backend(args.postgres_url))
    return chosen


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    results: list[Result] = []
    profiles: list[str] = []
    for open_backend in _backends(args):
        with open_backend() as backend:
            print(f"running {backend.name} ...", file=sys.stderr, flush=True)
            results.extend(bench_backend(backend, args))
            if args.profile and backend.name == "postgres":
                profiles.append(profile_service(backend, args))
    print_table(results, args)
    print_targets(results)
    print_limit_targets(results, args)
    if args.profile and not profiles:
        print("\n--profile: PostgreSQL was not run, nothing profiled")
    for profile in profiles:
        print(profile)


if __name__ == "__main__":
    main()
