"""The async load generator: a few client tasks on one httpx.AsyncClient, bounded in requests
and in time, loopback only. Every answer becomes a Sample (kind, when, latency, outcome)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from bench.load.messages import ORDER, Mix, Request

__all__ = ["Generator", "Sample", "check_loopback"]

OK = "ok"


@dataclass(frozen=True, slots=True)
class Sample:
    kind: str
    started: float  # seconds since the run began
    latency: float
    outcome: str  # "ok", a problem code, "HTTP 502", or "transport:ReadError"
    ref: str


def check_loopback(url: str) -> None:
    """Refuse any target but 127.0.0.1: this tool floods what it is pointed at."""
    if urlsplit(url).hostname != "127.0.0.1":
        raise SystemExit(f"refusing to load {url}: only http://127.0.0.1 targets are allowed")


def _outcome(response: httpx.Response) -> str:
    if response.is_success:
        return OK
    try:
        code = response.json().get("code")
    except ValueError:
        code = None
    return str(code) if code else f"HTTP {response.status_code}"


@dataclass
class Generator:
    base_url: str
    mix: Mix
    clients: int
    max_requests: int
    seconds: float
    samples: list[Sample] = field(default_factory=list)
    in_flight: Counter[str] = field(default_factory=Counter)
    began: float = 0.0
    # Platform id → the Shopify delivery ids the server answered with (redeliveries included).
    shopify_answers: dict[str, list[str]] = field(default_factory=dict)

    def now(self) -> float:
        return time.monotonic() - self.began

    async def run(self) -> None:
        check_loopback(self.base_url)
        self.began = time.monotonic()
        limits = httpx.Limits(max_connections=self.clients, max_keepalive_connections=self.clients)
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30, limits=limits) as http:
            await asyncio.gather(*(self._client(http) for _ in range(self.clients)))

    def _more(self) -> bool:
        return self.mix.seq < self.max_requests and self.now() < self.seconds

    async def _client(self, http: httpx.AsyncClient) -> None:
        while self._more():
            await self._one(http, self.mix.next())

    async def _one(self, http: httpx.AsyncClient, request: Request) -> None:
        started = self.now()
        self.in_flight[request.kind] += 1
        try:
            response = await http.post(
                request.path, headers=request.headers, content=request.body, json=request.json
            )
        except httpx.HTTPError as exc:
            outcome = f"transport:{type(exc).__name__}"
        else:
            outcome = _outcome(response)
            if outcome == OK:
                self._note(request, response)
        finally:
            self.in_flight[request.kind] -= 1
        self.samples.append(
            Sample(request.kind, started, self.now() - started, outcome, request.ref)
        )

    def _note(self, request: Request, response: httpx.Response) -> None:
        if request.kind == ORDER and response.status_code == 201:
            self.mix.placed(response.json())
        elif request.kind.startswith("shopify"):
            delivery = str(response.json().get("delivery_id", ""))
            self.shopify_answers.setdefault(request.ref, []).append(delivery)
