"""Vouchers balance, book to the tenant's accounts and carry amounts exactly in yuan."""

from __future__ import annotations

from datetime import date

import pytest

from oms.accounting.errors import InvalidSettings
from oms.accounting.sinks.base import OutgoingDocument
from oms.accounting.sinks.kingdee import save_model, sign
from oms.accounting.sinks.u8 import voucher_body
from oms.accounting.sinks.vouchers import VoucherAccounts, accounts_from, voucher_for, yuan
from oms.accounting.states import DocumentKind

KD = {"account_book": "001", "voucher_group": "PRE001", "currency": "PRE001"}


def document(
    kind: DocumentKind = DocumentKind.SALES_RECEIPT, amount: int = 73001
) -> OutgoingDocument:
    return OutgoingDocument(
        "doc-1", kind, "N20260124", "2026012422001", amount, "CNY", date(2026, 1, 24)
    )


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (1, "0.01"),
        (10, "0.10"),
        (73001, "730.01"),
        (0, "0.00"),
        (999_999_999_999_99, "999999999999.99"),
    ],
)
def test_fen_become_exact_yuan_strings(fen: int, text: str) -> None:
    assert yuan(fen, "CNY") == text


def test_a_yen_amount_has_no_decimals() -> None:
    assert yuan(1500, "JPY") == "1500"


@pytest.mark.parametrize("kind", list(DocumentKind))
@pytest.mark.parametrize("amount", [1, 3, 73001, 10**13 - 1])
def test_every_voucher_balances_debit_and_credit(kind: DocumentKind, amount: int) -> None:
    voucher = voucher_for(document(kind, amount), VoucherAccounts())
    assert voucher.is_balanced
    assert sum(line.debit for line in voucher.lines) == sum(line.credit for line in voucher.lines)
    assert all((line.debit == 0) != (line.credit == 0) for line in voucher.lines)
    kd = save_model(voucher, KD)["Model"]["FEntity"]
    assert sum(int(e.get("FDEBIT", "0").replace(".", "")) for e in kd) == amount
    assert sum(int(e.get("FCREDIT", "0").replace(".", "")) for e in kd) == amount
    u8 = voucher_body(voucher, {"voucher_type": "记"})["voucher"]
    debit = [e["natural_debit_currency"] for e in u8["debit"]["entry"]]
    credit = [e["natural_credit_currency"] for e in u8["credit"]["entry"]]
    assert debit == credit == [yuan(amount, "CNY")]


def test_a_zero_amount_makes_no_voucher() -> None:
    with pytest.raises(ValueError, match="no balanced voucher"):
        voucher_for(document(amount=0), VoucherAccounts())


def test_the_default_accounts_are_the_chinese_standard_ones() -> None:
    receipt = voucher_for(document(), accounts_from({}))
    refund = voucher_for(document(DocumentKind.REFUND_RECEIPT), accounts_from(None))
    assert [(line.account, line.debit > 0) for line in receipt.lines] == [
        ("1002", True),
        ("6001", False),
    ]
    assert [(line.account, line.debit > 0) for line in refund.lines] == [
        ("6001", True),
        ("1002", False),
    ]
    assert "doc-1" in receipt.explanation and "N20260124" in receipt.explanation


def test_accounts_come_from_the_settings() -> None:
    accounts = accounts_from(
        {"account_bank": "100201", "account_receivable": "112201", "receipt_credit": "receivable"}
    )
    receipt = voucher_for(document(), accounts)
    assert [line.account for line in receipt.lines] == ["100201", "112201"]


@pytest.mark.parametrize(
    "settings", [{"account_bank": ""}, {"account_revenue": "60 01"}, {"receipt_credit": "cash"}]
)
def test_bad_account_settings_are_refused(settings: dict[str, str]) -> None:
    with pytest.raises(InvalidSettings):
        accounts_from(settings)


def test_the_login_signature_is_sha256_of_the_sorted_values() -> None:
    import hashlib

    expected = hashlib.sha256(
        "".join(sorted(["a", "u", "x_y", "s", "1700000000"])).encode()
    ).hexdigest()
    assert sign("a", "u", "x_y", "s", "1700000000") == expected
