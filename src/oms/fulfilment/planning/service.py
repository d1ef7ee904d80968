"""Fulfilment plans: computed by a job when an order is paid, read by the API, overridden by ops.

The planner (``planner.plan_fulfilment``) is pure; this module gathers its inputs (order lines
and SKU attributes, warehouses and their stock, the order's holds, the tenant's carriers),
stores what it answers, and opens a ticket when some parcel has no possible carrier.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from oms.core import audit
from oms.core.audit import Attempt, Outcome
from oms.core.context import Actor
from oms.core.uow import Database, UnitOfWork
from oms.fulfilment import carriers
from oms.fulfilment.errors import PlanInvalid, PlanNotFound
from oms.fulfilment.planning.models import FulfilmentPlan
from oms.fulfilment.planning.planner import Plan, PlanRequest, WarehouseSpec, plan_fulfilment
from oms.fulfilment.planning.regions import normalise_province
from oms.fulfilment.planning.schemas import PlanOut, PlanOverrideIn
from oms.inventory import queries as stock
from oms.inventory.states import ReservationStatus
from oms.orders.queries import get_order
from oms.orders.schemas import OrderOut
from oms.tickets.service import open_ticket
from oms.tickets.states import TicketKind

__all__ = [
    "DEFAULT_PROMISE_HOURS",
    "find_plan",
    "get_plan",
    "override_plan",
    "plan_order",
    "planned_warehouse",
]

# Orders carry no promised delivery time yet: plans aim at the usual 72 h (3 days).
DEFAULT_PROMISE_HOURS = 72
PLAN_EVENT = "fulfilment_plan"
OVERRIDE_EVENT = "fulfilment_plan_override"


def plan_order(db: Database, tenant_id: str, order_id: str) -> PlanOut | None:
    """Compute and store the order's plan once (a second run, or a plan ops set, wins).

    Returns the stored plan. Raises: ERR_ORDER_NOT_FOUND.
    """
    if (existing := _read(db, tenant_id, order_id)) is not None:
        return existing
    order = get_order(db, tenant_id, order_id)
    plan = plan_fulfilment(_request(db, tenant_id, order))
    actor = Actor.system(tenant_id, "fulfilment-planner")
    try:
        with db.uow() as uow:
            _store(uow, actor, order, plan)
            uow.commit()
    except IntegrityError:  # another worker stored it first
        pass
    return _read(db, tenant_id, order_id)


def get_plan(db: Database, tenant_id: str, order_id: str) -> PlanOut:
    """The order's plan. Raises: ERR_ORDER_NOT_FOUND, ERR_PLAN_NOT_FOUND (none yet)."""
    get_order(db, tenant_id, order_id)
    found = _read(db, tenant_id, order_id)
    if found is None:
        raise PlanNotFound("the order has no fulfilment plan yet", order_id=order_id)
    return found


def find_plan(db: Database, tenant_id: str, order_id: str) -> PlanOut | None:
    """The order's plan, or None (the caller has checked the order is the tenant's)."""
    return _read(db, tenant_id, order_id)


def override_plan(db: Database, actor: Actor, order_id: str, data: PlanOverrideIn) -> PlanOut:
    """Replace the plan by hand; the reason goes on the order's timeline.

    Raises: ERR_ORDER_NOT_FOUND, ERR_PLAN_NOT_FOUND, ERR_PLAN_INVALID (lines differ from the
    order's).
    """
    order = get_order(db, actor.tenant_id, order_id)
    _check_lines(order, data)
    shipments = [_overridden(s.model_dump()) for s in data.shipments]
    with db.uow() as uow:
        row = uow.session.get(FulfilmentPlan, (actor.tenant_id, order_id), with_for_update=True)
        if row is None:
            raise PlanNotFound("the order has no fulfilment plan yet", order_id=order_id)
        previous = row.shipments
        now = uow.clock.now()
        row.origin, row.shipments, row.override_reason = "override", shipments, data.reason
        row.is_complete, row.total_cost, row.reasons = True, 0, []
        row.version, row.updated_at = row.version + 1, now
        attempt = _attempt(OVERRIDE_EVENT, order_id, data.reason, {"previous": previous})
        audit.record_attempt(uow.session, actor, attempt, now=now)
        out = _plan_out(row)
        uow.commit()
    return out


def planned_warehouse(db: Database, tenant_id: str, order_id: str, skus: list[str]) -> str | None:
    """The warehouse the plan ships the first of ``skus`` from, if there is a plan."""
    plan = _read(db, tenant_id, order_id)
    for shipment in plan.shipments if plan else []:
        if any(line["sku"] in skus for line in shipment["lines"]):
            return str(shipment["warehouse"])
    return None


def _request(db: Database, tenant_id: str, order: OrderOut) -> PlanRequest:
    lines = [(line.sku, line.qty) for line in order.lines]
    skus = sorted({sku for sku, _ in lines})
    levels = stock.stock_levels(db, tenant_id, skus)
    free: dict[str, dict[str, int]] = {}
    for level in levels:
        for w in level.warehouses:
            free.setdefault(w.warehouse, {})[level.sku] = w.available
    warehouses = [
        WarehouseSpec(w.code, normalise_province(w.province), w.priority, free.get(w.code, {}))
        for w in stock.warehouses(db, tenant_id)
    ]
    with db.reader() as session:
        items = carriers.items_with_attributes(session, tenant_id, lines)
        carrier_specs = carriers.carrier_specs(session, tenant_id)
    address = order.shipping_address or {}
    return PlanRequest(
        items=items,
        warehouses=warehouses,
        carriers=carrier_specs,
        destination=normalise_province(address.get("province")),
        promise_hours=DEFAULT_PROMISE_HOURS,
        holds=_holds(db, tenant_id, order.id),
        untracked=frozenset(level.sku for level in levels if not level.tracked),
    )


def _holds(db: Database, tenant_id: str, order_id: str) -> dict[str, dict[str, int]]:
    keep = {ReservationStatus.ACTIVE, ReservationStatus.DEDUCTED}
    holds: dict[str, dict[str, int]] = {}
    for r in stock.order_reservations(db, tenant_id, order_id):
        if r.status in keep:
            by_wh = holds.setdefault(r.sku, {})
            by_wh[r.warehouse] = by_wh.get(r.warehouse, 0) + r.qty
    return holds


def _store(uow: UnitOfWork, actor: Actor, order: OrderOut, plan: Plan) -> None:
    now = uow.clock.now()
    row = FulfilmentPlan(
        tenant_id=actor.tenant_id,
        order_id=order.id,
        origin="planner",
        shipments=[p.as_dict() for p in plan.parcels],
        alternatives=list(plan.alternatives),
        reasons=[r.as_dict() for r in plan.reasons],
        is_complete=plan.is_complete,
        total_cost=plan.total_cost,
        version=1,
        created_at=now,
        updated_at=now,
    )
    if not plan.is_complete:
        row.ticket_id = _open_unplanned_ticket(uow, actor, order, row)
    uow.session.add(row)
    uow.session.flush()
    summary = {"shipments": len(row.shipments), "is_complete": plan.is_complete}
    attempt = _attempt(PLAN_EVENT, order.id, None, summary | {"total_cost": plan.total_cost})
    audit.record_attempt(uow.session, actor, attempt, now=now)


def _open_unplanned_ticket(
    uow: UnitOfWork, actor: Actor, order: OrderOut, row: FulfilmentPlan
) -> str:
    stuck = [s for s in row.shipments if s["carrier"] is None]
    return open_ticket(
        uow,
        tenant_id=actor.tenant_id,
        kind=TicketKind.FULFILMENT_UNPLANNED,
        order_id=order.id,
        assignee_role="warehouse",
        title_code="fulfilment_unplanned",
        title_params={"order_no": order.order_no},
        details={"parcels": stuck},
        now=uow.clock.now(),
    )


def _attempt(event: str, order_id: str, reason: str | None, details: dict[str, Any]) -> Attempt:
    return Attempt(
        aggregate_type="order",
        aggregate_id=order_id,
        event=event,
        outcome=Outcome.APPLIED,
        source="fulfilment",
        reason=reason,
        details=details,
    )


def _check_lines(order: OrderOut, data: PlanOverrideIn) -> None:
    ordered = Counter({line.sku: 0 for line in order.lines})
    for line in order.lines:
        ordered[line.sku] += line.qty
    planned: Counter[str] = Counter()
    for shipment in data.shipments:
        for planned_line in shipment.lines:
            planned[planned_line.sku] += planned_line.qty
    if planned != ordered:
        raise PlanInvalid(
            "the plan's lines must add up to the order's",
            ordered=dict(ordered),
            planned=dict(planned),
        )


def _overridden(shipment: dict[str, Any]) -> dict[str, Any]:
    return shipment | {"cost": None, "hours": None, "reasons": [{"code": "override", "params": {}}]}


def _read(db: Database, tenant_id: str, order_id: str) -> PlanOut | None:
    with db.reader() as session:
        row = session.scalars(
            select(FulfilmentPlan).where(
                FulfilmentPlan.tenant_id == tenant_id, FulfilmentPlan.order_id == order_id
            )
        ).first()
        return _plan_out(row) if row else None


def _plan_out(row: FulfilmentPlan) -> PlanOut:
    return PlanOut.model_validate(row, from_attributes=True)
