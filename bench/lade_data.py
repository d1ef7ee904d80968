"""A seeded data set shaped like Cainiao's LaDe-D (last-mile delivery), for the ETA bench.

The public LaDe data set has no offline copy here, so this draws rows with LaDe-D's published
columns (order_id, region_id, city, courier_id, lng, lat, aoi_id, aoi_type, accept_time,
accept_gps_time, accept_gps_lng, accept_gps_lat, delivery_time, delivery_gps_time,
delivery_gps_lng, delivery_gps_lat, ds) in its formats (times ``MM-DD HH:MM:SS``, ``ds`` as
``MDD``), over its five cities. LaDe-D starts where the courier accepts the parcel at the
destination station; an order's ETA runs from the warehouse, so each row also carries the leg
before it: ``carrier``, ``from_province`` and ``ship_time`` (same format). The effects:

- trunk: a base per province pair (same province 8-14 h, neighbours ~20 h, far ~40 h), a carrier
  pace (shunfeng fastest, jd next, the network carriers slower and more spread), parcels shipped
  after the 18:00 cut-off wait for the night line (+6 to 12 h), 3 % delayed 12-48 h;
- last mile: couriers work 08:00-20:00 (a parcel reaching the station at night waits for the
  morning round), a city pace (Shanghai quick, Jilin slow), a courier factor (lognormal), the
  area type (schools and offices quicker than residential compounds).

Its own seed, independent of the estimator; nothing here is read by oms.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["CITIES", "COLUMNS", "LadeRow", "generate"]

COLUMNS = (
    "order_id",
    "region_id",
    "city",
    "courier_id",
    "lng",
    "lat",
    "aoi_id",
    "aoi_type",
    "accept_time",
    "accept_gps_time",
    "accept_gps_lng",
    "accept_gps_lat",
    "delivery_time",
    "delivery_gps_time",
    "delivery_gps_lng",
    "delivery_gps_lat",
    "ds",
)
# city: (province, lng, lat, last-mile pace factor)
CITIES = {
    "Shanghai": ("上海市", 121.47, 31.23, 0.8),
    "Hangzhou": ("浙江省", 120.16, 30.27, 0.9),
    "Chongqing": ("重庆市", 106.55, 29.56, 1.1),
    "Jilin": ("吉林省", 126.55, 43.84, 1.3),
    "Yantai": ("山东省", 121.45, 37.46, 1.0),
}
ORIGINS = ("浙江省", "广东省", "上海市")
# carrier: (trunk pace, spread)
CARRIERS = {
    "shunfeng": (0.7, 0.10),
    "jd": (0.8, 0.12),
    "zhongtong": (1.0, 0.2),
    "yunda": (1.1, 0.25),
}
_NEAR = {
    frozenset({"浙江省", "上海市"}),
    frozenset({"浙江省", "山东省"}),
    frozenset({"上海市", "山东省"}),
}
_AOI_PACE = {1: 1.1, 2: 0.8, 3: 0.9, 4: 1.0, 5: 1.2}  # residential, school, office, mall, other
_FMT = "%m-%d %H:%M:%S"


@dataclass(frozen=True, slots=True)
class LadeRow:
    values: dict[str, object]  # LaDe-D's columns
    carrier: str
    from_province: str
    ship_time: datetime  # aware-less, China Standard Time

    @property
    def delivered_at(self) -> datetime:
        return datetime.strptime(f"2026-{self.values['delivery_time']}", f"%Y-{_FMT}")

    @property
    def city_province(self) -> str:
        return CITIES[str(self.values["city"])][0]


def _trunk_hours(rng: random.Random, origin: str, dest: str, carrier: str, hour: int) -> float:
    if origin == dest:
        base = rng.uniform(8, 14)
    elif frozenset({origin, dest}) in _NEAR:
        base = rng.uniform(16, 24)
    else:
        base = rng.uniform(32, 48)
    pace, spread = CARRIERS[carrier]
    hours = base * pace * rng.lognormvariate(0, spread)
    if hour >= 18:
        hours += rng.uniform(6, 12)  # waits for the night line
    if rng.random() < 0.03:
        hours += rng.uniform(12, 48)
    return hours


def _next_round(at: datetime) -> datetime:
    """Couriers take parcels out 08:00-20:00; a night arrival waits for the morning."""
    if at.hour >= 20:
        return (at + timedelta(days=1)).replace(hour=8, minute=0, second=0)
    if at.hour < 8:
        return at.replace(hour=8, minute=0, second=0)
    return at


def _row(
    rng: random.Random, n: int, start: datetime, days: int, couriers: dict[str, float]
) -> LadeRow:
    city = rng.choice(list(CITIES))
    province, lng, lat, city_pace = CITIES[city]
    carrier = rng.choice(list(CARRIERS))
    origin = rng.choice(ORIGINS)
    # Shipping peaks in the afternoon, as warehouses pack the morning's orders.
    hour = min(23, max(0, int(rng.gauss(15, 4))))
    ship = start + timedelta(days=rng.randrange(days), hours=hour, minutes=rng.randrange(60))
    accept = _next_round(ship + timedelta(hours=_trunk_hours(rng, origin, province, carrier, hour)))
    courier = f"{city[:2].upper()}{rng.randrange(40):03d}"
    aoi_type = rng.randint(1, 5)
    mile = rng.lognormvariate(0.8, 0.5) * city_pace * couriers[courier] * _AOI_PACE[aoi_type]
    delivered = accept + timedelta(hours=mile)
    if delivered.hour >= 21:  # the round ends; the rest go out tomorrow
        delivered = _next_round(delivered) + timedelta(hours=rng.uniform(0.5, 3))
    p_lng, p_lat = lng + rng.uniform(-0.1, 0.1), lat + rng.uniform(-0.1, 0.1)
    values: dict[str, object] = {
        "order_id": 1_000_000 + n,
        "region_id": rng.randrange(1, 120),
        "city": city,
        "courier_id": courier,
        "lng": round(p_lng, 6),
        "lat": round(p_lat, 6),
        "aoi_id": rng.randrange(1, 3000),
        "aoi_type": aoi_type,
        "accept_time": accept.strftime(_FMT),
        "accept_gps_time": (accept + timedelta(seconds=rng.randrange(120))).strftime(_FMT),
        "accept_gps_lng": round(lng + rng.uniform(-0.05, 0.05), 6),
        "accept_gps_lat": round(lat + rng.uniform(-0.05, 0.05), 6),
        "delivery_time": delivered.strftime(_FMT),
        "delivery_gps_time": (delivered + timedelta(seconds=rng.randrange(120))).strftime(_FMT),
        "delivery_gps_lng": round(p_lng + rng.uniform(-0.002, 0.002), 6),
        "delivery_gps_lat": round(p_lat + rng.uniform(-0.002, 0.002), 6),
        "ds": int(accept.strftime("%m%d")),
    }
    return LadeRow(values, carrier, origin, ship)


def generate(*, seed: int, parcels: int, days: int, start: datetime | None = None) -> list[LadeRow]:
    """``parcels`` rows shipped over ``days`` days from ``start`` (default 2026-03-01)."""
    rng = random.Random(seed)
    first = start or datetime(2026, 3, 1)
    couriers = {
        f"{city[:2].upper()}{i:03d}": rng.lognormvariate(0, 0.25)
        for city in CITIES
        for i in range(40)
    }
    rows = [_row(rng, n, first, days, couriers) for n in range(parcels)]
    return sorted(rows, key=lambda r: r.ship_time)
