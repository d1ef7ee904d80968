"""Online features of one order: the sliding windows (10 min, 1 h, 24 h) over the tenant's
signals, the buyer's history, the shop's concentration and blacklist hits.

An operation: it runs in the caller's unit of work, records the order's signals and counts
them with the rows every other process committed, so the windows are shared by all processes.
Windows end at the order's ``placed_at`` and include the order itself.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, case, func, select, union_all
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from oms.core.db import table
from oms.core.uow import UnitOfWork
from oms.risk import signals
from oms.risk.models import BlacklistEntry, ClusterCell, Signal
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

    __slots__ = ("amount", "channel", "keys", "order_id", "phone", "placed_at", "point")

    def __init__(
        self,
        *,
        order_id: str,
        keys: OrderKeys,
        placed_at: datetime,
        amount: int,
        channel: str,
        phone: str | None,
        point: tuple[float, float] | None = None,
    ) -> None:
        self.order_id, self.keys, self.placed_at = order_id, keys, placed_at
        self.amount, self.channel, self.phone = amount, channel, phone
        # The delivery point in WGS-84, kept on the geo7 signal for the offline clustering.
        self.point = point


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
            "lat": facts.point[0] if kind == "geo7" and facts.point else None,
            "lng": facts.point[1] if kind == "geo7" and facts.point else None,
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
    features |= _history(uow, tenant_id, facts)
    features |= _blacklist(uow, tenant_id, keys)
    return features


def _windows(uow: UnitOfWork, tenant_id: str, facts: OrderFacts) -> dict[str, Any]:
    at = facts.placed_at
    present = facts.keys.present()
    kinds = tuple(kind for kind in _COUNTED if kind in present)
    cells = signals.geohash_cells(present["geo7"]) if "geo7" in present else []
    out: dict[str, Any] = {f"{kind}_orders_{w}": None for kind in _COUNTED for w in WINDOWS} | {
        "geo_orders_1h": None,
        "geo_orders_24h": None,
    }
    if not kinds and not cells:
        return out
    params: dict[str, Any] = {f"v_{kind}": present[kind] for kind in kinds} | {
        "tenant_id": tenant_id,
        "at": at,
        "since_10m": at - WINDOWS["10m"],
        "since_1h": at - WINDOWS["1h"],
        "since_24h": at - WINDOWS["24h"],
    }
    if cells:
        params["cells"] = cells
    rows = uow.session.connection().execute(_window_statement(kinds, bool(cells)), params)
    for kind, in_10m, in_1h, in_24h in rows:
        if kind == "geo7":
            out["geo_orders_1h"], out["geo_orders_24h"] = float(in_1h), float(in_24h)
            continue
        counts = {"10m": in_10m, "1h": in_1h, "24h": in_24h}
        for w, n in counts.items():
            out[f"{kind}_orders_{w}"] = float(n or 0)
    return out


@functools.cache
def _window_statement(kinds: tuple[str, ...], geo: bool) -> Select[Any]:
    """The windows of an order with keys of ``kinds`` (and coordinates if ``geo``), built once
    per shape: at most 2^5 x 2 of them, so building a statement is not paid per order.

    Per key one index seek on ``ix_risk_signals_key`` (tenant, kind, value, time range), the
    branches put together with UNION ALL and counted per kind. Each branch names its key by
    equality: a single ``(kind, value) IN (...)`` over the tenant made SQLite and PostgreSQL
    read every signal of the tenant for every order.
    """
    in_24h = (
        Signal.tenant_id == bindparam("tenant_id"),
        Signal.at > bindparam("since_24h"),
        Signal.at <= bindparam("at"),
    )
    branches = [
        select(Signal.kind, Signal.at).where(
            *in_24h, Signal.kind == kind, Signal.value == bindparam(f"v_{kind}")
        )
        for kind in kinds
    ]
    if geo:
        branches.append(
            select(Signal.kind, Signal.at).where(
                *in_24h, Signal.kind == "geo7", Signal.value.in_(bindparam("cells", expanding=True))
            )
        )
    rows = union_all(*branches).subquery() if len(branches) > 1 else branches[0].subquery()
    since: dict[str, BindParameter[Any]] = {
        "10m": bindparam("since_10m"),
        "1h": bindparam("since_1h"),
    }
    return select(
        rows.c.kind,
        *(func.sum(case((rows.c.at > since[w], 1), else_=0)) for w in ("10m", "1h")),
        func.count(),
    ).group_by(rows.c.kind)


def _scalar(stmt: Select[Any]) -> Any:
    return stmt.scalar_subquery()


_BUYER = (
    Signal.tenant_id == bindparam("tenant_id"),
    Signal.kind == "buyer",
    Signal.value == bindparam("buyer"),
    Signal.at < bindparam("at"),
)
_SHOP_HOUR = (
    Signal.tenant_id == bindparam("tenant_id"),
    Signal.kind == "buyer",
    Signal.at > bindparam("since_1h"),
    Signal.at <= bindparam("at"),
)
# The buyer's history, the shop's last hour and the order's cluster cell in one round trip:
# each a scalar subquery on its own index (the buyer's key, the tenant's time, the cell).
_HISTORY = select(
    _scalar(select(func.count()).where(*_BUYER)),
    _scalar(select(func.avg(Signal.amount)).where(*_BUYER)),
    _scalar(select(func.count()).where(*_SHOP_HOUR)),
    _scalar(select(func.count(func.distinct(Signal.value))).where(*_SHOP_HOUR)),
    _scalar(
        select(ClusterCell.cluster_orders).where(
            ClusterCell.tenant_id == bindparam("tenant_id"), ClusterCell.cell == bindparam("cell")
        )
    ),
)


def _history(uow: UnitOfWork, tenant_id: str, facts: OrderFacts) -> dict[str, Any]:
    """The buyer's history (none without a buyer id: a new buyer), the shop's concentration
    (Shopee's brushing measure: orders per unique buyer in the last hour) and the size of the
    delivery cluster (``oms risk clusters``) whose cells hold the order's point (0 outside
    every flagged cell, None without coordinates)."""
    at, buyer, cell = facts.placed_at, facts.keys.buyer, facts.keys.geo7
    params = {
        "tenant_id": tenant_id,
        "buyer": buyer,
        "at": at,
        "since_1h": at - WINDOWS["1h"],
        "cell": cell,
    }
    prior, average, orders, buyers, cluster = (
        uow.session.connection().execute(_HISTORY, params).one()
    )
    if buyer is None:
        prior, average = 0, None
    ratio = facts.amount / float(average) if average else None
    return {
        "is_new_buyer": prior == 0,
        "buyer_prior_orders": float(prior),
        "buyer_avg_amount": float(average) if average is not None else None,
        "amount_vs_buyer_avg": ratio,
        "shop_orders_1h": float(orders),
        "shop_buyers_1h": float(buyers),
        "shop_orders_per_buyer_1h": orders / buyers if buyers else None,
        "address_cluster_size": None if cell is None else float(cluster or 0),
    }


# Both columns by IN, so the unique index is probed per (kind, value) pair rather than the
# tenant's whole list read against a row-value IN; the cross pairs the two INs also admit are
# dropped by the caller.
_BLACKLIST = select(BlacklistEntry.kind, BlacklistEntry.value).where(
    BlacklistEntry.tenant_id == bindparam("tenant_id"),
    BlacklistEntry.kind.in_(bindparam("kinds", expanding=True)),
    BlacklistEntry.value.in_(bindparam("values", expanding=True)),
)


def _blacklist(uow: UnitOfWork, tenant_id: str, keys: OrderKeys) -> dict[str, Any]:
    present = keys.present()
    wanted = {(kind, present[kind]) for kind in _BLACKLISTED if kind in present}
    listed: set[str] = set()
    if wanted:
        rows = uow.session.connection().execute(
            _BLACKLIST,
            {
                "tenant_id": tenant_id,
                "kinds": sorted({kind for kind, _ in wanted}),
                "values": sorted({value for _, value in wanted}),
            },
        )
        listed = {kind for kind, value in rows if (kind, value) in wanted}
    return {"blacklist_hits": float(len(listed))} | {
        f"blacklisted_{kind}": kind in listed for kind in _BLACKLISTED
    }
