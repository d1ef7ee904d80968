"""The feature windows counted straight from the signals, on SQLite and PostgreSQL: each key
by its own index seek (one statement per shape of keys), the geohash cells around the order,
and the blacklist probed per (kind, value) pair."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pygeohash

from oms.core.uow import Database
from oms.risk import features, signals
from oms.risk.blacklist import import_blacklist
from tests.fixtures.tenants import make_tenant

T0 = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
GEO = str(pygeohash.encode(30.27, 120.15, precision=signals.GEOHASH_PRECISION))


def _facts(n: int, at: datetime, **keys: str | None) -> features.OrderFacts:
    given: dict[str, Any] = {
        "ip": None,
        "device": None,
        "phone": None,
        "address": None,
        "buyer": None,
        "geo7": None,
    } | keys
    return features.OrderFacts(
        order_id=f"order-{n}",
        keys=signals.OrderKeys(**given),
        placed_at=at,
        amount=10_000,
        channel="tmall",
        phone=given["phone"],
    )


def _assess(db: Database, tenant_id: str, facts: features.OrderFacts) -> dict[str, Any]:
    with db.uow() as uow:
        features.record_signals(uow, tenant_id, facts)
        seen = features.compute(uow, tenant_id, facts)
        uow.commit()
    return seen


def test_each_key_counts_its_own_orders_in_each_window(db: Database) -> None:
    tenant = make_tenant(db).tenant_id
    other = make_tenant(db, name="Other").tenant_id
    shared = {"ip": "203.0.113.7", "device": "dev-w", "buyer": "buyer-w", "geo7": GEO}
    # 25 h, 2 h, 30 min and 5 min before the last order; another key and another tenant too.
    for n, ago in enumerate([timedelta(hours=25), timedelta(hours=2), timedelta(minutes=30)]):
        _assess(db, tenant, _facts(n, T0 - ago, **shared))
    _assess(db, tenant, _facts(10, T0, ip="203.0.113.8", phone="13800000001"))
    _assess(db, other, _facts(11, T0, **shared))
    _assess(db, tenant, _facts(3, T0 - timedelta(minutes=5), phone="13800000001", **shared))
    seen = _assess(db, tenant, _facts(4, T0, phone="13800000001", **shared))
    for kind in ("ip", "device", "buyer"):
        assert [seen[f"{kind}_orders_{w}"] for w in ("10m", "1h", "24h")] == [2, 3, 4], kind
    assert [seen[f"phone_orders_{w}"] for w in ("10m", "1h", "24h")] == [3, 3, 3]
    assert seen["address_orders_24h"] is None  # the order has no address
    assert (seen["geo_orders_1h"], seen["geo_orders_24h"]) == (3, 4)
    assert seen["buyer_prior_orders"] == 4  # the buyer's history reaches past 24 h


def test_a_neighbouring_geohash_cell_counts_and_an_order_without_keys_has_no_windows(
    db: Database,
) -> None:
    tenant = make_tenant(db).tenant_id
    neighbour = signals.geohash_cells(GEO)[-1]
    assert neighbour != GEO
    _assess(db, tenant, _facts(1, T0 - timedelta(minutes=1), geo7=neighbour))
    seen = _assess(db, tenant, _facts(2, T0, geo7=GEO))
    assert (seen["geo_orders_1h"], seen["geo_orders_24h"]) == (2, 2)
    assert seen["ip_orders_10m"] is None
    bare = _assess(db, tenant, _facts(3, T0))
    assert bare["geo_orders_24h"] is None and bare["buyer_orders_24h"] is None


def test_the_blacklist_matches_a_value_under_its_own_kind_only(db: Database) -> None:
    keys = make_tenant(db)
    # A buyer id that is also a listed phone number: listed as a phone, not as a buyer.
    import_blacklist(db, keys.actor(), kind="phone", content=b"13900000009\n")
    seen = _assess(db, keys.tenant_id, _facts(1, T0, buyer="13900000009", phone="13800000002"))
    assert seen["blacklist_hits"] == 0
    assert seen["blacklisted_phone"] is False and seen["blacklisted_buyer"] is False
    import_blacklist(db, keys.actor(), kind="buyer", content=b"13900000009\n")
    seen = _assess(db, keys.tenant_id, _facts(2, T0, buyer="13900000009", phone="13900000009"))
    assert seen["blacklist_hits"] == 2
    assert seen["blacklisted_phone"] is True and seen["blacklisted_buyer"] is True
