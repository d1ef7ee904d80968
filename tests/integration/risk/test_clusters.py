"""DBSCAN over delivery points: a planted cluster of GCJ-02 points is found (within eps in
metres, after the conversion to WGS-84), scattered points are noise, old points are out of
the period, and the stored cells feed ``address_cluster_size``."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import coordTransform
import pytest
from typer.testing import CliRunner

from oms.cli import app as cli
from oms.config import get_settings
from oms.core.clock import ManualClock
from oms.core.uow import Database
from oms.risk import clusters, features, signals
from tests.fixtures.tenants import make_tenant

# A point in Hangzhou, in WGS-84, and metres to degrees around it.
LAT, LNG = 30.2741, 120.1551
_M_LAT = 1 / 111_195
_M_LNG = 1 / (111_195 * math.cos(math.radians(LAT)))


def _gcj(north_m: float, east_m: float) -> tuple[float, float]:
    """The GCJ-02 coordinates (as a storefront sends them) of a point offset from LAT, LNG."""
    lng, lat = coordTransform.wgs84_to_gcj02(LNG + east_m * _M_LNG, LAT + north_m * _M_LAT)
    return float(lat), float(lng)


def _deliver(
    db: Database, tenant_id: str, n: int, gcj: tuple[float, float], ago: timedelta, buyer: str
) -> dict[str, object]:
    point = signals.to_wgs84(gcj[0], gcj[1], "gcj02")
    facts = features.OrderFacts(
        order_id=f"order-{n}",
        keys=signals.OrderKeys(
            ip=None,
            device=None,
            phone=None,
            address=None,
            buyer=buyer,
            geo7=signals.geo7_of(point),
        ),
        placed_at=db.clock.now() - ago,
        amount=5_000,
        channel="tmall",
        phone=None,
        point=point,
    )
    with db.uow() as uow:
        features.record_signals(uow, tenant_id, facts)
        seen = features.compute(uow, tenant_id, facts)
        uow.commit()
    return seen


def test_a_planted_cluster_is_found_and_scattered_points_are_noise(
    db: Database, clock: ManualClock
) -> None:
    tenant = make_tenant(db).tenant_id
    day = timedelta(days=1)
    # Six deliveries within 20 m of each other, by four buyers (GCJ-02 offsets ~ 500 m).
    planted = [(0, 0), (10, 5), (-8, 12), (15, -10), (-5, -15), (3, 18)]
    for n, (north, east) in enumerate(planted):
        _deliver(db, tenant, n, _gcj(north, east), day * (n + 1), buyer=f"b{n % 4}")
    # Noise: ten deliveries a kilometre or more apart; and an old cluster past 30 days.
    for n in range(10):
        _deliver(db, tenant, 100 + n, _gcj(1000 * (n + 1), -800 * n), day, buyer=f"n{n}")
    for n in range(6):
        _deliver(db, tenant, 200 + n, _gcj(5000 + n, 5000), day * 40, buyer="old")

    found = clusters.find_clusters(db, tenant, days=30, eps_m=50, min_orders=5)

    assert len(found) == 1
    cluster = found[0]
    assert (cluster.orders, cluster.buyers) == (6, 4)
    assert sorted(cluster.order_ids) == [f"order-{n}" for n in range(6)]
    # The centre is the planted point in WGS-84 (not the GCJ-02 one, ~500 m away).
    assert abs(cluster.centre_lat - LAT) / _M_LAT < 10
    assert abs(cluster.centre_lng - LNG) / _M_LNG < 10
    # A tighter radius than the points' spacing finds nothing.
    assert clusters.find_clusters(db, tenant, eps_m=3, min_orders=5, store=False) == []

    # The stored cells feed the rules: a new order at the cluster sees its size.
    near = _deliver(db, tenant, 300, _gcj(2, 2), timedelta(0), buyer="new")
    far = _deliver(db, tenant, 301, _gcj(3000, 3000), timedelta(0), buyer="new2")
    assert near["address_cluster_size"] == 6
    assert far["address_cluster_size"] == 0


def test_an_order_without_coordinates_has_no_cluster_size_and_bad_settings_are_refused(
    db: Database,
) -> None:
    tenant = make_tenant(db).tenant_id
    facts = features.OrderFacts(
        order_id="bare",
        keys=signals.OrderKeys(None, None, None, None, "b", None),
        placed_at=db.clock.now(),
        amount=1,
        channel="tmall",
        phone=None,
    )
    with db.uow() as uow:
        assert features.compute(uow, tenant, facts)["address_cluster_size"] is None
    with pytest.raises(ValueError, match="eps_m > 0"):
        clusters.find_clusters(db, tenant, eps_m=0)


def test_the_command_prints_the_clusters_and_flags_their_cells(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = make_tenant(db).tenant_id
    for n in range(5):
        _deliver(db, tenant, n, _gcj(n * 5, 0), timedelta(hours=n), buyer=f"c{n}")
    monkeypatch.setenv("OMS_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        args = ["risk", "clusters", "--tenant", tenant, "--days", "3650", "--eps-m", "30"]
        printed = CliRunner().invoke(cli, args)
    finally:
        get_settings.cache_clear()
    assert printed.exit_code == 0, printed.output
    (cluster,) = json.loads(printed.output)["clusters"]
    assert (cluster["orders"], cluster["buyers"]) == (5, 5)
    assert _deliver(db, tenant, 9, _gcj(1, 1), timedelta(0), buyer="x")["address_cluster_size"] == 5
