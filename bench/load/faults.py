"""The fault script: what to break, when (a share of the run), and what was in flight then.

Each fault runs in the event loop's default executor so the clients keep going meanwhile; its
note says what was in flight (client requests by kind; claimed jobs for the worker kill).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from bench.http_server import ServerProcess
from bench.load.gateway import FaultyGateway
from bench.load.generator import Generator
from bench.load.procs import WorkerProcess, server_children
from oms.core.ids import new_id

__all__ = ["ALL_FAULTS", "Fault", "FaultLog", "Stage", "run_script"]

# The window after a fault in which the report counts what clients saw.
WINDOW_SECONDS = 10.0
GATEWAY_SPELL = 0.08  # share of the run the gateway is slow, then failing
POISON_TOPIC = "payment.confirm"  # a topic with a consumer, so the runner must decode it
ALL_FAULTS = ("kill-server", "kill-worker", "poison", "gateway-slow", "gateway-fail")


@dataclass
class Stage:
    """Everything a fault may act on."""

    generator: Generator
    server: ServerProcess
    worker: WorkerProcess
    gateway: FaultyGateway
    database_url: str
    tenant_id: str
    poison_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class FaultLog:
    name: str
    at: float  # seconds since the run began
    note: str


Action = Callable[[Stage], str]


@dataclass(frozen=True, slots=True)
class Fault:
    name: str
    share: float  # when, as a share of the run
    action: Action


def _in_flight(stage: Stage) -> str:
    busy = {k: v for k, v in stage.generator.in_flight.items() if v}
    return json.dumps(busy, sort_keys=True)


def kill_server(stage: Stage) -> str:
    children = server_children(stage.server)
    if not children:
        return "no server child to kill"
    flight = _in_flight(stage)
    os.kill(children[0], signal.SIGKILL)
    replaced = _replacement(stage, children)
    return (
        f"SIGKILL server pid {children[0]} of {children}; client requests in flight {flight};"
        f" {replaced}"
    )


def _replacement(stage: Stage, before: list[int], *, timeout: float = 90.0) -> str:
    """Wait for uvicorn's supervisor to start a new child in place of the killed one."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        new = set(server_children(stage.server)) - set(before)
        if new:
            return f"supervisor started pid {min(new)} after {time.monotonic() - began:.1f} s"
        time.sleep(0.2)
    return f"no replacement child within {timeout:.0f} s"


def _claimed_jobs(database_url: str) -> dict[str, int]:
    sql = "SELECT topic, count(*) FROM outbox_messages WHERE status = 'running' GROUP BY topic"
    with psycopg.connect(database_url) as conn:
        return {str(topic): int(n) for topic, n in conn.execute(sql)}


def kill_worker(stage: Stage) -> str:
    old = stage.worker.kill()
    # Read after the kill: the dead worker's claims are exactly what it had in flight.
    claimed = _claimed_jobs(stage.database_url)
    new = stage.worker.start()
    return (
        f"SIGKILL worker pid {old} with jobs claimed {claimed}; started worker pid {new}"
        " (its claims return to the queue when their lease ends)"
    )


def poison(stage: Stage) -> str:
    """An outbox row whose payload its event class cannot decode: it must go dead at once."""
    message_id, now = new_id(), datetime.now(UTC)
    sql = (
        "INSERT INTO outbox_messages (tenant_id, id, topic, payload, status, attempts,"
        " available_at, created_at) VALUES (%s, %s, %s, %s, 'pending', 0, %s, %s)"
    )
    payload = json.dumps({"undecodable": True})
    with psycopg.connect(stage.database_url) as conn:
        conn.execute(sql, (stage.tenant_id, message_id, POISON_TOPIC, payload, now, now))
    stage.poison_ids.append(message_id)
    return f"inserted outbox {message_id} ({POISON_TOPIC}) with an undecodable payload"


def gateway_slow(stage: Stage) -> str:
    stage.gateway.slow_seconds = 3.0
    return f"fake gateway answers 3 s late for {GATEWAY_SPELL:.0%} of the run"


def gateway_fail(stage: Stage) -> str:
    stage.gateway.slow_seconds = 0.0
    stage.gateway.failing = True
    return f"fake gateway answers HTTP 500 for {GATEWAY_SPELL:.0%} of the run"


def gateway_recover(stage: Stage) -> str:
    stage.gateway.slow_seconds, stage.gateway.failing = 0.0, False
    return "fake gateway answers normally again"


def restart_postgres(stage: Stage) -> str:
    flight = _in_flight(stage)
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return f"{' '.join(command)} → exit {done.returncode}; client requests in flight {flight}"


def script(names: tuple[str, ...], *, restart_pg: bool) -> list[Fault]:
    """The faults asked for, at fixed shares of the run, each with room for its window."""
    plan = [
        Fault("kill-server", 0.15, kill_server),
        Fault("kill-worker", 0.30, kill_worker),
        Fault("poison", 0.40, poison),
        Fault("gateway-slow", 0.50, gateway_slow),
        Fault("gateway-fail", 0.50 + GATEWAY_SPELL, gateway_fail),
        Fault("gateway-recover", 0.50 + 2 * GATEWAY_SPELL, gateway_recover),
        Fault("restart-postgres", 0.80, restart_postgres),
    ]
    wanted = set(names) | ({"restart-postgres"} if restart_pg else set())
    if wanted & {"gateway-slow", "gateway-fail"}:
        wanted.add("gateway-recover")
    return [fault for fault in plan if fault.name in wanted]


async def run_script(stage: Stage, faults: list[Fault], seconds: float) -> list[FaultLog]:
    """Fire each fault at its time while the clients run; log what it found."""
    logs: list[FaultLog] = []
    loop = asyncio.get_running_loop()
    for fault in faults:
        delay = fault.share * seconds - stage.generator.now()
        if delay > 0:
            await asyncio.sleep(delay)
        at = stage.generator.now()
        try:
            note = await loop.run_in_executor(None, fault.action, stage)
        except Exception as exc:  # a fault that cannot be injected is reported, not fatal
            note = f"not injected: {type(exc).__name__}: {exc}"
        logs.append(FaultLog(fault.name, at, note))
    return logs
