"""The paid → plan job through the real unit of work: once per order, an override stays."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from oms.core.uow import Database
from oms.fulfilment.carrier_schemas import SkuAttributesIn
from oms.fulfilment.carriers import set_sku_attributes
from oms.fulfilment.planning import service as planning
from oms.fulfilment.planning.schemas import PlanOverrideIn
from oms.inventory.schemas import WarehouseIn
from oms.inventory.service import create_warehouse
from oms.orders.schemas import OrderEventIn
from oms.orders.service import apply_event, place_order
from oms.orders.states import OrderEvent
from oms.tickets.service import list_tickets
from tests.fixtures.jobs import app_worker
from tests.fixtures.orders import order_create
from tests.fixtures.tenants import TenantKeys, make_tenant, stock_up


def _drain(db: Database) -> int:
    worker, done = app_worker(db), 0
    while n := worker.run_once():
        done += n
    return done


def test_paying_plans_the_order_once_and_an_override_is_never_replaced(
    db: Database, tenant: TenantKeys
) -> None:
    actor = tenant.actor()
    order = place_order(db, actor, order_create()).order
    _drain(db)
    assert planning.find_plan(db, tenant.tenant_id, order.id) is None  # not paid yet
    apply_event(db, actor, order.id, OrderEventIn(event=OrderEvent.PAY, source="test"))
    _drain(db)
    plan = planning.find_plan(db, tenant.tenant_id, order.id)
    assert plan is not None and plan.is_complete and plan.version == 1
    lines = [{"sku": line.sku, "qty": line.qty} for line in order.lines]
    override = PlanOverrideIn.model_validate(
        {
            "reason": "仓库盘点",
            "shipments": [{"warehouse": "main", "carrier": "ems", "lines": lines}],
        }
    )
    planning.override_plan(db, tenant.actor("ops"), order.id, override)
    again = planning.plan_order(db, tenant.tenant_id, order.id)  # a re-delivered job
    assert again is not None and (again.origin, again.version) == ("override", 2)


def test_a_split_follows_where_each_sku_is_held(db: Database, tenant: TenantKeys) -> None:
    """Stock of one SKU only in a second warehouse: the plan ships from both, as held."""
    create_warehouse(db, tenant.actor(), WarehouseIn(code="gz", name="广州仓", province="广东省"))
    stock_up(db, tenant, "FAN-9", 5, warehouse="gz")
    line = {"sku": "FAN-9", "name": "风扇", "qty": 1, "unit_price": 19900}
    tea = {"sku": "TEA-LJ-250", "name": "龙井", "qty": 1, "unit_price": 32800}
    order = place_order(db, tenant.actor(), order_create(lines=[tea, line])).order
    apply_event(db, tenant.actor(), order.id, OrderEventIn(event=OrderEvent.PAY, source="test"))
    _drain(db)
    plan = planning.find_plan(db, tenant.tenant_id, order.id)
    assert plan is not None
    by_wh = {s["warehouse"]: [line["sku"] for line in s["lines"]] for s in plan.shipments}
    assert by_wh == {"main": ["TEA-LJ-250"], "gz": ["FAN-9"]}
    assert all(s["reasons"][0]["code"] == "follows_reservation" for s in plan.shipments)


@pytest.mark.postgres
def test_two_workers_planning_the_same_order_store_one_plan_and_one_ticket(
    pg_db: Database,
) -> None:
    """Concurrent runs of the job (a re-delivery racing the first): one plan, one ticket."""
    tenant = make_tenant(pg_db)
    stock_up(pg_db, tenant, "GAS-1", 5)
    set_sku_attributes(pg_db, tenant.actor(), "GAS-1", SkuAttributesIn(needs=["hazardous"]))
    line = {"sku": "GAS-1", "name": "气罐", "qty": 1, "unit_price": 100}
    order = place_order(pg_db, tenant.actor(), order_create(lines=[line])).order
    apply_event(pg_db, tenant.actor(), order.id, OrderEventIn(event=OrderEvent.PAY, source="t"))
    start = threading.Barrier(4)

    def run() -> str | None:
        start.wait()
        plan = planning.plan_order(pg_db, tenant.tenant_id, order.id)
        return plan.ticket_id if plan else None

    with ThreadPoolExecutor(4) as pool:
        tickets = {f.result() for f in [pool.submit(run) for _ in range(4)]}
    assert len(tickets) == 1 and None not in tickets
    listed = list_tickets(pg_db, tenant.tenant_id, order_id=order.id)
    assert [t.kind for t in listed] == ["fulfilment_unplanned"]
