"""A seeded generator of another system's records with labels, for scoring ``oms link learn``.

Built from how the platforms' keys really look, not from the linker (it imports nothing of
``oms.intelligence``):

- Shopify: order ``id`` 13 digits (``5712345678901``), order ``name`` ``#1001`` (a decoy in
  remarks: the known orders file has ids, not names);
- Youzan: ``tid`` ``E`` + yyyymmddHHMMSS + 6 digits (``E20240501123045000123``);
- Taobao / Tmall: ``tid`` 18-19 digits; JD: ``orderId`` 11-12 digits;
- Pinduoduo: ``order_sn`` yymmdd-15 digits (``240501-123456789012345``);
- SF Express: waybill ``SF`` + 12-13 digits, the channel order number somewhere in the remark;
- oms's own order number: yymmdd + 12 digits (18 digits).

Record kinds (the variants ERPs, CRMs, WMSs and carriers produce), and decoys that must stay
unlinked: near-miss numbers (one digit off a real order), orders oms does not know, remarks
with only a phone number, a date, an amount and a Shopify order name, remarks naming two orders
(ambiguous), and a number two channels share (ambiguous).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["LINKABLE", "Dataset", "Order", "Record", "generate"]

SEED = 20261202


@dataclass(frozen=True)
class Order:
    oms_key: str
    external_id: str
    channel: str


@dataclass(frozen=True)
class Record:
    source_key: str
    remarks: str
    truth: str  # the oms key, or "" when nothing may be linked (decoy, ambiguous)
    kind: str


@dataclass
class Dataset:
    orders: list[Order]
    records: list[Record]
    pairs: list[Record]


# Kind -> weight. Duplicates (_a/_b) come as two records, so their weight counts twice.
KINDS: dict[str, float] = {
    "exact": 0.11,
    "oms_key": 0.07,
    "shopify_prefix": 0.04,
    "jd_prefix": 0.02,
    "shopify_dup_ab": 0.06,
    "sub_order": 0.12,
    "lower_case": 0.05,
    "lower_case_sub_order": 0.02,
    "zero_padded": 0.08,
    "waybill_remark": 0.20,
    "near_miss": 0.04,
    "unknown_order": 0.03,
    "remark_decoys_only": 0.03,
    "remark_two_orders": 0.02,
    "shared_number": 0.01,
}
LINKABLE = {
    "exact",
    "oms_key",
    "shopify_prefix",
    "jd_prefix",
    "shopify_dup_ab",
    "sub_order",
    "lower_case",
    "lower_case_sub_order",
    "zero_padded",
    "waybill_remark",
}
_SEEDS_PER_KIND = 4
_CHANNELS = {"shopify": 0.2, "youzan": 0.2, "taobao": 0.25, "jd": 0.2, "pinduoduo": 0.15}


class _Keys:
    """Unique platform keys in each platform's documented shape."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.taken: set[str] = set()

    def fresh(self, channel: str) -> str:
        while True:
            key = getattr(self, f"_{channel}")()
            if key not in self.taken:
                self.taken.add(key)
                return str(key)

    def _shopify(self) -> str:
        return str(self.rng.randrange(4_500_000_000_000, 6_200_000_000_000))

    def _youzan(self) -> str:
        r = self.rng
        stamp = f"2024{r.randint(1, 12):02d}{r.randint(1, 28):02d}{r.randrange(240000):06d}"
        return f"E{stamp}{r.randrange(10**6):06d}"

    def _taobao(self) -> str:
        digits = self.rng.choice((18, 19))
        return str(self.rng.randrange(10 ** (digits - 1), 4 * 10 ** (digits - 1)))

    def _jd(self) -> str:
        digits = self.rng.choice((11, 12))
        return str(self.rng.randrange(2 * 10 ** (digits - 1), 10**digits))

    def _pinduoduo(self) -> str:
        r = self.rng
        return f"24{r.randint(1, 12):02d}{r.randint(1, 28):02d}-{r.randrange(10**14, 10**15)}"


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def _date(rng: random.Random) -> str:
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice((f"2024-{month:02d}-{day:02d}", f"2024{month:02d}{day:02d}"))


def _decoys(rng: random.Random) -> list[str]:
    pool = [
        f"收件人电话{_phone(rng)}",
        f"发货日期{_date(rng)}",
        f"代收货款¥{rng.randrange(10, 3000)}.{rng.randrange(100):02d}",
        f"Shopify #{rng.randrange(1001, 99999)}",
        f"件数{rng.randint(1, 9)}",
    ]
    return rng.sample(pool, rng.randint(1, 3))


def _remark(rng: random.Random, numbers: list[str]) -> str:
    quoted = [rng.choice(("订单号:", "原单", "tid=", "单号 ", "订单")) + n for n in numbers]
    parts = _decoys(rng) + quoted
    rng.shuffle(parts)
    return rng.choice((" ", "\uff0c", "; ")).join(parts)  # a space, a full-width comma


def _near_miss(rng: random.Random, value: str, taken: set[str]) -> str:
    while True:
        digits = [i for i, c in enumerate(value) if c.isdigit()]
        at = rng.choice(digits[1:])
        changed = value[:at] + str((int(value[at]) + rng.randint(1, 9)) % 10) + value[at + 1 :]
        if changed not in taken:
            return changed


def generate(records: int, *, seed: int = SEED) -> Dataset:
    """``records`` labelled records over about 0.7 times as many known orders, and seed pairs."""
    rng = random.Random(seed)
    keys = _Keys(rng)
    orders = _orders(rng, keys, max(1000, int(records * 0.7)))
    by_channel: dict[str, list[Order]] = {}
    for order in orders:
        by_channel.setdefault(order.channel, []).append(order)
    shared = _shared(rng, keys, orders, max(2, records // 200))
    made = _Maker(rng, keys, orders, by_channel, shared)
    kinds, weights = list(KINDS), list(KINDS.values())
    out: list[Record] = []
    while len(out) < records:
        out.extend(made.kind(rng.choices(kinds, weights)[0]))
    out = out[:records]
    pairs = _seed_pairs(rng, out)
    return Dataset(orders=orders, records=out, pairs=pairs)


def _orders(rng: random.Random, keys: _Keys, count: int) -> list[Order]:
    channels, weights = list(_CHANNELS), list(_CHANNELS.values())
    orders = []
    for number in range(count):
        channel = rng.choices(channels, weights)[0]
        day = f"24{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        oms_key = f"{day}{number:08d}{rng.randrange(10**4):04d}"
        orders.append(Order(oms_key, keys.fresh(channel), channel))
    return orders


def _shared(rng: random.Random, keys: _Keys, orders: list[Order], count: int) -> list[str]:
    """Numbers two channels both use (a JD order and a mini-program order): ambiguous."""
    numbers = []
    for index in range(count):
        number = keys.fresh("jd")
        stem = f"2406{index:08d}"
        orders.append(Order(f"{stem}{rng.randrange(10**6):06d}", number, "jd"))
        orders.append(Order(f"{stem}{rng.randrange(10**6):06d}", number, "miniprogram"))
        numbers.append(number)
    return numbers


@dataclass
class _Maker:
    rng: random.Random
    keys: _Keys
    orders: list[Order]
    by_channel: dict[str, list[Order]]
    shared: list[str]

    def kind(self, kind: str) -> Iterator[Record]:
        make: Callable[[], Iterator[Record]] = getattr(self, f"_{kind}")
        for record in make():
            yield Record(record.source_key, record.remarks, record.truth, kind)

    def _pick(self, *channels: str) -> Order:
        return self.rng.choice(self.by_channel[self.rng.choice(channels)])

    def _exact(self) -> Iterator[Record]:
        o = self._pick(*_CHANNELS)
        yield Record(o.external_id, "", o.oms_key, "")

    def _oms_key(self) -> Iterator[Record]:
        # The orders before the shared-number pairs (one oms key each, never ambiguous).
        o = self.orders[self.rng.randrange(len(self.orders) - 2 * len(self.shared))]
        yield Record(o.oms_key, "", o.oms_key, "")

    def _shopify_prefix(self) -> Iterator[Record]:
        o = self._pick("shopify")
        prefix = "SHOPIFY_" if self.rng.random() < 0.3 else "shopify_"
        yield Record(f"{prefix}{o.external_id}", "", o.oms_key, "")

    def _jd_prefix(self) -> Iterator[Record]:
        o = self._pick("jd")
        yield Record(f"JD{o.external_id}", "", o.oms_key, "")

    def _shopify_dup_ab(self) -> Iterator[Record]:
        o = self._pick("shopify")
        yield Record(f"shopify_{o.external_id}_a", "", o.oms_key, "")
        yield Record(f"shopify_{o.external_id}_b", "", o.oms_key, "")

    def _sub_order(self) -> Iterator[Record]:
        o = self._pick("youzan", "taobao", "pinduoduo", "jd")
        yield Record(f"{o.external_id}-{self.rng.randint(1, 6)}", "", o.oms_key, "")

    def _lower_case(self) -> Iterator[Record]:
        o = self._pick("youzan")
        yield Record(o.external_id.lower(), "", o.oms_key, "")

    def _lower_case_sub_order(self) -> Iterator[Record]:
        o = self._pick("youzan")
        yield Record(f"{o.external_id.lower()}-{self.rng.randint(1, 4)}", "", o.oms_key, "")

    def _zero_padded(self) -> Iterator[Record]:
        o = self._pick("jd")
        sub = f"-{self.rng.randint(1, 3)}" if self.rng.random() < 0.25 else ""
        yield Record(o.external_id.zfill(16) + sub, "", o.oms_key, "")

    def _waybill(self) -> str:
        return f"SF{self.rng.randrange(10**11, 10**13)}"

    def _waybill_remark(self) -> Iterator[Record]:
        o = self._pick(*_CHANNELS)
        number = o.external_id
        if self.rng.random() < 0.2:  # the sub-order the parcel carries
            number = f"{number}-{self.rng.randint(1, 4)}"
        if self.rng.random() < 0.1:  # typed by hand
            number = number.lower()
        yield Record(self._waybill(), _remark(self.rng, [number]), o.oms_key, "")

    def _near_miss(self) -> Iterator[Record]:
        o = self._pick(*_CHANNELS)
        yield Record(_near_miss(self.rng, o.external_id, self.keys.taken), "", "", "")

    def _unknown_order(self) -> Iterator[Record]:
        number = self.keys.fresh(self.rng.choice(list(_CHANNELS)))
        yield Record(number, "", "", "")

    def _remark_decoys_only(self) -> Iterator[Record]:
        yield Record(self._waybill(), _remark(self.rng, []), "", "")

    def _remark_two_orders(self) -> Iterator[Record]:
        one, two = self._pick(*_CHANNELS), self._pick(*_CHANNELS)
        numbers = [one.external_id, two.external_id]
        yield Record(self._waybill(), _remark(self.rng, numbers), "", "")

    def _shared_number(self) -> Iterator[Record]:
        yield Record(self.rng.choice(self.shared), "", "", "")


def _seed_pairs(rng: random.Random, records: list[Record]) -> list[Record]:
    """A few labelled records of each linkable kind: what a person would pair by hand."""
    by_kind: dict[str, list[Record]] = {}
    for record in records:
        if record.kind in LINKABLE:
            by_kind.setdefault(record.kind, []).append(record)
    pairs = []
    for group in by_kind.values():
        pairs.extend(rng.sample(group, min(_SEEDS_PER_KIND, len(group))))
    return pairs
