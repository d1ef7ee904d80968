"""A seeded month of one shop's orders with planted abuse, for ``bench.risk_bench``.

Built from how the abuse is described outside this project, not from oms's rules:

- brushing (刷单), Shopee's definition: one buyer account places three or more orders at the
  shop within an hour, often to one address;
- IP bursts: a script places orders for different accounts from one address within minutes;
- virtual-number clusters (羊毛党): new accounts on mobile virtual operators' segments
  (162/165/167/170/171) buy high-value items (phones, gift cards) within a day;
- address clusters: many accounts ship to one drop point within a day, the address text
  written a little differently each time, the delivery coordinates within metres.

Normal orders follow a day curve (few at night, peaks at 12:00 and 21:00), repeat buyers
(a third of orders from earlier buyers), mobile carriers' shared NAT addresses, offices that
several colleagues ship to, honest buyers on virtual segments (about 2 %), and coordinates
in GCJ-02 (as Chinese map SDKs answer) spread over a city. Every order says whether it is
planted and in which ring. Seeded: the same seed gives the same month.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

__all__ = ["MonthOrder", "seeded_month"]

START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 30
_HOUR_WEIGHTS = [1, 1, 1, 1, 1, 1, 2, 3, 5, 6, 7, 8, 10, 8, 7, 7, 7, 8, 9, 10, 11, 12, 9, 4]
_CITY = (30.27, 120.15)  # Hangzhou, GCJ-02 as a map SDK gives it
_NORMAL_PREFIXES = ("138", "139", "135", "136", "150", "151", "158", "186", "188", "189", "133")
_VIRTUAL_PREFIXES = ("1620", "1650", "1670", "1700", "1710", "1703", "1705")


@dataclass(slots=True)
class MonthOrder:
    seq: int
    placed_at: datetime
    buyer: str
    phone: str
    address: str
    ip: str | None
    device: str | None
    lat: float
    lng: float
    amount: int
    ring: str | None = None  # "brushing-3", "ip-1", … for planted orders
    extra: dict[str, str] = field(default_factory=dict)


def _phone(rng: random.Random, virtual: bool) -> str:
    if virtual:
        prefix = rng.choice(_VIRTUAL_PREFIXES)
        return prefix + "".join(str(rng.randrange(10)) for _ in range(11 - len(prefix)))
    return rng.choice(_NORMAL_PREFIXES) + "".join(str(rng.randrange(10)) for _ in range(8))


def _at(rng: random.Random) -> datetime:
    day = rng.randrange(DAYS)
    hour = rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
    return START + timedelta(days=day, hours=hour, seconds=rng.randrange(3600))


def _spot(rng: random.Random, spread: float = 0.12) -> tuple[float, float]:
    return (_CITY[0] + rng.uniform(-spread, spread), _CITY[1] + rng.uniform(-spread, spread))


def _amount(rng: random.Random) -> int:
    return int(rng.lognormvariate(10.3, 0.8))  # median about ¥300, in fen


@dataclass(slots=True)
class _Buyer:
    id: str
    phone: str
    address: str
    spot: tuple[float, float]
    device: str


def _normal(rng: random.Random, count: int) -> list[MonthOrder]:
    buyers: list[_Buyer] = []
    offices = [(f"滨江区网商路 {599 + i} 号 {i + 1} 号楼", _spot(rng)) for i in range(20)]
    orders = []
    for seq in range(count):
        if buyers and rng.random() < 0.33:
            b = rng.choice(buyers)
        else:
            n = len(buyers)
            if rng.random() < 0.08:
                address, spot = rng.choice(offices)
            else:
                address, spot = f"西湖区文三路 {n} 弄 {rng.randrange(1, 40)} 号", _spot(rng)
            b = _Buyer(f"u{n}", _phone(rng, rng.random() < 0.02), address, spot, f"d{n}")
            buyers.append(b)
        # Mobile carriers' NAT: a pool shared by many; home broadband: the buyer's own.
        ip = (
            f"10.{rng.randrange(8)}.{rng.randrange(250)}.{rng.randrange(250)}"
            if rng.random() < 0.4
            else f"ip-{b.id}"
        )
        has_ip = rng.random() < 0.85  # some storefronts send no buyer IP
        lat, lng = (
            b.spot[0] + rng.uniform(-0.0003, 0.0003),
            b.spot[1] + rng.uniform(-0.0003, 0.0003),
        )
        orders.append(
            MonthOrder(
                seq,
                _at(rng),
                b.id,
                b.phone,
                b.address,
                ip if has_ip else None,
                b.device if has_ip else None,
                lat,
                lng,
                _amount(rng),
            )
        )
    return orders


def _brushing(rng: random.Random, ring: int, seq: int) -> list[MonthOrder]:
    start, account = _at(rng), f"brush{ring}"
    address, spot = f"余杭区仓前街道 {ring} 号仓", _spot(rng)
    phone = _phone(rng, False)
    return [
        MonthOrder(
            seq + k,
            start + timedelta(minutes=rng.randrange(2, 18) * k),
            account,
            phone,
            address,
            f"bip-{ring}-{k}",
            f"bdev{ring}",
            spot[0],
            spot[1],
            rng.randrange(990, 4990),
            ring=f"brushing-{ring}",
        )
        for k in range(rng.randrange(3, 7))
    ]


def _ip_burst(rng: random.Random, ring: int, seq: int) -> list[MonthOrder]:
    start, ip = _at(rng), f"burst-{ring}"
    out = []
    for k in range(rng.randrange(5, 12)):
        spot = _spot(rng)
        out.append(
            MonthOrder(
                seq + k,
                start + timedelta(seconds=rng.randrange(20, 110) * k),
                f"ipb{ring}-{k}",
                _phone(rng, False),
                f"拱墅区莫干山路 {ring * 100 + k} 号",
                ip,
                f"ipdev{ring}-{k}",
                spot[0],
                spot[1],
                _amount(rng),
                ring=f"ip-{ring}",
            )
        )
    return out


def _virtual(rng: random.Random, ring: int, seq: int) -> list[MonthOrder]:
    start = _at(rng)
    out = []
    for k in range(rng.randrange(4, 9)):
        spot = _spot(rng)
        out.append(
            MonthOrder(
                seq + k,
                start + timedelta(minutes=rng.randrange(5, 120) * k),
                f"vn{ring}-{k}",
                _phone(rng, True),
                f"上城区解放路 {ring * 100 + k} 号",
                f"vip-{ring}-{k}",
                f"vdev{ring}-{k}",
                spot[0],
                spot[1],
                rng.randrange(159_900, 899_900),
                ring=f"virtual-{ring}",
            )
        )
    return out


def _address(rng: random.Random, ring: int, seq: int) -> list[MonthOrder]:
    start, spot = _at(rng), _spot(rng)
    base = f"萧山区建设一路 {ring + 66} 号 驿站"
    variants = [
        base,
        base.replace(" ", ""),
        base.replace("号 ", "号\uff0c"),
        base + " ",
        base.replace("驿站", " 驿站"),
    ]
    out = []
    for k in range(rng.randrange(6, 11)):
        out.append(
            MonthOrder(
                seq + k,
                start + timedelta(minutes=rng.randrange(10, 150) * k),
                f"ad{ring}-{k}",
                _phone(rng, False),
                rng.choice(variants),
                f"aip-{ring}-{k}",
                f"adev{ring}-{k}",
                spot[0] + rng.uniform(-0.0002, 0.0002),
                spot[1] + rng.uniform(-0.0002, 0.0002),
                _amount(rng),
                ring=f"address-{ring}",
            )
        )
    return out


def seeded_month(*, normal: int, rings: int, seed: int = 20261001) -> list[MonthOrder]:
    """``normal`` orders plus ``rings`` rings of each planted kind, sorted by time."""
    rng = random.Random(seed)
    orders = _normal(rng, normal)
    for make in (_brushing, _ip_burst, _virtual, _address):
        for ring in range(rings):
            orders.extend(make(rng, ring, len(orders)))
    orders.sort(key=lambda o: (o.placed_at, o.seq))
    return orders
