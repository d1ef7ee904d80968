"""The same carrier push arriving on several connections at once, on real PostgreSQL:
one set of scans, the order delivered once, every delivery counted."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import func, select

from oms.core.clock import ManualClock
from oms.core.models import InboxMessage
from oms.core.uow import Database
from oms.fulfilment.schemas import ShipmentIn
from oms.fulfilment.service import list_shipments, record_shipment
from oms.fulfilment.tracking import service
from oms.orders.queries import order_timeline
from oms.orders.schemas import OrderEventIn
from oms.orders.service import apply_event, place_order
from tests.fixtures.orders import order_create
from tests.fixtures.tenants import make_tenant

CLIENTS = 8
SALT = "k100-concurrency-salt"


def _snapshot() -> bytes:
    data = [
        {"context": "已签收", "ftime": "2026-01-24 18:00:00", "status": "签收"},
        {"context": "派件中", "ftime": "2026-01-24 16:00:00", "status": "派件"},
        {"context": "已揽收", "ftime": "2026-01-24 14:00:00", "status": "揽收"},
    ]
    last = {"state": "3", "ischeck": "1", "com": "shunfeng", "nu": "SF5550000001", "data": data}
    param = json.dumps({"status": "shutdown", "lastResult": last}, ensure_ascii=False)
    sign = hashlib.md5((param + SALT).encode()).hexdigest().upper()  # noqa: S324
    return urlencode({"param": param, "sign": sign}).encode()


def test_one_push_on_many_connections_is_applied_once(pg_db: Database, clock: ManualClock) -> None:
    tenant = make_tenant(pg_db)
    actor = tenant.actor()
    order = place_order(pg_db, actor, order_create()).order
    apply_event(pg_db, actor, order.id, OrderEventIn(event="pay"))
    lines = [{"sku": line.sku, "qty": line.qty} for line in order.lines]
    shipment = ShipmentIn.model_validate(
        {
            "order_id": order.id,
            "warehouse": "main",
            "carrier": "SF",
            "tracking_no": "SF5550000001",
            "lines": lines,
        }
    )
    record_shipment(pg_db, tenant.actor("warehouse"), shipment)
    service.configure(pg_db, tenant.tenant_id, "kuaidi100", secret=SALT)
    clock.advance(timedelta(hours=7))
    body, barrier, answers = _snapshot(), threading.Barrier(CLIENTS), []

    def push() -> None:
        barrier.wait()
        answers.append(
            service.receive_push(
                pg_db,
                protocol="kuaidi100",
                tenant_id=tenant.tenant_id,
                headers={"content-type": "application/x-www-form-urlencoded"},
                body=body,
                query={},
            )
        )

    threads = [threading.Thread(target=push) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status for a in answers] == [200] * CLIENTS
    [found] = list_shipments(pg_db, tenant.tenant_id, order.id).items
    assert [s.raw_code for s in found.scans] == ["1", "5", "3"]
    assert found.tracking_status == "delivered"
    delivers = [
        e for e in order_timeline(pg_db, tenant.tenant_id, order.id) if e.event == "deliver"
    ]
    assert [(e.outcome, e.source) for e in delivers] == [("applied", "carrier:SF")]
    with pg_db.reader() as session:
        counted = session.execute(
            select(func.count(), func.sum(InboxMessage.deliveries)).where(
                InboxMessage.source == "tracking:kuaidi100"
            )
        ).one()
    assert tuple(counted) == (1, CLIENTS)
