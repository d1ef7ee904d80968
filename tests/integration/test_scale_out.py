"""Many processes, one truth: two servers (one of them multi-process) and two workers.

The flash sale of the no-oversell test, but with the 200 buyers split across two ``oms serve``
processes on two ports — one started with ``--workers 2`` so uvicorn's supervisor runs two
server processes on its port — and the jobs run by two ``oms worker`` processes. Exactly the
stock is sold, the books verify, and every job is done once: each ``order.created`` webhook
reaches the receiver once, under one id.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from oms.core.clock import SystemClock
from oms.core.db import make_engine
from oms.core.models import OutboxMessage
from oms.core.uow import Database
from tests.fixtures.orders import order_payload
from tests.fixtures.processes import ProcessRig, process_rig
from tests.fixtures.robots import Received, serve, webhook_receiver

pytestmark = pytest.mark.postgres

SKU = "FLASH-SCALE"
UNITS = 50
BUYERS = 200


@pytest.fixture
def rig(worker_id_name: str, tmp_path: Path) -> Iterator[ProcessRig]:
    env = {"OMS_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "1"}
    with process_rig(worker_id_name, tmp_path, "scale", **env) as rig:
        yield rig


def _storm(urls: list[str], headers: dict[str, str]) -> Counter[str]:
    """BUYERS threads, each with its own connection to one of ``urls``, order at once."""
    barrier = threading.Barrier(BUYERS)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def buyer(n: int) -> None:
        body = order_payload(
            buyer={"id": f"b-{n}", "name": f"买家{n}", "phone": "13800138000"},
            lines=[{"sku": SKU, "name": "秒杀", "qty": 1, "unit_price": 990}],
        )
        with httpx.Client(base_url=urls[n % len(urls)], timeout=120) as http:
            barrier.wait()
            response = http.post("/api/v1/orders", json=body, headers=headers)
        code = "created" if response.status_code == 201 else response.json().get("code", "?")
        with lock:
            outcomes[code] += 1

    threads = [threading.Thread(target=buyer, args=(n,)) for n in range(BUYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _server_processes(pid: int) -> int:
    """How many server children the ``oms serve --workers`` supervisor runs.

    Children started by multiprocessing's spawn run ``spawn_main``; the resource tracker, also
    a child, does not serve.
    """
    children = subprocess.run(
        ["ps", "-ww", "-o", "args=", "--ppid", str(pid)],
        capture_output=True,
        text=True,
        check=False,
    )
    return sum("spawn_main" in line for line in children.stdout.splitlines())


def _wait_for(deliveries: list[Received], count: int) -> None:
    deadline = time.monotonic() + 120
    while len([d for d in deliveries if d.verdict == "verified"]) < count:
        if time.monotonic() > deadline:
            return
        time.sleep(0.2)
    time.sleep(1.0)  # room for a duplicate to arrive, if any would


def test_two_servers_and_two_workers_sell_exactly_the_stock_and_do_every_job_once(
    rig: ProcessRig,
) -> None:
    rig.oms("migrate")
    tenant = rig.oms("tenants", "create", "--name", "Scale Shop")
    headers = {"Authorization": f"Bearer {tenant['api_key']}"}
    many = rig.serve("--workers", "2")
    one = rig.serve()
    assert _server_processes(many.process.pid) == 2, rig.logs()
    stocked = httpx.post(
        f"{one.url}/api/v1/stock/movements",
        json={"sku": SKU, "kind": "inbound", "qty": UNITS},
        headers=headers,
    )
    assert stocked.status_code in (200, 201), stocked.text
    secret = {"value": ""}
    with serve(webhook_receiver([200], lambda: secret["value"])) as receiver:
        created = httpx.post(
            f"{one.url}/api/v1/webhooks/subscriptions",
            json={"url": f"{receiver.url}/hook", "event_types": ["order.created"]},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        secret["value"] = created.json()["secret"]
        rig.worker(), rig.worker()

        outcomes = _storm([many.url, one.url], headers)
        assert outcomes == Counter({"created": UNITS, "ERR_STOCK_INSUFFICIENT": BUYERS - UNITS}), (
            rig.logs()
        )
        _wait_for(receiver.received, UNITS)

    verified = [d for d in receiver.received if d.verdict == "verified"]
    ids = Counter(d.headers["webhook-id"] for d in verified)
    assert len(ids) == UNITS, f"{len(ids)} distinct deliveries\n{rig.logs()}"
    assert set(ids.values()) == {1}, "a webhook was delivered twice"
    assert {d.json()["type"] for d in verified} == {"order.created"}
    assert str(rig.oms("stock", "verify")).startswith("ok: 1 stock rows match")
    _assert_every_due_job_ran_once(rig)


def _assert_every_due_job_ran_once(rig: ProcessRig) -> None:
    db = Database(make_engine(rig.database_url), SystemClock())
    try:
        now = db.clock.now()
        with db.reader() as session:
            rows = session.execute(
                select(OutboxMessage.topic, OutboxMessage.status, OutboxMessage.attempts).where(
                    OutboxMessage.available_at <= now
                )
            ).all()
    finally:
        db.engine.dispose()
    unfinished = [row for row in rows if row.status != "done" or row.attempts != 1]
    assert rows and not unfinished, unfinished[:5]
