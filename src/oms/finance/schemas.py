"""Finance input and output shapes."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CsvLayoutIn",
    "FinanceSettingsIn",
    "FinanceSettingsOut",
    "ImportResult",
    "ManualMatchIn",
    "MatchOut",
    "MatchRunResult",
    "MovementKind",
    "MovementOut",
    "ReviewItem",
    "StatementFormat",
    "StatementLineOut",
    "SyncResult",
]


class StatementFormat(StrEnum):
    MT940 = "mt940"
    CAMT053 = "camt053"
    CSV = "csv"


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
    csv_layout: CsvLayoutIn = Field(default_factory=CsvLayoutIn)


class FinanceSettingsOut(FinanceSettingsIn):
    tenant_id: str


class ImportResult(BaseModel):
    statement_id: str
    format: str
    is_duplicate_file: bool
    line_count: int
    lines_added: int
    lines_skipped: int
    auto_confirmed: int
    for_review: int


class MatchRunResult(BaseModel):
    lines_considered: int
    movements_open: int
    auto_confirmed: int
    for_review: int


class SyncResult(BaseModel):
    added: int
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
    status: str


class MatchOut(BaseModel):
    id: str
    group_id: str
    line_id: str
    movement_id: str
    kind: str
    score: int
    reasons: list[str]
    status: str
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime


class ManualMatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    movement_id: str = Field(min_length=1, max_length=36)
    note: str | None = Field(default=None, max_length=500)


class MovementOut(BaseModel):
    id: str
    kind: str
    amount: int
    currency: str
    order_no: str | None
    external_id: str | None
    expected_date: date
    status: str


class ReviewItem(BaseModel):
    """A proposal in review with the statement line and the movement it pairs."""

    match: MatchOut
    line: StatementLineOut
    movement: MovementOut
