"""Finance input and output shapes."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CsvLayoutIn",
    "FinanceSettingsIn",
    "FinanceSettingsOut",
    "ImportResult",
    "ImportedLine",
    "LineOutcome",
    "ManualMatchIn",
    "MatchOut",
    "MatchRunResult",
    "MovementKind",
    "MovementOut",
    "ReasonOut",
    "ReviewItem",
    "StatementFormat",
    "StatementLineOut",
    "StatementOut",
    "SyncResult",
]


class StatementFormat(StrEnum):
    MT940 = "mt940"
    CAMT053 = "camt053"
    CSV = "csv"
    ALIPAY_BILL = "alipay_bill"  # the zip (or its 业务明细 CSV) of alipay.data.dataservice.bill
    WECHATPAY_BILL = "wechatpay_bill"  # a WeChat Pay v3 tradebill or fundflowbill


class MovementKind(StrEnum):
    PAYMENT_RECEIVED = "payment_received"
    REFUND_SENT = "refund_sent"


class CsvLayoutIn(BaseModel):
    """Per-tenant CSV columns and amount convention (see ``parsers.csv.CsvLayout``)."""

    model_config = ConfigDict(extra="forbid")

    date_column: str = "date"
    amount_column: str = "amount"
    currency_column: str | None = "currency"
    memo_columns: list[str] = Field(default_factory=lambda: ["memo"], min_length=1)
    reference_column: str | None = "reference"
    date_format: str = "%Y-%m-%d"
    decimal: str = Field(default=".", pattern=r"^[.,]$")
    sign: str = Field(default="signed", pattern=r"^(signed|columns|indicator)$")
    credit_column: str | None = None
    debit_column: str | None = None
    indicator_column: str | None = None
    debit_values: list[str] = Field(default_factory=lambda: ["D", "DR", "DEBIT", "借"])
    default_currency: str = Field(default="CNY", min_length=3, max_length=3)
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    encoding: str = "utf-8-sig"
    account: str | None = None


class FinanceSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_tolerance: int = Field(default=50, ge=0, le=1_000_000)
    date_window_days: int = Field(default=3, ge=0, le=60)
    auto_confirm_score: int = Field(default=80, ge=1, le=200)
    # One line paying several orders: confirm automatically when the memo names every one of
    # them and the sum agrees within tolerance.
    auto_confirm_merged: bool = True
    csv_layout: CsvLayoutIn = Field(default_factory=CsvLayoutIn)


class FinanceSettingsOut(FinanceSettingsIn):
    tenant_id: str


class LineOutcome(StrEnum):
    NEW = "new"  # stored by this import
    DUPLICATE = "duplicate"  # the same entry was imported before (same dedupe key)


class ImportedLine(BaseModel):
    """What became of one line of an imported file."""

    line_no: int = Field(description="line (MT940, CSV) or entry number (camt.053) in the file")
    outcome: LineOutcome
    line_id: str | None = Field(
        description="the stored statement line (for a duplicate: the earlier one)"
    )
    statement_id: str | None
    amount: int | None
    status: str | None = Field(description="the line's status: unmatched, review or matched")
    match_id: str | None
    match_status: str | None = Field(description="review or confirmed, None when unmatched")
    movement_id: str | None


class ImportResult(BaseModel):
    statement_id: str
    format: str
    is_duplicate_file: bool
    line_count: int
    lines_added: int
    lines_skipped: int
    auto_confirmed: int
    for_review: int
    lines: list[ImportedLine] = Field(
        default_factory=list, description="each line of the file, in file order"
    )
    lines_url: str = Field(default="", description="the statement's stored lines, paged")


class StatementOut(BaseModel):
    id: str
    format: str
    filename: str | None
    account: str | None
    line_count: int
    lines_added: int
    imported_by: str
    imported_at: datetime
    source_id: str | None


class MatchRunResult(BaseModel):
    lines_considered: int
    movements_open: int
    auto_confirmed: int
    for_review: int


class SyncResult(BaseModel):
    added: int
    # Movements written before they carried every reference, now filled in.
    updated: int = 0
    total_open: int


class StatementLineOut(BaseModel):
    id: str
    statement_id: str
    line_no: int
    value_date: date
    amount: int
    currency: str
    memo: str
    reference: str | None
    bank_reference: str | None = Field(
        description="the bank's reference: MT940 :61: after //, camt.053 AcctSvcrRef"
    )
    entry_reference: str | None = Field(description="camt.053 NtryRef")
    booking_date: date | None
    status: str


class ReasonOut(BaseModel):
    """Why: a stable code (see the finance documentation) and its parameters."""

    code: str
    params: dict[str, Any]


class MatchOut(BaseModel):
    """One line-movement pair. ``line_ids``/``movement_ids``/``order_ids`` name every part of
    its group (a split or merged payment has several); ``is_contested`` is true while another
    line's proposal in review wants the same movement."""

    id: str
    group_id: str
    line_id: str
    movement_id: str
    order_id: str | None
    order_no: str | None
    line_ids: list[str]
    movement_ids: list[str]
    order_ids: list[str]
    kind: str
    score: int
    rank: int | None
    is_contested: bool
    reasons: list[ReasonOut]
    status: str
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime


class ManualMatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    movement_id: str = Field(min_length=1, max_length=36)
    note: str | None = Field(default=None, max_length=500)


class MovementOut(BaseModel):
    """An expected movement with its order and every reference the engine searches."""

    id: str
    kind: str
    source_id: str
    amount: int
    currency: str
    order_id: str | None
    order_no: str | None
    trade_no: str | None
    external_id: str | None
    refund_no: str | None
    gateway_refund_no: str | None
    payer_name: str | None
    expected_date: date
    status: str


class ReviewItem(BaseModel):
    """A proposal in review with the statement line and the movement it pairs."""

    match: MatchOut
    line: StatementLineOut
    movement: MovementOut
