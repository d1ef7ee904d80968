"""Bank statements as outside banks and payers write them, for the matching accuracy bench.

This generator is deliberately independent of the matching engine: it imports nothing from
``oms``, has its own seed, and takes its kinds of line from the outside world, not from what
the engine knows how to read:

- MT940 ``:86:`` with structured subfields (``?00`` posting text, ``?20``-``?29`` remittance
  cut at 27 characters, ``?32`` payer name), German style (``EREF+``/``SVWZ+``) and Chinese
  bank style (``?00汇入汇款?20货款 订单…``);
- camt.053 ``RmtInf/Ustrd`` free text and ``RmtInf/Strd/CdtrRefInf/Ref`` (plain or ISO 11649
  ``RF`` creditor references);
- Alipay and WeChat Pay settlement file lines (``商户订单号``/``支付宝交易号``, ``商户单号``/
  ``微信支付单号``), gross amounts;
- payer-name-only lines (full or masked names: ``张*三``), platform order numbers only
  (Tmall, JD, Shopify ids), look-alike characters (O for 0, I/l for 1, full-width digits),
  one-digit typos, one line paying two orders, refunds sent (request number or the gateway's
  refund number), and unrelated lines (fees, interest, salaries).

It writes real MT940, camt.053 and CSV files; the bench parses them with oms's parsers. Every
line is labelled with the order money it truly is (``truth``) and its kind.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from xml.sax.saxutils import escape

__all__ = ["KINDS", "Generated", "Label", "OutsideMovement", "generate"]

START = date(2026, 10, 1)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = [
    "芳",
    "伟",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "晓明",
    "建华",
]
LATIN = ["John Smith", "Anna Müller", "Peter Wang", "Lisa Chen", "Hans Becker", "Mary Lee"]
PRICES = [990, 1990, 2990, 3900, 4990, 5900, 6900, 9900, 12800, 19900, 29900, 39900]
FULL_WIDTH = {ord(d): 0xFF10 + int(d) for d in "0123456789"}

#: (kind, weight, expected outcome): ``auto`` lines carry a reference and should be
#: confirmed; ``review`` lines must never be; ``candidate`` lines name no reference.
KINDS: list[tuple[str, int, str]] = [
    ("mt940_structured_de", 8, "auto"),
    ("mt940_structured_cn", 8, "auto"),
    ("camt_ustrd", 8, "auto"),
    ("camt_strd_cdtrrefinf", 6, "auto"),
    ("alipay_settlement", 8, "auto"),
    ("wechat_settlement", 6, "auto"),
    ("platform_order_only", 8, "auto"),
    ("lookalike_characters", 8, "auto"),
    ("one_line_two_orders", 5, "auto"),
    ("refund_sent", 5, "auto"),
    ("one_digit_typo", 8, "review"),
    ("payer_name_only", 10, "candidate"),
    ("unrelated", 6, "none"),
]


@dataclass(frozen=True, slots=True)
class OutsideMovement:
    """Money the shop expects: a payment (amount > 0) or a refund sent (amount < 0)."""

    id: str
    amount: int
    paid_on: date
    order_no: str
    trade_no: str
    external_id: str | None
    buyer_name: str
    refund_no: str | None = None
    gateway_refund_no: str | None = None


@dataclass(frozen=True, slots=True)
class Label:
    kind: str
    expected: str
    truth: frozenset[str]
    value_date: date
    amount: int


@dataclass(slots=True)
class Generated:
    movements: list[OutsideMovement]
    labels: dict[str, list[Label]] = field(default_factory=dict)  # by format
    files: dict[str, bytes] = field(default_factory=dict)  # format → file content


@dataclass(slots=True)
class _Entry:
    amount: int
    value_date: date
    memo: str
    payer: str | None = None
    strd_ref: str | None = None


class _World:
    def __init__(self, rng: random.Random, order_count: int) -> None:
        self.rng = rng
        self.sequence = rng.randrange(10_000, 90_000)
        self.orders = [self._order(i) for i in range(order_count)]
        self.refunds: list[OutsideMovement] = []
        self.free = list(range(order_count))
        rng.shuffle(self.free)

    def _name(self) -> str:
        if self.rng.random() < 0.1:
            return self.rng.choice(LATIN)
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def _order(self, i: int) -> OutsideMovement:
        rng = self.rng
        day = START + timedelta(days=rng.randrange(45))
        # Shop numbers are sequential: neighbours differ in the last digits, as in real shops.
        self.sequence += rng.randrange(1, 4)
        order_no = f"{day:%y%m%d}{self.sequence:012d}"
        gateway = rng.random()
        if gateway < 0.6:
            trade_no = f"{day:%Y%m%d}2200{rng.randrange(10**16):016d}"  # Alipay, 28 digits
        else:
            trade_no = f"42000{rng.randrange(10**5):05d}{day:%Y%m%d}{rng.randrange(10**10):010d}"
        platform = rng.random()
        external = None
        if platform < 0.3:
            external = f"{rng.randrange(10**18, 10**19)}"  # Tmall, 19 digits
        elif platform < 0.45:
            external = f"{rng.randrange(10**11, 10**12)}"  # JD, 12 digits
        elif platform < 0.55:
            external = f"{rng.randrange(5 * 10**12, 6 * 10**12)}"  # Shopify order id
        amount = rng.choice(PRICES) * rng.choice([1, 1, 1, 2, 3]) + rng.choice([0, 0, 0, 1000])
        if rng.random() < 0.3:
            amount = rng.randrange(500, 500_000)
        return OutsideMovement(f"o{i}", amount, day, order_no, trade_no, external, self._name())

    def take(self, *, with_external: bool = False) -> OutsideMovement:
        for position, index in enumerate(self.free):
            order = self.orders[index]
            if not with_external or order.external_id:
                del self.free[position]
                return order
        raise RuntimeError("generator ran out of orders")

    def take_near(self, day: date) -> OutsideMovement:
        """An order paid within two days of ``day``: one payer settling two orders at once."""
        for position, index in enumerate(self.free):
            if abs((self.orders[index].paid_on - day).days) <= 2:
                del self.free[position]
                return self.orders[index]
        return self.take()

    def refund(self) -> OutsideMovement:
        order = self.take()
        part = order.amount if self.rng.random() < 0.5 else self.rng.randrange(100, order.amount)
        gateway_no = None
        if order.trade_no.startswith("42"):
            gateway_no = f"503000{self.rng.randrange(10**23):023d}"
        refund = OutsideMovement(
            f"r{len(self.refunds)}",
            -part,
            order.paid_on + timedelta(days=self.rng.randrange(1, 10)),
            order.order_no,
            order.trade_no,
            order.external_id,
            order.buyer_name,
            refund_no=str(uuid.UUID(int=self.rng.getrandbits(128))),
            gateway_refund_no=gateway_no,
        )
        self.refunds.append(refund)
        return refund


def _settled(rng: random.Random, order: OutsideMovement) -> date:
    """Banks book T+0..T+2 after the payment."""
    return order.paid_on + timedelta(days=rng.choice([0, 1, 1, 1, 2]))


def _cut(text: str, size: int = 27) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _mt940_de(rng: random.Random, order: OutsideMovement) -> str:
    remittance = f"EREF+{order.order_no} SVWZ+Bestellung {order.order_no} vom {order.paid_on:%d.%m}"
    if rng.random() < 0.5:
        remittance = f"SVWZ+Rechnung Nr {order.order_no} Kd {rng.randrange(10**5)}"
    fields = "".join(f"?{20 + i}{part}" for i, part in enumerate(_cut(remittance)[:10]))
    bank = "?30HYVEDEMMXXX?31DE12500105170648489890"
    return f"166?00GUTSCHRIFT?100599{fields}{bank}?32{order.buyer_name.upper()}"


def _mt940_cn(rng: random.Random, order: OutsideMovement) -> str:
    text = rng.choice(["货款 订单号{n}", "网银汇款 {n} 付款", "ORDER NO {n} PAYMENT", "付订单{n}"])
    fields = "".join(f"?{20 + i}{p}" for i, p in enumerate(_cut(text.format(n=order.order_no))))
    return f"?00汇入汇款{fields}?32{order.buyer_name}"


def _lookalike(rng: random.Random, number: str) -> str:
    style = rng.randrange(4)
    if style == 0:
        return number.replace("0", "O")
    if style == 1:
        return number.replace("1", rng.choice("Il"))
    if style == 2:
        return number.translate(FULL_WIDTH)
    at = rng.randrange(len(number) - 4)
    head, tail = number[:at], number[at:]
    return head + tail.replace("0", "O", 1).replace("1", "l", 1)


def _typo(rng: random.Random, number: str, taken: set[str]) -> str:
    """One digit wrong (never the number of another real order: a clerk could not tell)."""
    while True:
        at = rng.randrange(len(number))
        digit = str((int(number[at]) + rng.randrange(1, 10)) % 10)
        written = number[:at] + digit + number[at + 1 :]
        if written not in taken:
            return written


def _masked(rng: random.Random, name: str) -> str:
    if len(name) < 2 or not "\u4e00" <= name[0] <= "\u9fff" or rng.random() < 0.5:
        return name
    return name[0] + "*" * (len(name) - 2) + name[-1] if len(name) > 2 else "*" + name[-1]


class _Builder:
    def __init__(self, rng: random.Random, world: _World) -> None:
        self.rng = rng
        self.world = world
        self.entries: dict[str, list[tuple[_Entry, Label]]] = {
            "mt940": [],
            "camt053": [],
            "csv": [],
        }
        self.numbers = {o.order_no for o in world.orders}

    def add(self, fmt: str, entry: _Entry, kind: str, expected: str, truth: set[str]) -> None:
        label = Label(kind, expected, frozenset(truth), entry.value_date, entry.amount)
        self.entries[fmt].append((entry, label))

    def make(self, kind: str, expected: str) -> None:
        rng, world = self.rng, self.world
        if kind == "unrelated":
            self._unrelated()
            return
        if kind == "refund_sent":
            refund = world.refund()
            ref = refund.gateway_refund_no or refund.refund_no or ""
            memo = rng.choice(["微信支付退款 {r}", "REFUND {r}", "退款 {r} 订单{o}"]).format(
                r=ref, o=refund.order_no
            )
            entry = _Entry(refund.amount, refund.paid_on + timedelta(days=rng.choice([0, 1])), memo)
            self.add(rng.choice(["csv", "camt053"]), entry, kind, expected, {refund.id})
            return
        if kind == "one_line_two_orders":
            first = world.take()
            second = world.take_near(first.paid_on)
            refs = f"{first.order_no} {second.order_no}"
            memo = rng.choice(["货款 订单{r}", "PAYMENT ORDERS {r}", "合并付款 {r} {n}"])
            entry = _Entry(
                first.amount + second.amount,
                _settled(rng, max(first, second, key=lambda o: o.paid_on)),
                memo.format(r=refs, n=first.buyer_name),
            )
            self.add(
                rng.choice(["csv", "camt053", "mt940"]),
                entry,
                kind,
                expected,
                {first.id, second.id},
            )
            return
        order = world.take(with_external=kind == "platform_order_only")
        entry, fmt = self._single(kind, order)
        self.add(fmt, entry, kind, expected, {order.id})

    def _single(self, kind: str, order: OutsideMovement) -> tuple[_Entry, str]:
        rng = self.rng
        day = _settled(rng, order)
        amount = order.amount
        if rng.random() < 0.1 and kind not in {"alipay_settlement", "wechat_settlement"}:
            amount -= rng.choice([10, 20, 50])  # a transfer fee the bank kept (within 0.50)
        if kind == "mt940_structured_de":
            return _Entry(amount, day, _mt940_de(rng, order)), "mt940"
        if kind == "mt940_structured_cn":
            return _Entry(amount, day, _mt940_cn(rng, order)), "mt940"
        if kind == "camt_ustrd":
            memo = rng.choice(["网银转账 订单号:{n}", "Payment order {n}", "货款{n}"]).format(
                n=order.order_no
            )
            return _Entry(amount, day, memo, payer=order.buyer_name), "camt053"
        if kind == "camt_strd_cdtrrefinf":
            ref = (
                order.order_no
                if rng.random() < 0.5
                else f"RF{rng.randrange(10, 99)}{order.order_no}"
            )
            return _Entry(amount, day, "", payer=order.buyer_name, strd_ref=ref), "camt053"
        if kind == "alipay_settlement":
            payer = _masked(rng, order.buyer_name)
            memo = (
                f"在线支付|商户订单号:{order.order_no}|支付宝交易号:{order.trade_no}|对方:{payer}"
            )
            if rng.random() < 0.3:
                memo = f"交易|支付宝交易号 {order.trade_no}|{payer}"
            return _Entry(order.amount, day, memo), "csv"
        if kind == "wechat_settlement":
            payer = _masked(rng, order.buyer_name)
            memo = f"微信支付|微信支付单号:{order.trade_no}|商户单号:{order.order_no}|用户:{payer}"
            return _Entry(order.amount, day, memo), "csv"
        if kind == "platform_order_only":
            memo = rng.choice(
                ["天猫订单 {e}", "京东 订单号{e}", "Shopify order {e}", "{e} 货款"]
            ).format(e=order.external_id)
            return _Entry(amount, day, memo), rng.choice(["csv", "camt053"])
        if kind == "lookalike_characters":
            memo = rng.choice(["订单{n} {p}", "ORDER {n}", "付款 {n}"]).format(
                n=_lookalike(rng, order.order_no), p=order.buyer_name
            )
            return _Entry(order.amount, day, memo), rng.choice(["csv", "camt053"])
        if kind == "one_digit_typo":
            memo = rng.choice(["订单{n} {p}", "货款 订单号:{n}", "PAYMENT {n}"]).format(
                n=_typo(rng, order.order_no, self.numbers), p=order.buyer_name
            )
            return _Entry(order.amount, day, memo), rng.choice(["csv", "camt053", "mt940"])
        # payer_name_only
        memo = rng.choice(["网银转账 {p}", "{p} 转账", "TRF FROM {p}", "个人汇款 {p} 货款"]).format(
            p=_masked(rng, order.buyer_name)
        )
        return _Entry(order.amount, day, memo), rng.choice(["csv", "camt053", "mt940"])

    def _unrelated(self) -> None:
        rng = self.rng
        day = START + timedelta(days=rng.randrange(50))
        memo, sign = rng.choice(
            [
                ("账户管理费 {m}月", -1),
                ("INTEREST Q{q}", 1),
                ("工资 {p} {m}月", -1),
                ("短信服务费", -1),
                ("税款 {n}", -1),
            ]
        )
        text = memo.format(
            m=rng.randrange(1, 13),
            q=rng.randrange(1, 5),
            p=self.world._name(),
            n=rng.randrange(10**8),
        )
        entry = _Entry(sign * rng.randrange(100, 900_000), day, text)
        self.add(rng.choice(["csv", "mt940"]), entry, "unrelated", "none", set())


def _money(amount: int, decimal: str) -> str:
    return f"{abs(amount) // 100}{decimal}{abs(amount) % 100:02d}"


def _mt940(entries: list[_Entry]) -> bytes:
    opening = 10_000_000
    out = [
        ":20:OUTSIDE1",
        ":25:CN12345678901234567/CNY",
        ":28C:00001/1",
        f":60F:C{START:%y%m%d}CNY{_money(opening, ',')}",
    ]
    balance = opening
    for number, entry in enumerate(entries):
        mark = "C" if entry.amount > 0 else "D"
        out.append(
            f":61:{entry.value_date:%y%m%d}{entry.value_date:%m%d}{mark}"
            f"{_money(entry.amount, ',')}NTRFNONREF//B{number:010d}"
        )
        memo = entry.memo if not entry.payer else f"{entry.memo}?32{entry.payer}"
        lines = [memo[i : i + 65] for i in range(0, len(memo), 65)] or [""]
        out.append(f":86:{lines[0]}")
        out.extend(lines[1:])
        balance += entry.amount
    mark = "C" if balance >= 0 else "D"
    out.append(f":62F:{mark}{START + timedelta(days=60):%y%m%d}CNY{_money(balance, ',')}")
    return ("\n".join(out) + "\n").encode()


def _camt(entries: list[_Entry]) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>',
        "<GrpHdr><MsgId>OUTSIDE1</MsgId><CreDtTm>2026-12-01T06:00:00+08:00</CreDtTm></GrpHdr>",
        "<Stmt><Id>OUTSIDE-1</Id><Acct><Id><Othr><Id>6226090000009999</Id></Othr></Id><Ccy>CNY</Ccy></Acct>",
    ]
    for number, entry in enumerate(entries):
        mark = "CRDT" if entry.amount > 0 else "DBIT"
        party = ""
        if entry.payer:
            role = "Dbtr" if entry.amount > 0 else "Cdtr"
            party = f"<RltdPties><{role}><Nm>{escape(entry.payer)}</Nm></{role}></RltdPties>"
        if entry.strd_ref:
            kind = "<Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
            ref = f"<Ref>{escape(entry.strd_ref)}</Ref>"
            rmt = f"<RmtInf><Strd><CdtrRefInf>{kind}{ref}</CdtrRefInf></Strd></RmtInf>"
        else:
            rmt = f"<RmtInf><Ustrd>{escape(entry.memo)}</Ustrd></RmtInf>"
        parts.append(
            f'<Ntry><Amt Ccy="CNY">{_money(entry.amount, ".")}</Amt><CdtDbtInd>{mark}</CdtDbtInd>'
            f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{entry.value_date}</Dt></BookgDt>"
            f"<ValDt><Dt>{entry.value_date}</Dt></ValDt><AcctSvcrRef>OUT{number:012d}</AcctSvcrRef>"
            f"<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>{party}{rmt}</TxDtls></NtryDtls></Ntry>"
        )
    parts.append("</Stmt></BkToCstmrStmt></Document>")
    return "\n".join(parts).encode()


def _csv(entries: list[_Entry]) -> bytes:
    rows = ["date,amount,currency,memo,reference"]
    for entry in entries:
        sign = "-" if entry.amount < 0 else ""
        memo = entry.memo.replace('"', "'")
        rows.append(f'{entry.value_date},{sign}{_money(entry.amount, ".")},CNY,"{memo}",')
    return ("\n".join(rows) + "\n").encode("utf-8")


def generate(seed: int, *, line_count: int, order_count: int) -> Generated:
    """``line_count`` labelled lines in three files, against ``order_count`` open orders (most
    of which no line pays: they are the distractors a real ledger has)."""
    rng = random.Random(seed)
    world = _World(rng, order_count)
    builder = _Builder(rng, world)
    names = [k for k, _, _ in KINDS]
    weights = [w for _, w, _ in KINDS]
    expected = {k: e for k, _, e in KINDS}
    for _ in range(line_count):
        kind = rng.choices(names, weights=weights)[0]
        builder.make(kind, expected[kind])
    generated = Generated(movements=world.orders + world.refunds)
    writers = {"mt940": _mt940, "camt053": _camt, "csv": _csv}
    for fmt, items in builder.entries.items():
        generated.files[fmt] = writers[fmt]([entry for entry, _ in items])
        generated.labels[fmt] = [label for _, label in items]
    return generated
