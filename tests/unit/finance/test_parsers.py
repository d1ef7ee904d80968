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


# --- issue 9: camt.053 is refused unless it is camt.053, read with defusedxml ---------------

CAMT = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (CAMT.encode(), b"urn:example:not-iso:camt.053.001.08"),  # unknown namespace
        (CAMT.encode(), b"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"),  # camt.054
        (f' xmlns="{CAMT}"'.encode(), b""),  # no namespace at all
        (b"BkToCstmrStmt", b"BkToCstmrDbtCdtNtfctn"),  # another message in the namespace
        (b"<Document ", b"<Envelope "),  # another root
    ],
)
def test_camt053_that_is_not_camt053_is_refused(old: bytes, new: bytes) -> None:
    data = _read("sample.camt053.xml").replace(old, new)
    if old == b"<Document ":
        data = data.replace(b"</Document>", b"</Envelope>")
    with pytest.raises(MalformedStatement, match=r"not a camt\.053 document") as caught:
        parse_statement(data, "camt053", CsvLayout())
    assert caught.value.code == "ERR_FINANCE_MALFORMED_STATEMENT"


@pytest.mark.parametrize(
    "data",
    [
        # billion laughs
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">&lol3;</Document>',
        # external entity (XXE)
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">&x;</Document>',
        # external DTD without entities
        b'<?xml version="1.0"?><!DOCTYPE Document SYSTEM "http://127.0.0.1:9/x.dtd">'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"/>',
    ],
    ids=["billion-laughs", "xxe", "external-dtd"],
)
def test_xml_bombs_and_external_entities_are_refused(data: bytes) -> None:
    with pytest.raises(MalformedStatement, match="DOCTYPE, entities") as caught:
        parse_statement(data, "camt053", CsvLayout())
    assert caught.value.details["line"] == 1


def test_camt053_lines_carry_entry_and_servicer_references() -> None:
    lines = parse_statement(_read("sample.camt053.xml"), "camt053", CsvLayout()).lines
    assert lines[0].entry_reference == "E20261125-0001"
    assert lines[0].bank_reference == "CMBC2611250000001"
    assert lines[1].entry_reference is None


# --- issue 9: MT940 amounts name their line; balances must add up ---------------------------


def test_mt940_lines_carry_the_bank_reference() -> None:
    lines = parse_statement(_read("sample.mt940"), "mt940", CsvLayout()).lines
    assert [line.bank_reference for line in lines] == [
        "B24112400001",
        "B24112400002",
        "B24112500003",
    ]


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        (b"C1288,50N", b"C1288,5,0N", 5),
        (b"D59,90N", b"D5,9,90N", 9),
        (b"CNY11627,60", b"CNY11,627,60", 11),
    ],
)
def test_a_malformed_mt940_amount_names_its_line(old: bytes, new: bytes, line: int) -> None:
    data = _read("sample.mt940").replace(old, new)
    with pytest.raises(MalformedStatement, match="is not an MT940 amount") as caught:
        parse_statement(data, "mt940", CsvLayout())
    assert caught.value.details["line"] == line
    assert f"line {line}:" in caught.value.message


def test_mt940_whose_lines_do_not_add_up_to_the_closing_balance_is_refused() -> None:
    data = _read("sample.mt940").replace(b"C399,00N", b"C398,00N")
    with pytest.raises(MalformedStatement, match="closing balance") as caught:
        parse_statement(data, "mt940", CsvLayout())
    details = caught.value.details
    assert details["line"] == 11
    assert (details["opening"], details["lines_total"]) == (1000000, 162660)
    assert (details["computed_closing"], details["closing"]) == (1162660, 1162760)
    assert "10000.00" in caught.value.message and "11627.60" in caught.value.message


def test_mt940_without_its_closing_balance_is_refused() -> None:
    data = _read("sample.mt940").replace(b":62F:C261125CNY11627,60\n", b"")
    with pytest.raises(MalformedStatement, match="no closing balance"):
        parse_statement(data, "mt940", CsvLayout())


def test_a_structured_86_field_keeps_its_purpose_reference_and_payer_in_the_memo() -> None:
    """German-style ?00-?32 subfields: the library splits them; the memo must still carry the
    order number (cut across ?21/?22), the end-to-end reference and the payer's name."""
    text = (
        ":20:STARTUMS\n"
        ":25:10020030/1234567\n"
        ":28C:00001/001\n"
        ":60F:C261130EUR1000,00\n"
        ":61:2612011201CR12,50NTRFNONREF//BANKREF1\n"
        ":86:166?00GUTSCHRIFT?100599?20EREF+E2E-77?21SVWZ+Bestellung OMS261201"
        "?220002 Danke?30COBADEFFXXX?31DE12345678901234567890?32Zhang San\n"
        ":62F:C261201EUR1012,50\n"
    )
    (line,) = parse_statement(text.encode(), "mt940", CsvLayout()).lines
    assert "OMS2612010002" in line.memo
    assert "E2E-77" in line.memo
    assert "Zhang San" in line.memo
