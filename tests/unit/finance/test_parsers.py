"""Statement parsers on realistic sample files, and their errors on malformed ones."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from oms.finance.errors import MalformedStatement, UnsupportedStatementFormat
from oms.finance.parsers import CsvLayout, parse_statement

SAMPLES = Path(__file__).parents[2] / "fixtures" / "statements"


def _read(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_mt940_lines_carry_signed_fen_dates_memo_and_references() -> None:
    parsed = parse_statement(_read("sample.mt940"), "mt940", CsvLayout())
    assert parsed.account == "ICBC1234567890123/CNY"
    assert [line.amount for line in parsed.lines] == [128850, 39900, -5990]
    first = parsed.lines[0]
    assert first.value_date == date(2026, 11, 24)
    assert "订单261125000123451234" in first.memo
    assert parsed.lines[1].reference == "SO2611250001"
    assert first.line_no == 5
    assert len({line.dedupe_key for line in parsed.lines}) == 3


def test_camt053_takes_booked_entries_only_matching_by_local_name() -> None:
    parsed = parse_statement(_read("sample.camt053.xml"), "camt053", CsvLayout())
    assert parsed.account == "6226090000001234"
    assert [line.amount for line in parsed.lines] == [128850, -19900]
    assert "2611-2500-0123-4512-34" in parsed.lines[0].memo
    assert parsed.lines[1].reference == "RF261125000999998888"
    assert parsed.lines[0].bank_reference == "CMBC2611250000001"


def test_camt053_other_versions_parse_the_same() -> None:
    v02 = _read("sample.camt053.xml").replace(b"camt.053.001.08", b"camt.053.001.02")
    assert len(parse_statement(v02, "camt053", CsvLayout()).lines) == 2


def test_csv_with_default_layout() -> None:
    parsed = parse_statement(_read("sample.csv"), "csv", CsvLayout())
    assert [line.amount for line in parsed.lines] == [128850, 39900, -5990]
    assert parsed.lines[0].line_no == 2


def test_csv_with_debit_credit_columns_and_comma_decimals() -> None:
    layout = CsvLayout(
        date_column="交易日期",
        date_format="%d.%m.%Y",
        memo_columns=("摘要", "对方户名"),
        currency_column="币种",
        reference_column=None,
        sign="columns",
        credit_column="贷方金额",
        debit_column="借方金额",
        decimal=",",
        delimiter=";",
    )
    parsed = parse_statement(_read("icbc-columns.csv"), "csv", layout)
    assert [line.amount for line in parsed.lines] == [128850, -5990]
    assert parsed.lines[0].memo == "订单 261125000123451234 张三"


def test_identical_lines_in_one_file_are_both_kept() -> None:
    data = b"date,amount,currency,memo,reference\n2026-11-24,1.00,CNY,x,\n2026-11-24,1.00,CNY,x,\n"
    parsed = parse_statement(data, "csv", CsvLayout())
    assert len({line.dedupe_key for line in parsed.lines}) == 2


@pytest.mark.parametrize(
    ("name", "fmt", "line"),
    [
        ("malformed.mt940", "mt940", 7),
        ("malformed.csv", "csv", 3),
        ("truncated.camt053.xml", "camt053", 12),
    ],
)
def test_malformed_files_name_the_line(name: str, fmt: str, line: int) -> None:
    with pytest.raises(MalformedStatement) as caught:
        parse_statement(_read(name), fmt, CsvLayout())
    assert caught.value.code == "ERR_FINANCE_MALFORMED_STATEMENT"
    assert caught.value.details["line"] == line
    assert f"line {line}" in caught.value.message


def test_amount_with_too_many_decimals_is_refused() -> None:
    data = b"date,amount,currency,memo,reference\n2026-11-24,1.005,CNY,x,\n"
    with pytest.raises(MalformedStatement, match="more decimals"):
        parse_statement(data, "csv", CsvLayout())


def test_csv_missing_column_is_refused_on_the_header() -> None:
    with pytest.raises(MalformedStatement, match="header lacks"):
        parse_statement(b"when,how much\n2026-11-24,1\n", "csv", CsvLayout())


def test_xml_with_entities_is_refused() -> None:
    data = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Document/>'
    with pytest.raises(MalformedStatement, match="DOCTYPE"):
        parse_statement(data, "camt053", CsvLayout())


def test_mt940_garbage_is_refused() -> None:
    with pytest.raises(MalformedStatement, match="line 1"):
        parse_statement(b"hello world\n", "mt940", CsvLayout())


def test_unknown_format() -> None:
    with pytest.raises(UnsupportedStatementFormat):
        parse_statement(b"x", "ofx", CsvLayout())


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"date,amount,currency,memo,reference\n2026-11-24,1e20,CNY,x,\n", "out of range"),
        (b"date,amount,currency,memo,reference\n2026-11-24,1\x00,CNY,x,\n", "NUL"),
    ],
)
def test_out_of_range_amounts_and_binary_files_are_refused(data: bytes, problem: str) -> None:
    with pytest.raises(MalformedStatement, match=problem) as caught:
        parse_statement(data, "csv", CsvLayout())
    assert caught.value.details["line"] == 2
