"""Payment platforms' daily bills: Alipay's zipped GBK CSV, WeChat Pay's trade and fund-flow bills.

A bill line's ``reference`` is the gateway's trade number (支付宝交易号 / 微信订单号 /
微信支付业务单号), which expected movements carry as ``trade_no``, so it matches exactly; the
merchant order number goes into the memo. Amounts are yuan in the file, fen here; refunds and
outgoing funds are negative. The identity of a line is the platform's own numbers, so the
same trade in two overlapping bills is stored once.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime

from oms.finance.parsers.base import ParsedLine, ParsedStatement, malformed, to_minor

__all__ = ["parse_alipay_bill", "parse_wechatpay_bill"]

# A day's bill is a few MB at most; refuse archives that would inflate beyond this.
MAX_BILL_BYTES = 64 * 1024 * 1024
_ALIPAY_DETAIL = "业务明细"
_ALIPAY_SUMMARY = "汇总"
# The bills' own column names, full-width parentheses included.
_ALIPAY_AMOUNT = "订单金额（元）"  # noqa: RUF001
_WECHAT_FUND_AMOUNT = "收支金额（元）"  # noqa: RUF001


def parse_alipay_bill(data: bytes) -> ParsedStatement:
    """An Alipay ``trade`` bill: the zip as downloaded, or its 业务明细 CSV alone."""
    text = _alipay_detail_csv(data) if data[:2] == b"PK" else _decode(data, "gb18030")
    rows = _rows(text)
    header_at = _find_header(rows, "支付宝交易号")
    header = [cell.strip() for cell in rows[header_at]]
    lines: list[ParsedLine] = []
    for index in range(header_at + 1, len(rows)):
        row = rows[index]
        if not row or row[0].lstrip().startswith("#"):
            break  # "#-----业务明细列表结束-----" and the totals after it
        lines.append(
            _alipay_line(dict(zip(header, (c.strip() for c in row), strict=False)), index + 1)
        )
    return ParsedStatement(account="alipay", lines=lines)


def parse_wechatpay_bill(data: bytes) -> ParsedStatement:
    """A WeChat Pay v3 trade bill (``tradebill``) or fund-flow bill (``fundflowbill``)."""
    rows = _rows(_decode(data, "utf-8-sig"))
    if not rows:
        raise malformed(1, "the bill is empty")
    header = [cell.strip() for cell in rows[0]]
    is_trade = "微信订单号" in header
    if not is_trade and "资金流水单号" not in header:
        raise malformed(1, "not a WeChat Pay trade or fund-flow bill header")
    lines: list[ParsedLine] = []
    for index in range(1, len(rows)):
        row = [cell.strip().lstrip("`") for cell in rows[index]]
        if not row or not row[0] or row[0].startswith(("总", "资金流水总")):
            break  # the totals section
        fields = dict(zip(header, row, strict=False))
        line = _wechat_trade(fields, index + 1) if is_trade else _wechat_fund(fields, index + 1)
        lines.append(line)
    return ParsedStatement(account="wechatpay", lines=lines)


def _alipay_detail_csv(data: bytes) -> str:
    """The 业务明细 CSV of the zip: by name first, else the member with the detail header."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in archive.infolist() if not info.is_dir()]
        # The detail file before the summary (汇总); a garbled name sorts by content alone.
        members.sort(key=lambda info: (_ALIPAY_SUMMARY in _zip_name(info), _zip_name(info)))
        for info in members:
            if info.file_size > MAX_BILL_BYTES:
                raise malformed(1, f"a bill member is larger than {MAX_BILL_BYTES} bytes")
            with archive.open(info) as member:
                raw = member.read(MAX_BILL_BYTES + 1)
            if len(raw) > MAX_BILL_BYTES:
                raise malformed(1, "the bill inflates beyond its declared size")
            text = _decode(raw, "gb18030")
            if "支付宝交易号" in text and _ALIPAY_SUMMARY not in _zip_name(info):
                return text
    except (
        zipfile.BadZipFile,
        EOFError,
        ValueError,
        NotImplementedError,
        RuntimeError,
        OSError,
    ) as exc:
        # Also encrypted members (RuntimeError) and unknown compression (NotImplementedError).
        raise malformed(1, f"the Alipay bill is not a readable zip: {exc}") from None
    raise malformed(1, f"the Alipay bill zip holds no {_ALIPAY_DETAIL} CSV")


def _rows(text: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text))
    try:
        return list(reader)
    except csv.Error as exc:
        raise malformed(reader.line_num or 1, f"not readable as CSV: {exc}") from None


def _zip_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x800:  # the name is UTF-8
        return info.filename
    # Alipay writes GBK names without the UTF-8 flag; zipfile read them as cp437.
    return info.filename.encode("cp437", errors="replace").decode("gb18030", errors="replace")


def _decode(data: bytes, encoding: str) -> str:
    for candidate in (encoding, "utf-8-sig", "gb18030"):
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    raise malformed(1, "the bill is neither UTF-8 nor GB18030 text")


def _find_header(rows: list[list[str]], first: str) -> int:
    for index, row in enumerate(rows):
        if row and row[0].strip() == first:
            return index
    raise malformed(1, f"no header row starting with {first}; is this an Alipay trade bill?")


def _alipay_line(fields: dict[str, str], line_no: int) -> ParsedLine:
    trade_no = _required(fields, "支付宝交易号", line_no)
    kind = fields.get("业务类型", "")
    amount = abs(to_minor(_required(fields, _ALIPAY_AMOUNT, line_no), "CNY", line_no=line_no))
    signed = -amount if kind == "退款" else amount
    finished = fields.get("完成时间") or fields.get("创建时间") or ""
    refund_no = fields.get("退款批次号/请求号", "")
    out_trade_no = fields.get("商户订单号", "")
    memo = " ".join(x for x in (kind, out_trade_no, fields.get("商品名称", ""), refund_no) if x)
    return ParsedLine(
        line_no=line_no,
        value_date=_day(finished, line_no),
        amount=signed,
        currency="CNY",
        memo=memo,
        reference=trade_no,
        bank_reference=trade_no,
        identity=("alipay", trade_no, kind, refund_no),
    )


def _wechat_trade(fields: dict[str, str], line_no: int) -> ParsedLine:
    transaction_id = _required(fields, "微信订单号", line_no)
    state = fields.get("交易状态", "")
    currency = (fields.get("货币种类") or "CNY").upper()
    refund_no = fields.get("微信退款单号", "")
    if state == "REFUND":
        amount = -abs(to_minor(_required(fields, "退款金额", line_no), currency, line_no=line_no))
    else:
        amount = to_minor(_required(fields, "应结订单金额", line_no), currency, line_no=line_no)
    out_trade_no = fields.get("商户订单号", "")
    memo = " ".join(x for x in (state, out_trade_no, fields.get("商品名称", ""), refund_no) if x)
    return ParsedLine(
        line_no=line_no,
        value_date=_day(fields.get("交易时间", ""), line_no),
        amount=amount,
        currency=currency if len(currency) == 3 else "CNY",
        memo=memo,
        reference=transaction_id,
        bank_reference=transaction_id,
        identity=("wechatpay", transaction_id, state, refund_no),
    )


def _wechat_fund(fields: dict[str, str], line_no: int) -> ParsedLine:
    flow_no = _required(fields, "资金流水单号", line_no)
    amount = abs(to_minor(_required(fields, _WECHAT_FUND_AMOUNT, line_no), "CNY", line_no=line_no))
    signed = -amount if fields.get("收支类型") == "支出" else amount
    business_no = fields.get("微信支付业务单号", "")
    memo = " ".join(
        x
        for x in (fields.get("业务名称", ""), fields.get("业务类型", ""), fields.get("备注", ""))
        if x
    )
    return ParsedLine(
        line_no=line_no,
        value_date=_day(fields.get("记账时间", ""), line_no),
        amount=signed,
        currency="CNY",
        memo=memo,
        reference=business_no or None,
        bank_reference=flow_no,
        identity=("wechatpay-fund", flow_no),
    )


def _required(fields: dict[str, str], name: str, line_no: int) -> str:
    value = fields.get(name, "")
    if not value:
        raise malformed(line_no, f"the bill line has no {name}")
    return value


def _day(text: str, line_no: int) -> date:
    try:
        return datetime.strptime(text.strip()[:19], "%Y-%m-%d %H:%M:%S").date()
    except ValueError:
        raise malformed(line_no, f"time {text!r} is not yyyy-MM-dd HH:mm:ss") from None
