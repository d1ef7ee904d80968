"""Offline clustering of delivery points: DBSCAN over the tenant's recent orders.

The points are the WGS-84 coordinates kept on the ``geo7`` signals (converted from GCJ-02 or
BD-09 at assessment by ``signals.to_wgs84``). scikit-learn's DBSCAN with the haversine metric
over radians and a ball tree finds groups of at least ``min_orders`` deliveries, each within
``eps_m`` metres of another member; isolated points are noise. Storing the result replaces the
tenant's flagged cells (``risk_cluster_cells``): each cell holding a member carries its
cluster's size, the ``address_cluster_size`` feature a later order in that cell sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from sklearn.cluster import DBSCAN
from sqlalchemy import delete, select
from sqlalchemy.orm import aliased

from oms.core.uow import Database
from oms.risk import signals
from oms.risk.models import ClusterCell, Signal

__all__ = ["EARTH_RADIUS_M", "Cluster", "find_clusters"]

#: Mean Earth radius (IUGG), metres: eps in radians is eps_m / EARTH_RADIUS_M.
EARTH_RADIUS_M = 6_371_008.8
_SAMPLE = 10


@dataclass(frozen=True, slots=True)
class Cluster:
    """A delivery cluster: its centre (mean point, WGS-84), orders, distinct buyers."""

    centre_lat: float
    centre_lng: float
    orders: int
    buyers: int
    cells: list[str]
    order_ids: list[str]  # a sample, the first ten by time


def find_clusters(
    db: Database,
    tenant_id: str,
    *,
    days: int = 30,
    eps_m: float = 50.0,
    min_orders: int = 5,
    store: bool = True,
) -> list[Cluster]:
    """The clusters of the last ``days`` days' deliveries, largest first; with ``store``,
    they replace the tenant's flagged cells in the same transaction as the read."""
    if days < 1 or eps_m <= 0 or min_orders < 2:
        raise ValueError("days >= 1, eps_m > 0 and min_orders >= 2")
    buyer = aliased(Signal)
    with db.uow() as uow:
        now = uow.clock.now()
        rows = uow.session.execute(
            select(Signal.order_id, Signal.value, Signal.lat, Signal.lng, buyer.value)
            .outerjoin(
                buyer,
                (buyer.tenant_id == Signal.tenant_id)
                & (buyer.order_id == Signal.order_id)
                & (buyer.kind == "buyer"),
            )
            .where(
                Signal.tenant_id == tenant_id,
                Signal.kind == "geo7",
                Signal.at > now - timedelta(days=days),
                Signal.lat.is_not(None),
                Signal.lng.is_not(None),
            )
            .order_by(Signal.at, Signal.order_id)
        ).all()
        points = [
            (order_id, cell, float(lat), float(lng), buyer_id)
            for order_id, cell, lat, lng, buyer_id in rows
            if lat is not None and lng is not None
        ]
        clusters = _cluster(points, eps_m, min_orders)
        if store:
            uow.session.execute(delete(ClusterCell).where(ClusterCell.tenant_id == tenant_id))
            sizes: dict[str, Cluster] = {}
            for cluster in clusters:  # largest first: a shared cell keeps the larger
                for cell in cluster.cells:
                    sizes.setdefault(cell, cluster)
            uow.session.add_all(
                ClusterCell(
                    tenant_id=tenant_id,
                    cell=cell,
                    cluster_orders=cluster.orders,
                    cluster_buyers=cluster.buyers,
                    computed_at=now,
                )
                for cell, cluster in sizes.items()
            )
        uow.commit()
    return clusters


def _cluster(
    rows: Sequence[tuple[str, str, float, float, str | None]], eps_m: float, min_orders: int
) -> list[Cluster]:
    if len(rows) < min_orders:
        return []
    points = np.radians(np.array([[lat, lng] for _o, _c, lat, lng, _b in rows], dtype=float))
    labels = DBSCAN(
        eps=eps_m / EARTH_RADIUS_M,
        min_samples=min_orders,
        metric="haversine",
        algorithm="ball_tree",
    ).fit_predict(points)
    found = []
    for label in sorted(set(labels.tolist()) - {-1}):
        members = [row for row, lab in zip(rows, labels, strict=True) if lab == label]
        lat = float(np.mean([m[2] for m in members]))
        lng = float(np.mean([m[3] for m in members]))
        found.append(
            Cluster(
                centre_lat=round(lat, 6),
                centre_lng=round(lng, 6),
                orders=len(members),
                buyers=len({m[4] or m[0] for m in members}),  # no buyer id: its own buyer
                cells=sorted({m[1] for m in members} | {signals.geo7_of((lat, lng))}),
                order_ids=[m[0] for m in members[:_SAMPLE]],
            )
        )
    return sorted(found, key=lambda c: (-c.orders, c.centre_lat, c.centre_lng))
