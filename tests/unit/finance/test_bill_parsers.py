"""The payment platforms' bills as statements: signed fen, gateway trade number as reference."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest

from oms.finance.errors import MalformedStatement
from oms.finance.parsers import CsvLayout, parse_statement
from tests.fixtures.bill_server import ALIPAY_HEADER, alipay_bill_zip, wechat_trade_bill

DAY = "2026-11-24"


def test_alipay_bill_trades_and_refunds_carry_the_trade_number() -> None:
    data = alipay_bill_zip(
        [
            ("2026112422001400000001", "261124000000000001", "交易", "730.00", ""),
            ("2026112422001400000001", "261124000000000001", "退款", "-30.00", "R-1"),
        ],
        DAY,
    )
    parsed = parse_statement(data, "alipay_bill", CsvLayout())
    assert [line.amount for line in parsed.lines] == [73000, -3000]
    first = parsed.lines[0]
    assert (first.reference, first.bank_reference) == ("2026112422001400000001",) * 2
    assert first.value_date == date(2026, 11, 24)
    assert "261124000000000001" in first.memo
    assert first.line_no == 6  # the CSV line: after four comment lines and the header
    assert len({line.dedupe_key for line in parsed.lines}) == 2


def test_alipay_bill_found_by_content_when_member_names_are_unreadable() -> None:
    detail = "\n".join(
        [
            ALIPAY_HEADER,
            "2026112422001400000009\t,O9\t,交易\t,x\t,2026-11-24 10:00:00\t,2026-11-24 10:00:05"
            "\t,,,,,b\t,1.00\t,1.00\t,0,0,0,0,0,,0,0,\t,0,0,",
            "#-----业务明细列表结束-----",
        ]
    ).encode("gbk")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.csv", "#summary\n".encode("gbk"))
        archive.writestr("b.csv", detail)
    parsed = parse_statement(buffer.getvalue(), "alipay_bill", CsvLayout())
    assert [line.amount for line in parsed.lines] == [100]


def test_wechatpay_trade_bill_successes_and_refunds() -> None:
    data = wechat_trade_bill(
        [
            ("4200000000202611240000000001", "261124000000000001", "SUCCESS", "730.00"),
            ("4200000000202611240000000001", "261124000000000001", "REFUND", "30.00"),
        ],
        DAY,
    )
    parsed = parse_statement(data, "wechatpay_bill", CsvLayout())
    assert [line.amount for line in parsed.lines] == [73000, -3000]
    assert parsed.lines[0].reference == "4200000000202611240000000001"
    assert len({line.dedupe_key for line in parsed.lines}) == 2


def test_wechatpay_fundflow_bill_signs_by_income_and_expense() -> None:
    header = (
        "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,"
        "收支金额（元）,账户结余（元）,资金变更提交申请人,备注,业务凭证号"  # noqa: RUF001
    )
    rows = [
        "`2026-11-24 10:00:05,`4200000000202611240000000001,`F1,`交易,`交易,`收入,`730.00,"
        "`730.00,`system,`,`X1",
        "`2026-11-24 23:00:00,`,`F2,`提现,`提现,`支出,`700.00,`30.00,`ops,`,`X2",
        "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额",
        "`2,`1,`730.00,`1,`700.00",
    ]
    data = "\n".join([header, *rows]).encode("utf-8")
    parsed = parse_statement(data, "wechatpay_bill", CsvLayout())
    assert [line.amount for line in parsed.lines] == [73000, -70000]
    assert parsed.lines[0].reference == "4200000000202611240000000001"
    assert parsed.lines[1].bank_reference == "F2"


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (b"PK\x03\x04 not a zip at all", "alipay_bill"),
        (b"hello,world\n1,2\n", "alipay_bill"),
        (b"hello,world\n1,2\n", "wechatpay_bill"),
        (b'"' + b"x" * 200_000, "wechatpay_bill"),  # one field beyond csv's limit
    ],
)
def test_a_file_that_is_not_a_bill_is_refused(data: bytes, fmt: str) -> None:
    with pytest.raises(MalformedStatement):
        parse_statement(data, fmt, CsvLayout())
