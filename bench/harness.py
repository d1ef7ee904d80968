"""Timing: run a placer over prepared payloads with N client threads; collect latencies."""

from __future__ import annotations

import contextlib
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Mode", "Result", "run_mode"]

P = TypeVar("P")


@dataclass(frozen=True, slots=True)
class Mode(Generic[P]):
    """One way of placing orders: how to prepare a payload, and how to open a client.

    ``client()`` returns a context manager yielding a function that places one prepared
    order; each client thread opens its own (its own connection, HTTP client, ...).
    """

    name: str
    prepare: Callable[[str, int], P]
    client: Callable[[], AbstractContextManager[Callable[[P], None]]]


@dataclass(frozen=True, slots=True)
class Result:
    """What one timed run measured."""

    backend: str
    mode: str
    clients: int
    orders: int
    seconds: float
    cpu_seconds: float
    latencies: tuple[float, ...]
    # CPU of a server in processes of its own (``http-w2``), measured around the run.
    server_cpu_seconds: float | None = None

    @property
    def rate(self) -> float:
        """Orders per second, all clients together."""
        return self.orders / self.seconds

    @property
    def cpu_ms(self) -> float:
        """This process's CPU time per order (client, and in-process server for HTTP)."""
        return self.cpu_seconds / self.orders * 1000

    @property
    def server_cpu_ms(self) -> float | None:
        """A separate server's CPU time per order, when the server ran apart."""
        if self.server_cpu_seconds is None:
            return None
        return self.server_cpu_seconds / self.orders * 1000

    def percentile_ms(self, q: int) -> float:
        """The ``q``-th percentile latency of one order, in milliseconds."""
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return cuts[q - 1] * 1000


def _prepare_all(mode: Mode[P], tag: str, count: int) -> list[P]:
    return [mode.prepare(f"{tag}-{seq:07d}", seq) for seq in range(count)]


def _worker(
    mode: Mode[P],
    warmup: Sequence[P],
    timed: Sequence[P],
    start: threading.Barrier,
    out: list[float],
) -> None:
    with mode.client() as place:
        for payload in warmup:
            place(payload)
        start.wait()
        for payload in timed:
            began = time.perf_counter()
            place(payload)
            out.append(time.perf_counter() - began)


def run_mode(
    mode: Mode[P], *, backend: str, tag: str, orders: int, warmup: int, clients: int = 1
) -> Result:
    """Place ``orders`` orders with ``clients`` threads after a per-client warm-up."""
    timed = _prepare_all(mode, f"{tag}-t", orders)
    warm = _prepare_all(mode, f"{tag}-w", warmup * clients)
    start = threading.Barrier(clients + 1)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[BaseException] = []

    def target(index: int) -> None:
        try:
            _worker(mode, warm[index::clients], timed[index::clients], start, latencies[index])
        except BaseException as exc:
            errors.append(exc)
            start.abort()

    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        start.wait()  # broken when a client fails in set-up or warm-up; raised below
    began, cpu_began = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    cpu_seconds = time.process_time() - cpu_began
    failures = [e for e in errors if not isinstance(e, threading.BrokenBarrierError)]
    if errors:
        raise RuntimeError(f"{backend}/{mode.name} failed") from (failures or errors)[0]
    flat = tuple(x for per_client in latencies for x in per_client)
    return Result(backend, mode.name, clients, len(flat), seconds, cpu_seconds, flat)
