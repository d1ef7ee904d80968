"""``oms worker`` processes, and a sampler of the server's and workers' CPU and RSS."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.http_server import ServerProcess

__all__ = ["ResourceSample", "Sampler", "WorkerProcess", "all_children", "server_children"]

_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICK = os.sysconf("SC_CLK_TCK")


def server_children(server: ServerProcess) -> list[int]:
    """The server processes uvicorn's supervisor runs (the ones a kill -9 may hit).

    Spawned children only: the supervisor's multiprocessing resource tracker is a child too.
    """
    found = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    pids = [int(c) for c in found.read_text().split()] if found.exists() else []
    return [pid for pid in pids if b"spawn_main" in _cmdline(pid)]


def all_children(server: ServerProcess) -> list[int]:
    """Every child of the supervisor (server processes and the resource tracker alike)."""
    found = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    return [int(c) for c in found.read_text().split()] if found.exists() else []


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@dataclass
class WorkerProcess:
    """One ``oms worker`` at a time; ``replace`` kills it with SIGKILL and starts another."""

    database_url: str
    process: subprocess.Popen[bytes] | None = None
    started: int = 0

    def start(self) -> int:
        oms = Path(sys.executable).parent / "oms"
        env = os.environ | {"OMS_DATABASE_URL": self.database_url, "OMS_LOG_LEVEL": "WARNING"}
        self.process = subprocess.Popen([str(oms), "worker"], env=env, stdout=subprocess.DEVNULL)
        self.started += 1
        return self.process.pid

    def kill(self) -> int:
        assert self.process is not None
        pid = self.process.pid
        os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        return pid

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)

    @property
    def pid(self) -> int:
        return self.process.pid if self.process is not None else 0


@dataclass(frozen=True, slots=True)
class ResourceSample:
    at: float  # seconds since the run began
    server_cpu: float  # cores busy since the previous sample (supervisor + children)
    worker_cpu: float
    server_rss_mb: float
    worker_rss_mb: float


def _stat(pid: int) -> tuple[float, float]:
    """CPU seconds so far and RSS in MB of one process (0, 0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK, int(fields[21]) * _PAGE / 1e6


def _total(pids: list[int]) -> tuple[float, float]:
    stats = [_stat(pid) for pid in pids]
    return sum(s[0] for s in stats), sum(s[1] for s in stats)


@dataclass
class Sampler:
    """Samples once a second in a thread. CPU is a difference of cumulative counters per pid,
    so a killed and restarted process does not show up as a negative spike."""

    server: ServerProcess
    worker: WorkerProcess
    began: float
    samples: list[ResourceSample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _last: dict[int, float] = field(default_factory=dict)

    def start(self) -> None:
        threading.Thread(target=self._loop, name="load-sampler", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        previous = time.monotonic()
        while not self._stop.wait(1.0):
            now = time.monotonic()
            servers = [self.server.pid, *all_children(self.server)]
            server_cpu, server_rss = self._delta(servers), _total(servers)[1]
            worker_cpu, worker_rss = self._delta([self.worker.pid]), _stat(self.worker.pid)[1]
            elapsed = now - previous
            previous = now
            self.samples.append(
                ResourceSample(
                    now - self.began,
                    server_cpu / elapsed,
                    worker_cpu / elapsed,
                    server_rss,
                    worker_rss,
                )
            )

    def _delta(self, pids: list[int]) -> float:
        spent = 0.0
        for pid in pids:
            cpu = _stat(pid)[0]
            spent += max(0.0, cpu - self._last.get(pid, cpu))
            self._last[pid] = cpu
        return spent
