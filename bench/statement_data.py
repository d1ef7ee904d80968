"""A labelled generator of expected movements and bank statement lines, for the finance benches.

Movements carry 18-digit oms order numbers, Alipay-style trade numbers and some external ids;
one in ten has a look-alike (an order number one digit away, another amount). Lines are what
banks really print: Chinese and English memos, prefixes, separators, case, one-digit typos,
amount noise within and beyond tolerance, late value dates, split and merged payments, and
unrelated lines. Every line is labelled with the movements it truly pays, and with whether a
careful clerk would confirm it without a second look (``is_sure``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from oms.finance.matching import Line, Movement

__all__ = ["Labelled", "generate"]

START = date(2026, 11, 1)
NAMES_CN = ["张三", "李四", "王五", "赵六", "陈晓明", "刘洋", "上海某某贸易有限公司"]
NAMES_EN = ["JOHN SMITH", "ACME TRADING LTD", "Mary Chen", "GLOBAL IMPORTS CO"]
MEMOS = [
    "支付宝转账 订单{ref}",
    "微信支付 商户单号{ref} {name}",
    "网银转账 订单号:{ref} 货款",
    "货款 {ref} {name}",
    "{name} 付款 订单{ref} 备注:尽快发货",
    "PAYMENT REF {ref}",
    "ORDER NO. {ref} THANK YOU",
    "TRF FROM {name_en} /REF/{ref}",
    "/EREF/{ref}/REMI/INVOICE {n}",
    "Payment for order #{ref} ({n} items)",
]
UNRELATED = [
    "BANK FEE {month}",
    "工资 {name} {n}",
    "转账 {name} 手机{phone}",
    "INTEREST Q{n}",
    "退款 手续费 {n}",
    "TRF {digits} {name_en}",
]


@dataclass(frozen=True, slots=True)
class Labelled:
    line: Line
    truth: frozenset[str]
    is_sure: bool
    case: str


def _order_no(rng: random.Random, day: date) -> str:
    return f"{day:%y%m%d}{rng.randrange(86_400_000):08d}{rng.randrange(10_000):04d}"


def _movement(rng: random.Random, number: int) -> Movement:
    day = START + timedelta(days=rng.randrange(60))
    order_no = _order_no(rng, day)
    trade_no = f"{day:%Y%m%d}2200{rng.randrange(10**14):014d}"
    external = f"TB{rng.randrange(10**10):010d}" if number % 3 == 0 else None
    amount = rng.choice([rng.randrange(990, 50_000), rng.randrange(50_000, 2_000_000)])
    return Movement(f"m{number}", amount, "CNY", day, order_no, trade_no, external)


def _lookalike(rng: random.Random, movement: Movement, number: int) -> Movement:
    assert movement.order_no is not None
    digits = list(movement.order_no)
    at = rng.randrange(6, 18)
    digits[at] = str((int(digits[at]) + rng.randrange(1, 10)) % 10)
    amount = rng.randrange(990, 2_000_000)
    return Movement(f"m{number}", amount, "CNY", movement.expected_date, "".join(digits))


def movements(rng: random.Random, count: int) -> list[Movement]:
    """``count`` movements; one in ten is a look-alike of the one before it."""
    made: list[Movement] = []
    while len(made) < count:
        made.append(_movement(rng, len(made)))
        if len(made) % 10 == 9:
            made.append(_lookalike(rng, made[-1], len(made)))
    return made[:count]


def _styled(rng: random.Random, ref: str) -> str:
    style = rng.randrange(7)
    if style == 1:
        return f"SO-{ref[:4]}-{ref[4:6]}-{ref[6:]}"
    if style == 2:
        return " ".join(ref[i : i + 6] for i in range(0, len(ref), 6))
    if style == 3:
        return "-".join(ref[i : i + 4] for i in range(0, len(ref), 4))
    if style == 4:
        return f"no.{ref}".lower()
    if style == 5:
        return f"SO{ref}"
    return ref


def _typo(rng: random.Random, ref: str) -> str:
    at = rng.randrange(len(ref) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return ref[:at] + str((int(ref[at]) + rng.randrange(1, 10)) % 10) + ref[at + 1 :]
    if kind == 1:
        return ref[:at] + ref[at + 1] + ref[at] + ref[at + 2 :]
    if kind == 2:
        return ref[:at] + ref[at + 1 :]
    return ref[:at] + str(rng.randrange(10)) + ref[at:]


def _memo(rng: random.Random, refs: list[str]) -> str:
    template = rng.choice(MEMOS)
    return template.format(
        ref=" ".join(refs),
        name=rng.choice(NAMES_CN),
        name_en=rng.choice(NAMES_EN),
        n=rng.randrange(1, 99),
    )


def _reference(rng: random.Random, movement: Movement) -> str:
    roll = rng.random()
    if roll < 0.15:
        return movement.trade_no or ""
    if roll < 0.25 and movement.external_id:
        return movement.external_id[:2] + "-" + movement.external_id[2:]
    return _styled(rng, movement.order_no or "")


def _days(rng: random.Random) -> int:
    return rng.choices([0, 1, 2, 3, -1], weights=[50, 28, 12, 5, 5])[0]


def _noise(rng: random.Random) -> int:
    return 0 if rng.random() < 0.8 else rng.choice([-1, 1]) * rng.randrange(1, 51)


def _line(number: int, amount: int, day: date, text: str) -> Line:
    return Line(f"l{number}", amount, "CNY", day, text)


CASES = [
    ("clean", 70),
    ("typo", 6),
    ("lookalike_payer", 3),
    ("typo_onto_lookalike", 1),
    ("over_tolerance", 3),
    ("late", 3),
    ("split", 3),
    ("merged", 3),
    ("unrelated", 8),
]


class _Maker:
    def __init__(self, rng: random.Random, pool: list[Movement]) -> None:
        self.rng = rng
        self.pool = pool
        self.next_movement = 0
        self.made: list[Labelled] = []
        self.last = 0

    def take(self, *, lookalike: bool = False) -> Movement:
        """An unused movement (an original with a look-alike next to it, when asked)."""
        while True:
            position = self.next_movement
            self.next_movement += 1
            # Look-alikes (position 9 of 10) are paid only by the look-alike cases.
            if (not lookalike and position % 10 != 9) or position % 10 == 8:
                self.last = position
                return self.pool[position]

    def add(
        self, amount: int, day: date, text: str, truth: set[str], sure: bool, case: str
    ) -> None:
        line = _line(len(self.made), amount, day, text)
        self.made.append(Labelled(line, frozenset(truth), sure, case))

    def paid(self, movement: Movement) -> date:
        return movement.expected_date + timedelta(days=_days(self.rng))


def _make(maker: _Maker, case: str) -> None:
    rng = maker.rng
    if case == "unrelated":
        text = rng.choice(UNRELATED).format(
            month="NOV",
            name=rng.choice(NAMES_CN),
            name_en=rng.choice(NAMES_EN),
            n=rng.randrange(1, 9999),
            phone=f"1{rng.randrange(10**10):010d}",
            digits=f"{rng.randrange(10**18):018d}",
        )
        day = START + timedelta(days=rng.randrange(60))
        maker.add(rng.choice([1, -1]) * rng.randrange(100, 500_000), day, text, set(), False, case)
        return
    if case in {"split", "merged"}:
        _make_group(maker, case)
        return
    movement = maker.take(lookalike=case in {"lookalike_payer", "typo_onto_lookalike"})
    amount, day, sure = movement.amount + _noise(rng), maker.paid(movement), True
    ref = _reference(rng, movement)
    truth = {movement.id}
    if case == "typo":
        # Since issue 11 a typo is never confirmed automatically: not a sure line any more.
        ref, sure = _typo(rng, movement.order_no or ""), False
    elif case == "lookalike_payer":
        twin = maker.pool[maker.last + 1]
        amount, day, ref, truth = twin.amount, maker.paid(twin), twin.order_no or "", {twin.id}
    elif case == "typo_onto_lookalike":
        ref, sure = maker.pool[maker.last + 1].order_no or "", False
    elif case == "over_tolerance":
        amount, sure = movement.amount - rng.randrange(51, 2_000), False
    elif case == "late":
        day, sure = movement.expected_date + timedelta(days=rng.randrange(5, 10)), False
    maker.add(amount, day, _memo(rng, [ref]), truth, sure, case)


def _make_group(maker: _Maker, case: str) -> None:
    rng = maker.rng
    if case == "merged":
        first, second = maker.take(), maker.take()
        refs = [_styled(rng, first.order_no or ""), _styled(rng, second.order_no or "")]
        text = _memo(rng, refs)
        truth = {first.id, second.id}
        maker.add(first.amount + second.amount, maker.paid(first), text, truth, False, case)
        return
    movement = maker.take()
    part = rng.randrange(movement.amount // 5, movement.amount * 4 // 5)
    for amount in (part, movement.amount - part):
        text = _memo(rng, [_styled(rng, movement.order_no or "")])
        maker.add(amount, maker.paid(movement), text, {movement.id}, False, case)


def generate(
    seed: int, *, movement_count: int, line_count: int
) -> tuple[list[Movement], list[Labelled]]:
    """Movements and labelled lines; lines pay distinct movements (except split parts)."""
    rng = random.Random(seed)
    pool = movements(rng, movement_count)
    maker = _Maker(rng, pool)
    names, weights = zip(*CASES, strict=True)
    while len(maker.made) < line_count and maker.next_movement < movement_count - 20:
        _make(maker, rng.choices(names, weights=weights)[0])
    return pool, maker.made
