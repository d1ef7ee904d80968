"""Accounting vouchers (凭证): one oms document as balanced debit and credit lines.

The Kingdee and U8 sinks (and their import-file exports) book a payment or a refund as a
voucher, not as a receipt: a confirmed payment debits the bank account and credits revenue (or
the receivable, when the merchant books revenue on delivery); a refund debits the refund
account (revenue, by default: a refund reduces 主营业务收入) and credits the bank. Account codes
come from the tenant's connection settings, with the defaults of the Chinese standard chart of
accounts (企业会计准则). Lines keep amounts in minor units; ``yuan`` turns them into the
decimal string the systems read, exactly, only where the voucher leaves oms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from oms.accounting.errors import InvalidCompany, InvalidSettings
from oms.accounting.sinks.base import OutgoingDocument, major
from oms.accounting.states import DocumentKind

__all__ = [
    "ACCOUNT_SETTINGS",
    "DEFAULT_ACCOUNTS",
    "Voucher",
    "VoucherAccounts",
    "VoucherLine",
    "accounts_from",
    "one_word",
    "voucher_for",
    "voucher_settings",
    "yuan",
]

# setting → (default code, name in the standard chart)
DEFAULT_ACCOUNTS: dict[str, tuple[str, str]] = {
    "account_bank": ("1002", "银行存款"),
    "account_receivable": ("1122", "应收账款"),
    "account_revenue": ("6001", "主营业务收入"),
    "account_refund": ("6001", "主营业务收入"),
}
ACCOUNT_SETTINGS = (*DEFAULT_ACCOUNTS, "receipt_credit")
_RECEIPT_CREDITS = ("revenue", "receivable")


@dataclass(frozen=True, slots=True)
class VoucherAccounts:
    """The account codes a tenant's vouchers book to."""

    bank: str = "1002"
    receivable: str = "1122"
    revenue: str = "6001"
    refund: str = "6001"
    receipt_credit: str = "revenue"  # or "receivable"


@dataclass(frozen=True, slots=True)
class VoucherLine:
    """One entry (分录): exactly one of ``debit``/``credit`` is non-zero, in minor units."""

    account: str
    explanation: str
    debit: int
    credit: int


@dataclass(frozen=True, slots=True)
class Voucher:
    """One voucher; ``number`` (the oms document id) is its external number."""

    number: str
    date: date
    currency: str
    lines: tuple[VoucherLine, ...]

    @property
    def is_balanced(self) -> bool:
        debit = sum(line.debit for line in self.lines)
        return debit > 0 and debit == sum(line.credit for line in self.lines)

    @property
    def explanation(self) -> str:
        return self.lines[0].explanation


def accounts_from(settings: Mapping[str, Any] | None) -> VoucherAccounts:
    """The accounts of a connection's settings, defaults where unset.

    Raises: ERR_ACCOUNTING_INVALID_SETTINGS (an empty code, an unknown ``receipt_credit``).
    """
    given = dict(settings or {})
    codes = {}
    for key, (default, _name) in DEFAULT_ACCOUNTS.items():
        code = str(given.get(key, default)).strip()
        if not code or len(code) > 40 or any(c.isspace() for c in code):
            raise InvalidSettings(f"{key} must be an account code", setting=key, value=code)
        codes[key.removeprefix("account_")] = code
    credit = str(given.get("receipt_credit", "revenue"))
    if credit not in _RECEIPT_CREDITS:
        raise InvalidSettings(
            "receipt_credit is revenue or receivable", setting="receipt_credit", value=credit
        )
    return VoucherAccounts(receipt_credit=credit, **codes)


def voucher_for(document: OutgoingDocument, accounts: VoucherAccounts) -> Voucher:
    """The balanced voucher of a payment (bank / revenue) or a refund (refund / bank)."""
    if document.kind == DocumentKind.SALES_RECEIPT:
        what = "收款"
        debit = accounts.bank
        credit = (
            accounts.receivable if accounts.receipt_credit == "receivable" else accounts.revenue
        )
    else:
        what, debit, credit = "退款", accounts.refund, accounts.bank
    trade = f" 交易号{document.reference}" if document.reference else ""
    explanation = f"oms{what} 订单{document.order_no}{trade} {document.id}"
    lines = (
        VoucherLine(debit, explanation, document.amount, 0),
        VoucherLine(credit, explanation, 0, document.amount),
    )
    voucher = Voucher(document.id, document.txn_date, document.currency, lines)
    if not voucher.is_balanced:  # an amount of zero or less books nothing
        raise ValueError(f"document {document.id} makes no balanced voucher")
    return voucher


def yuan(amount: int, currency: str) -> str:
    """Minor units as the exact decimal string: ``73001, "CNY"`` → ``"730.01"``."""
    return format(major(amount, currency), "f")


def one_word(value: str | None, *, what: str, field: str) -> str:
    """A company key a voucher system names its books by: one word, at most 64 characters.

    Raises: ERR_ACCOUNTING_INVALID_COMPANY.
    """
    word = (value or "").strip()
    if not word or len(word) > 64 or any(c.isspace() for c in word):
        raise InvalidCompany(f"{what} is one word", **{field: word})
    return word


def voucher_settings(
    settings: Mapping[str, Any],
    *,
    sink: str,
    defaults: Mapping[str, str],
    api_required: tuple[str, ...],
    file_required: tuple[str, ...],
) -> dict[str, Any]:
    """A voucher sink's settings checked the way every voucher sink checks them.

    Known keys only (the sink's own, its defaults, the account codes); ``delivery`` is ``api``
    or ``file``; the keys that delivery needs are there; the account codes read. Raises:
    ERR_ACCOUNTING_INVALID_SETTINGS.
    """
    known = set(api_required) | set(file_required) | set(defaults) | set(ACCOUNT_SETTINGS)
    unknown = sorted(set(settings) - known)
    if unknown:
        raise InvalidSettings(f"unknown {sink} settings", unknown=unknown)
    checked = {"delivery": "api", **defaults} | {k: str(v).strip() for k, v in settings.items()}
    if checked["delivery"] not in ("api", "file"):
        raise InvalidSettings("delivery is api or file", setting="delivery")
    for key in api_required if checked["delivery"] == "api" else file_required:
        if not checked.get(key):
            raise InvalidSettings(f"{sink} needs the setting {key}", setting=key)
    accounts_from(checked)
    return checked
