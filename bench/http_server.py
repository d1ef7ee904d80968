"""A real uvicorn server in a background thread, on a free 127.0.0.1 port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

__all__ = ["ServerProcess", "serve", "serve_process"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` until the block ends; yield its base URL."""
    port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="bench-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@dataclass(frozen=True, slots=True)
class ServerProcess:
    """``oms serve --workers N`` in processes of its own, as a merchant deploys it."""

    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU of the supervisor and every server process under it so far."""
        return sum(_cpu_of(pid) for pid in (self.pid, *_children(self.pid)))


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in found.read_text().split()] if found.exists() else []


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


_RATE_LIMITS = (
    "OMS_API_RATE_LIMIT_PER_TENANT",
    "OMS_API_RATE_LIMIT_PER_KEY",
    "OMS_INTAKE_RATE_LIMIT_PER_TENANT",
)


@contextmanager
def serve_process(database_url: str, *, workers: int) -> Iterator[ServerProcess]:
    """Start ``oms serve --workers N`` (no job worker) on ``database_url``; yield it ready."""
    port = _free_port()
    oms = Path(sys.executable).parent / "oms"
    env = os.environ | {"OMS_DATABASE_URL": database_url, "OMS_LOG_LEVEL": "WARNING"}
    # As in-process (orders_bench._app_settings): the bench measures the order path, and the
    # default per-tenant limit would refuse a bench's thousands of requests a minute.
    env |= {name: "" for name in _RATE_LIMITS}
    command = [str(oms), "serve", "--port", str(port), "--workers", str(workers)]
    command += ["--no-worker", "--no-migrate"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, url)
        yield ServerProcess(url, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_ready(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"oms serve exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("oms serve did not become ready")
