"""``python -m bench.load``: the soak run, its faults, its report and its verdicts."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shlex
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bench.databases import fresh_postgres
from bench.http_server import serve_process
from bench.load import report
from bench.load.faults import ALL_FAULTS, Fault, FaultLog, Stage, run_script, script
from bench.load.gateway import FaultyGateway
from bench.load.generator import Generator, check_loopback
from bench.load.messages import Mix
from bench.load.procs import Sampler, WorkerProcess
from bench.load.setup import prepare_tenant
from bench.load.verify import drain, verdicts
from oms.core.clock import SystemClock

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DATABASE = "oms_load_bench"
OUT = Path(__file__).resolve().parent / "out"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2, help="oms serve --workers N")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client tasks")
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--faults", nargs="*", choices=ALL_FAULTS, default=list(ALL_FAULTS))
    parser.add_argument(
        "--restart-postgres",
        action="store_true",
        help="also restart the PostgreSQL cluster mid-run (it is shared: opt-in)",
    )
    parser.add_argument(
        "--drain-seconds",
        type=float,
        default=420.0,
        help="wait this long at most for the jobs (a killed worker's come back after 300 s)",
    )
    parser.add_argument("--out", type=Path, default=OUT)
    return parser.parse_args(argv)


def _machine() -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} cores ({model}), {system}, load {load}"


@contextmanager
def _worker(database_url: str) -> Iterator[WorkerProcess]:
    worker = WorkerProcess(database_url)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


async def _drive(stage: Stage, faults: list[Fault], seconds: float) -> list[FaultLog]:
    load = asyncio.create_task(stage.generator.run())
    await asyncio.sleep(0)  # let the generator set its start time first
    logs = await run_script(stage, faults, seconds)
    await load
    return logs


def run(args: argparse.Namespace) -> bool:
    """One soak run; True when every verdict passed."""
    seconds = args.minutes * 60
    gateway = FaultyGateway(SystemClock())
    gateway.start()
    server_url = os.environ.get("OMS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    database_url = fresh_postgres(server_url, DATABASE)
    target = prepare_tenant(database_url, gateway.base_url)
    header = [
        f"oms load and soak — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"machine: {_machine()}",
        f"command: python -m bench.load {shlex.join(sys.argv[1:])}",
        f"target: oms serve --workers {args.workers} + 1 oms worker, PostgreSQL {DATABASE},"
        f" {args.clients} client tasks, {seconds:.0f} s",
    ]
    try:
        with (
            serve_process(database_url, workers=args.workers) as server,
            _worker(database_url) as worker,
        ):
            check_loopback(server.url)
            mix = Mix(target.tenant_id, target.headers, gateway)
            generator = Generator(server.url, mix, args.clients, args.max_requests, seconds)
            stage = Stage(generator, server, worker, gateway, database_url, target.tenant_id)
            sampler = Sampler(server, worker, time.monotonic())
            sampler.start()
            faults = script(tuple(args.faults), restart_pg=args.restart_postgres)
            logs = asyncio.run(_drive(stage, faults, seconds))
            sampler.stop()
            elapsed = generator.now()
            took, left = drain(database_url, timeout=args.drain_seconds)
            header.append(f"drain after the run: {took:.0f} s; jobs still due or running {left}")
            found = verdicts(generator, database_url, stage.poison_ids)
    finally:
        gateway.stop()
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%S}"
    text = report.text_report(header, generator.samples, elapsed, logs, sampler.samples, found)
    (args.out / f"load-{stamp}.txt").write_text(text)
    report.plot(args.out / f"load-{stamp}.png", generator.samples, logs, sampler.samples)
    report.samples_csv(args.out / f"load-{stamp}.csv", generator.samples)
    print(text)
    print(f"written: {args.out / f'load-{stamp}.txt'}, .png and .csv")
    return all(v.ok for v in found)


def main(argv: list[str] | None = None) -> None:
    sys.exit(0 if run(_arguments(argv)) else 1)
