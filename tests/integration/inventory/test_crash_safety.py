"""Crash safety: kill -9 a real ``oms serve`` on PostgreSQL mid-load, restart, check the books.

Every order that got a 201 must exist with its holds; no order may exist whose request was
refused, and an order whose request's outcome is unknown (the connection died with the
server, after it may have committed) may exist only complete. An order without holds or a
hold without an order must never exist, and ``verify`` must be clean.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from oms.core.clock import SystemClock
from oms.core.db import make_engine
from oms.core.uow import Database
from oms.inventory.models import Reservation, StockItem
from oms.inventory.queries import order_reservations, verify_stock
from oms.inventory.states import ReservationStatus
from oms.orders.models import Order, OrderLine
from tests.fixtures.orders import order_payload
from tests.fixtures.processes import Process, ProcessRig, process_rig

pytestmark = pytest.mark.postgres

SKU = "CRASH-1"
UNITS = 10_000
CLIENTS = 8
# The kill comes once this many orders were acknowledged (so there is load to lose), plus a
# moment for more to be in flight. Counting answers instead of sleeping a fixed time keeps the
# test meaningful on a machine too busy to answer ten orders in a second.
MIN_ACKED = 10
IN_FLIGHT_SECONDS = 0.3
LOAD_DEADLINE_SECONDS = 180
CHANNEL = "tmall"

ACKED = "201"
UNKNOWN = "unknown"  # the request may have reached the server; no answer came back
NOT_SENT = "not sent"  # the connection was refused: the server never saw the request


@dataclass
class Load:
    """What each request's client saw, by external id."""

    outcomes: dict[str, str] = field(default_factory=dict)
    lines: dict[str, dict[str, int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, external_id: str, outcome: str) -> None:
        with self.lock:
            self.outcomes[external_id] = outcome

    def having(self, *outcomes: str) -> set[str]:
        return {e for e, outcome in self.outcomes.items() if outcome in outcomes}


def _wait_for_acknowledged(load: Load, count: int, clients: list[threading.Thread]) -> None:
    deadline = time.monotonic() + LOAD_DEADLINE_SECONDS
    while len(load.having(ACKED)) < count:
        seen = Counter(load.outcomes.values())
        assert any(c.is_alive() for c in clients), f"every client stopped before the kill: {seen}"
        assert time.monotonic() < deadline, f"too little load before the kill: {seen}"
        time.sleep(0.05)


@pytest.fixture
def rig(worker_id_name: str, tmp_path: Path) -> Iterator[ProcessRig]:
    with process_rig(worker_id_name, tmp_path, "crash") as rig:
        yield rig


def _order_body(external_id: str, rng: random.Random) -> dict[str, Any]:
    lines = [
        {"sku": SKU, "name": "压测商品", "qty": rng.randint(1, 3), "unit_price": 990}
        for _ in range(rng.randint(1, 3))
    ]
    return order_payload(channel=CHANNEL, external_id=external_id, lines=lines)


def _drive(
    url: str, headers: dict[str, str], load: Load, stop: threading.Event
) -> list[threading.Thread]:
    """Start CLIENTS threads, each with its own connection, placing orders until it fails."""

    def client(n: int) -> None:
        rng = random.Random(n)
        # Generous: a timeout ends the client, and a busy machine may take seconds per order;
        # after the kill the socket is reset, so no read waits this long then.
        with httpx.Client(base_url=url, headers=headers, timeout=90) as http:
            for i in range(1_000_000):
                if stop.is_set():
                    return
                external_id = f"crash-{n}-{i}"
                body = _order_body(external_id, rng)
                with load.lock:
                    load.lines[external_id] = _demand(body["lines"])
                try:
                    response = http.post("/api/v1/orders", json=body)
                except httpx.ConnectError:
                    load.record(external_id, NOT_SENT)
                    return
                except httpx.TransportError:
                    load.record(external_id, UNKNOWN)
                    return
                load.record(external_id, str(response.status_code))

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    return threads


def _demand(lines: list[dict[str, Any]]) -> dict[str, int]:
    per_sku: Counter[str] = Counter()
    for line in lines:
        per_sku[line["sku"]] += int(line["qty"])
    return dict(per_sku)


def test_kill_minus_nine_mid_load_loses_no_acknowledged_order_and_leaves_no_half_order(
    rig: ProcessRig,
) -> None:
    started = time.monotonic()
    rig.oms("migrate")
    tenant = rig.oms("tenants", "create", "--name", "Crash Shop")
    headers = {"Authorization": f"Bearer {tenant['api_key']}"}

    first = rig.serve()
    stocked = httpx.post(
        f"{first.url}/api/v1/stock/movements",
        json={"sku": SKU, "kind": "inbound", "qty": UNITS},
        headers=headers,
    )
    assert stocked.status_code in (200, 201), stocked.text

    load, stop = Load(), threading.Event()
    threads = _drive(first.url, headers, load, stop)
    _wait_for_acknowledged(load, MIN_ACKED, threads)
    time.sleep(IN_FLIGHT_SECONDS)
    os.kill(first.process.pid, signal.SIGKILL)
    first.process.wait(timeout=10)
    time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    assert not any(t.is_alive() for t in threads), "a client thread hung"

    second = rig.serve()
    _assert_books_are_whole(rig, load)
    assert str(rig.oms("stock", "verify")).startswith("ok: 1 stock rows match")
    _assert_still_sells(rig, second, tenant, headers)
    print(f"crash safety: {Counter(load.outcomes.values())} in {time.monotonic() - started:.1f}s")


def _assert_books_are_whole(rig: ProcessRig, load: Load) -> None:
    acked, unknown = load.having(ACKED), load.having(UNKNOWN)
    answered_no = set(load.outcomes) - acked - unknown
    db = Database(make_engine(rig.database_url), SystemClock())
    try:
        with db.reader() as session:
            orders = session.execute(select(Order.id, Order.channel, Order.external_id)).all()
            lines: dict[str, Counter[str]] = defaultdict(Counter)
            for order_id, sku, qty in session.execute(
                select(OrderLine.order_id, OrderLine.sku, OrderLine.qty)
            ):
                lines[order_id][sku] += qty
            holds: dict[str, Counter[str]] = defaultdict(Counter)
            statuses: Counter[str] = Counter()
            for order_id, sku, qty, status in session.execute(
                select(Reservation.order_id, Reservation.sku, Reservation.qty, Reservation.status)
            ):
                statuses[status] += 1
                if status == ReservationStatus.ACTIVE.value:
                    holds[order_id][sku] += qty
            stock = session.execute(
                select(StockItem.sku, StockItem.on_hand, StockItem.reserved)
            ).all()
        _, drifts = verify_stock(db)
    finally:
        db.engine.dispose()

    context = f"outcomes {Counter(load.outcomes.values())}\n{rig.logs()}"
    assert len(acked) >= MIN_ACKED, f"too little load before the kill: {context}"
    assert unknown or load.having(NOT_SENT), f"the kill did not land mid-load: {context}"

    by_external = Counter(external_id for _, _, external_id in orders)
    assert all(channel == CHANNEL for _, channel, _ in orders)
    assert max(by_external.values(), default=0) == 1, "an external id exists twice"
    existing = set(by_external)
    lost = acked - existing
    assert not lost, f"{len(lost)} acknowledged orders are gone, e.g. {sorted(lost)[:5]}"
    phantoms = existing - acked - unknown
    assert not phantoms, (
        f"orders exist whose request was answered no or never sent: {sorted(phantoms)[:5]} "
        f"({[load.outcomes.get(e) for e in sorted(phantoms)[:5]]})"
    )
    assert not existing & answered_no

    order_ids = {order_id for order_id, _, _ in orders}
    assert set(holds) <= order_ids, "a hold exists without its order"
    assert set(statuses) == {ReservationStatus.ACTIVE.value}, statuses
    for order_id, _, external_id in orders:
        assert lines[order_id] == Counter(load.lines[external_id]), external_id
        assert holds[order_id] == lines[order_id], f"{external_id}: holds differ from lines"

    assert drifts == [], drifts
    assert [(sku, on_hand) for sku, on_hand, _ in stock] == [(SKU, UNITS)]
    assert stock[0].reserved == sum(sum(h.values()) for h in holds.values())
    committed_unknown = len(unknown & existing)
    print(
        f"\nacknowledged {len(acked)}, unknown {len(unknown)} "
        f"(committed {committed_unknown}), refused {len(load.having(NOT_SENT))}, "
        f"other answers {len(answered_no - load.having(NOT_SENT))}, orders {len(orders)}, "
        f"reserved {stock[0].reserved}"
    )


def _assert_still_sells(
    rig: ProcessRig, server: Process, tenant: dict[str, str], headers: dict[str, str]
) -> None:
    body = _order_body("after-restart", random.Random(0))
    placed = httpx.post(f"{server.url}/api/v1/orders", json=body, headers=headers, timeout=10)
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    db = Database(make_engine(rig.database_url), SystemClock())
    try:
        holds = order_reservations(db, tenant["tenant_id"], order_id)
        _, drifts = verify_stock(db)
    finally:
        db.engine.dispose()
    assert sum(h.qty for h in holds) == _demand(body["lines"])[SKU]
    assert {h.status for h in holds} == {ReservationStatus.ACTIVE.value}
    assert drifts == []
