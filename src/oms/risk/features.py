"""Online features of one order: the sliding windows (10 min, 1 h, 24 h) over the tenant's
signals, the buyer's history, the shop's concentration and blacklist hits.

An operation: it runs in the caller's unit of work, records the order's signals and counts
them with the rows every other process committed, so the windows are shared by all processes.
Windows end at the order's ``placed_at`` and include the order itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from oms.core.db import table
from oms.core.uow import UnitOfWork
from oms.risk import signals
from oms.risk.models import BlacklistEntry, Signal
from oms.risk.signals import OrderKeys

__all__ = ["WINDOWS", "OrderFacts", "compute", "record_signals"]

WINDOWS: dict[str, timedelta] = {
    "10m": timedelta(minutes=10),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
}
_COUNTED = ("ip", "device", "phone", "address", "buyer")
_BLACKLISTED = ("phone", "address", "ip", "buyer")
_SIGNALS = table(Signal)


class OrderFacts:
    """What the features are computed from: the order's keys, time, amount and channel."""

    __slots__ = ("amount", "channel", "keys", "order_id", "phone", "placed_at")

    def __init__(
        self,
        *,
        order_id: str,
        keys: OrderKeys,
        placed_at: datetime,
        amount: int,
        channel: str,
        phone: str | None,
    ) -> None:
        self.order_id, self.keys, self.placed_at = order_id, keys, placed_at
        self.amount, self.channel, self.phone = amount, channel, phone


def record_signals(uow: UnitOfWork, tenant_id: str, facts: OrderFacts) -> None:
    """Record the order's keys (once: a re-run of the same order adds nothing)."""
    rows = [
        {
            "tenant_id": tenant_id,
            "order_id": facts.order_id,
            "kind": kind,
            "value": value,
            "at": facts.placed_at,
            "amount": facts.amount,
        }
        for kind, value in facts.keys.present().items()
    ]
    if rows:
        insert = postgres_insert if uow.is_postgres else sqlite_insert
        statement = insert(_SIGNALS).on_conflict_do_nothing()
        uow.session.connection().execute(statement, rows)


def compute(uow: UnitOfWork, tenant_id: str, facts: OrderFacts) -> dict[str, Any]:
    """Every feature ``rules.FEATURE_TYPES`` names (None where the order lacks the field)."""
    keys = facts.keys
    features: dict[str, Any] = {
        "amount": float(facts.amount),
        "channel": facts.channel,
        "phone_prefix": (keys.phone or "")[:4],
        "has_ip": keys.ip is not None,
        "has_device": keys.device is not None,
        "has_coordinates": keys.geo7 is not None,
        "is_virtual_phone": signals.is_virtual_phone(facts.phone),
    }
    features |= _windows(uow, tenant_id, facts)
    features |= _buyer_history(uow, tenant_id, facts)
    features |= _shop(uow, tenant_id, facts)
    features |= _blacklist(uow, tenant_id, keys)
    return features


def _windows(uow: UnitOfWork, tenant_id: str, facts: OrderFacts) -> dict[str, Any]:
    at = facts.placed_at
    present = facts.keys.present()
    wanted = [(kind, value) for kind, value in present.items() if kind in _COUNTED]
    cells = signals.geohash_cells(present["geo7"]) if "geo7" in present else []
    out: dict[str, Any] = {f"{kind}_orders_{w}": None for kind in _COUNTED for w in WINDOWS} | {
        "geo_orders_1h": None,
        "geo_orders_24h": None,
    }
    matches: list[ColumnElement[bool]] = []
    if wanted:
        matches.append(tuple_(Signal.kind, Signal.value).in_(wanted))
    if cells:
        matches.append(and_(Signal.kind == "geo7", Signal.value.in_(cells)))
    if not matches:
        return out
    since = {w: at - span for w, span in WINDOWS.items()}
    stmt = (
        select(
            Signal.kind,
            *(func.sum(case((Signal.at > since[w], 1), else_=0)) for w in ("10m", "1h")),
            func.count(),
        )
        .where(
            Signal.tenant_id == tenant_id,
            Signal.at > since["24h"],
            Signal.at <= at,
            or_(*matches),
        )
        .group_by(Signal.kind)
    )
    for kind, in_10m, in_1h, in_24h in uow.session.execute(stmt):
        if kind == "geo7":
            out["geo_orders_1h"], out["geo_orders_24h"] = float(in_1h), float(in_24h)
            continue
        counts = {"10m": in_10m, "1h": in_1h, "24h": in_24h}
        for w, n in counts.items():
            out[f"{kind}_orders_{w}"] = float(n or 0)
    return out


def _buyer_history(uow: UnitOfWork, tenant_id: str, facts: OrderFacts) -> dict[str, Any]:
    buyer = facts.keys.buyer
    if buyer is None:
        return {
            "is_new_buyer": True,
            "buyer_prior_orders": 0.0,
            "buyer_avg_amount": None,
            "amount_vs_buyer_avg": None,
        }
    prior, average = uow.session.execute(
        select(func.count(), func.avg(Signal.amount)).where(
            Signal.tenant_id == tenant_id,
            Signal.kind == "buyer",
            Signal.value == buyer,
            Signal.at < facts.placed_at,
        )
    ).one()
    ratio = facts.amount / float(average) if average else None
    return {
        "is_new_buyer": prior == 0,
        "buyer_prior_orders": float(prior),
        "buyer_avg_amount": float(average) if average is not None else None,
        "amount_vs_buyer_avg": ratio,
    }


def _shop(uow: UnitOfWork, tenant_id: str, facts: OrderFacts) -> dict[str, Any]:
    """Shopee's brushing measure: the shop's orders per unique buyer in the last hour."""
    orders, buyers = uow.session.execute(
        select(func.count(), func.count(func.distinct(Signal.value))).where(
            Signal.tenant_id == tenant_id,
            Signal.kind == "buyer",
            Signal.at > facts.placed_at - WINDOWS["1h"],
            Signal.at <= facts.placed_at,
        )
    ).one()
    return {
        "shop_orders_1h": float(orders),
        "shop_buyers_1h": float(buyers),
        "shop_orders_per_buyer_1h": orders / buyers if buyers else None,
    }


def _blacklist(uow: UnitOfWork, tenant_id: str, keys: OrderKeys) -> dict[str, Any]:
    present = keys.present()
    wanted = [(kind, present[kind]) for kind in _BLACKLISTED if kind in present]
    listed: set[str] = set()
    if wanted:
        listed = set(
            uow.session.scalars(
                select(BlacklistEntry.kind).where(
                    BlacklistEntry.tenant_id == tenant_id,
                    tuple_(BlacklistEntry.kind, BlacklistEntry.value).in_(wanted),
                )
            )
        )
    return {"blacklist_hits": float(len(listed))} | {
        f"blacklisted_{kind}": kind in listed for kind in _BLACKLISTED
    }
