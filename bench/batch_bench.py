"""Batch sync benchmark: orders per second through ``POST /api/v1/orders/batch`` vs single calls.

Run ``python -m bench.batch_bench`` from the project root. One client, one keep-alive
connection, a real uvicorn server in this process, on the same database: first ``single``
(one ``POST /api/v1/orders`` per order), then batches of 100 and of 500. Every order is new (a
unique external id) and holds stock, exactly like the single-call mode of ``orders_bench``.
The ratio of each batch size to single calls is printed (issue 17's target: >= 5x). Nothing
fails on speed. ``--profile`` adds a cProfile of the server side of one batch run (the
per-item cost: where the time goes once HTTP is paid once per batch).
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
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import httpx

from bench.http_server import serve
from bench.orders_bench import (
    DEFAULT_POSTGRES_URL,
    Backend,
    _app_settings,
    _own_time_by_package,
    postgres_backend,
    sqlite_backend,
)
from bench.payloads import USER_AGENT, order_payload
from oms.app import create_app
from oms.orders.service import place_orders

TARGET = 5.0  # batch orders/s as a multiple of single calls, one client
BATCH_SIZES = (100, 500)


@dataclass(frozen=True, slots=True)
class Run:
    backend: str
    mode: str
    orders: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.orders / self.seconds


def _payloads(tag: str, count: int) -> list[dict[str, Any]]:
    return [order_payload(f"{tag}-{seq:07d}", seq) for seq in range(count)]


def _single(http: httpx.Client, orders: Sequence[dict[str, Any]]) -> None:
    for order in orders:
        response = http.post("/api/v1/orders", content=json.dumps(order).encode())
        if response.status_code != 201:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")


def _batched(size: int) -> Callable[[httpx.Client, Sequence[dict[str, Any]]], None]:
    def post(http: httpx.Client, orders: Sequence[dict[str, Any]]) -> None:
        for start in range(0, len(orders), size):
            body = json.dumps({"orders": list(orders[start : start + size])}).encode()
            response = http.post("/api/v1/orders/batch", content=body)
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")
            refused = [r for r in response.json()["results"] if r["status"] != 201]
            if refused:
                raise RuntimeError(f"items not placed: {refused[:3]}")

    return post


def _client(base_url: str, api_key: str) -> AbstractContextManager[httpx.Client]:
    headers = {
        "Authorization": f"Bearer {api_key}",
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
    return httpx.Client(base_url=base_url, headers=headers, timeout=300)


def _modes() -> Iterator[tuple[str, Callable[[httpx.Client, Sequence[dict[str, Any]]], None]]]:
    yield "single", _single
    for size in BATCH_SIZES:
        yield f"batch-{size}", _batched(size)


def bench_backend(backend: Backend, args: argparse.Namespace) -> list[Run]:
    """Each mode on a freshly emptied database, after a warm-up of its own."""
    runs = []
    app = create_app(_app_settings(backend), db=backend.db, run_worker=False)
    with serve(app) as base_url, _client(base_url, backend.api_key) as http:
        for mode, post in _modes():
            backend.reset()
            post(http, _payloads(f"{mode}-warm", args.warmup))
            timed = _payloads(f"{mode}-run", args.orders)
            started = time.perf_counter()
            post(http, timed)
            run = Run(backend.name, mode, args.orders, time.perf_counter() - started)
            print(f"  {backend.name} {mode}: {run.rate:.0f} orders/s", file=sys.stderr)
            runs.append(run)
    return runs


def profile_batch(backend: Backend, args: argparse.Namespace, size: int = 500) -> str:
    """cProfile ``place_orders`` (what the batch route calls) for one batch of ``size``."""
    backend.reset()
    place_orders(backend.db, backend.actor, _payloads("profile-warm", 50))
    items = _payloads("profile-run", size)
    profiler = cProfile.Profile()
    profiler.enable()
    place_orders(backend.db, backend.actor, items)
    profiler.disable()
    out = io.StringIO()
    out.write(f"\ncProfile of place_orders on {backend.name}, one batch of {size}:\n")
    stats = pstats.Stats(profiler, stream=out)
    out.write(_own_time_by_package(stats, size))
    stats.strip_dirs().sort_stats(pstats.SortKey.CUMULATIVE).print_stats(20)
    return out.getvalue()


def print_table(runs: Sequence[Run], args: argparse.Namespace) -> None:
    print(
        f"\noms batch sync: {args.orders} orders per run after {args.warmup} warm-up orders, "
        f"one client; Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    header = f"{'backend':<9} {'mode':<10} {'orders/s':>9} {'vs single':>10}"
    print(header)
    print("-" * len(header))
    for run in runs:
        single = next(r for r in runs if r.backend == run.backend and r.mode == "single")
        print(f"{run.backend:<9} {run.mode:<10} {run.rate:>9.0f} {run.rate / single.rate:>9.1f}x")
    print(f"\nTarget: batches >= {TARGET:.0f}x single calls (informational: nothing fails).")
    for run in runs:
        if run.mode != "single":
            single = next(r for r in runs if r.backend == run.backend and r.mode == "single")
            ratio = run.rate / single.rate
            verdict = "MET" if ratio >= TARGET else "MISSED"
            print(f"  {run.backend} {run.mode}: {ratio:.1f}x -> {verdict}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.batch_bench", description=__doc__)
    parser.add_argument("--orders", type=int, default=2000, help="orders per timed run")
    parser.add_argument("--warmup", type=int, default=100, help="orders before each run")
    parser.add_argument(
        "--backends", nargs="+", choices=("sqlite", "postgres"), default=["sqlite", "postgres"]
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("OMS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="server for the oms_bench database",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile one batch of 500")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    runs: list[Run] = []
    profiles: list[str] = []
    for name in args.backends:
        opened = sqlite_backend() if name == "sqlite" else postgres_backend(args.postgres_url)
        with opened as backend:
            runs += bench_backend(backend, args)
            if args.profile:
                profiles.append(profile_batch(backend, args))
    print_table(runs, args)
    for profile in profiles:
        print(profile)


if __name__ == "__main__":
    main()
