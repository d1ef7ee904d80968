"""What a template and a condition see of an order at a node (reads only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import select

from oms.core.models import Tenant
from oms.core.uow import Database
from oms.fulfilment.carriers import items_with_attributes
from oms.fulfilment.models import Shipment
from oms.fulfilment.notify.quiet import zone_of
from oms.fulfilment.planning.regions import normalise_province
from oms.orders import queries as orders
from oms.orders.schemas import OrderOut

__all__ = ["Facts", "Trigger", "gather"]

_TRACKING_LINK = "https://www.kuaidi100.com/chaxun"
_STAMP = "%Y-%m-%d %H:%M"


@dataclass(frozen=True, slots=True)
class Trigger:
    """What happened: the node, a key unique to this happening, and what it concerns."""

    node: str
    key: str
    order_id: str
    shipment_id: str | None = None
    scan: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Facts:
    """The order at a node: template variables, condition values, where the buyer is."""

    variables: dict[str, Any]
    values: dict[str, Any]
    phone: str | None
    email: str | None
    buyer_id: str | None
    zone: ZoneInfo


def gather(db: Database, tenant_id: str, trigger: Trigger) -> Facts:
    """The facts of ``trigger``'s order. Raises: ERR_ORDER_NOT_FOUND."""
    order = orders.get_order(db, tenant_id, trigger.order_id)
    with db.reader() as session:
        tenant = session.get(Tenant, tenant_id)
        address = order.shipping_address or {}
        zone = zone_of(address.get("timezone"), tenant.timezone if tenant else "Asia/Shanghai")
        items = items_with_attributes(session, tenant_id, [(x.sku, x.qty) for x in order.lines])
        shipment = _shipment(session, tenant_id, trigger)
    needs = {item.sku: sorted(item.needs) for item in items}
    lines: list[dict[str, Any]] = [
        {
            "sku": line.sku,
            "name": line.name,
            "qty": line.qty,
            "needs": needs.get(line.sku, []),
            "cold_chain": "cold_chain" in needs.get(line.sku, []),
        }
        for line in order.lines
    ]
    scan = _scan(trigger, shipment, zone)
    order_vars = _order(order, zone)
    variables: dict[str, Any] = {
        "node": trigger.node,
        "order": order_vars,
        "items": lines,
        "carrier": shipment.carrier if shipment else "",
        "tracking_no": shipment.tracking_no if shipment else "",
        "tracking_link": _link(shipment),
        "eta": {
            "from": _local(shipment.eta_from if shipment else None, zone),
            "to": _local(shipment.eta_to if shipment else None, zone),
        },
        "scan": scan,
    }
    values = {
        "node": trigger.node,
        "order_total": float(order.totals.total),
        "order_channel": order.channel,
        "order_province": order_vars["province"],
        "order_city": order_vars["city"],
        "buyer_id": order.buyer.get("id") or "",
        "item_skus": [line["sku"] for line in lines],
        "item_needs": sorted({n for line in lines for n in line["needs"]}),
        "item_count": float(sum(line["qty"] for line in lines)),
        "cold_chain": any(line["cold_chain"] for line in lines),
        "carrier": variables["carrier"],
        **{f"scan_{k}": scan[k] for k in ("status", "sub_status", "location", "province", "text")},
    }
    return Facts(
        variables=variables,
        values=values,
        phone=order.buyer.get("phone") or address.get("phone"),
        email=address.get("email") or order.buyer.get("email"),
        buyer_id=order.buyer.get("id"),
        zone=zone,
    )


def _order(order: OrderOut, zone: ZoneInfo) -> dict[str, Any]:
    address = order.shipping_address or {}
    return {
        "no": order.order_no,
        "status": str(order.status),
        "channel": order.channel,
        "total": order.totals.total,
        "total_yuan": f"{order.totals.total / 100:.2f}",
        "currency": order.currency,
        "buyer_name": order.buyer.get("name") or "",
        "province": normalise_province(address.get("province")) or "",
        "city": str(address.get("city") or ""),
        "placed_at": _local(order.placed_at, zone),
    }


def _shipment(session: Any, tenant_id: str, trigger: Trigger) -> Shipment | None:
    stmt = select(Shipment).where(
        Shipment.tenant_id == tenant_id, Shipment.order_id == trigger.order_id
    )
    if trigger.shipment_id:
        stmt = stmt.where(Shipment.id == trigger.shipment_id)
    found: Shipment | None = session.scalars(
        stmt.order_by(Shipment.created_at.desc(), Shipment.id.desc()).limit(1)
    ).first()
    return found


def _scan(trigger: Trigger, shipment: Shipment | None, zone: ZoneInfo) -> dict[str, Any]:
    scan = trigger.scan
    location = str(scan.get("location") or "")
    at = scan.get("at")
    when = datetime.fromisoformat(at) if isinstance(at, str) and at else None
    return {
        "status": str(scan.get("status") or (shipment.tracking_status if shipment else "") or ""),
        "sub_status": str(scan.get("sub_status") or ""),
        "text": str(scan.get("text") or ""),
        "location": location,
        "province": normalise_province(location) or "",
        "at": _local(when, zone),
    }


def _link(shipment: Shipment | None) -> str:
    if shipment is None:
        return ""
    return f"{_TRACKING_LINK}?{urlencode({'com': shipment.carrier, 'nu': shipment.tracking_no})}"


def _local(when: datetime | None, zone: ZoneInfo) -> str:
    return when.astimezone(zone).strftime(_STAMP) if when else ""
