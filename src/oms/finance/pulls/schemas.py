"""Statement-pull sources, runs and triggers over the API."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["PullKind", "PullRunOut", "PullSourceIn", "PullSourceOut", "PullTriggered"]


class PullKind(StrEnum):
    ALIPAY = "alipay"  # alipay.data.dataservice.bill.downloadurl.query
    WECHATPAY = "wechatpay"  # GET /v3/bill/tradebill or /v3/bill/fundflowbill
    HTTP = "http"  # a bank's statement over HTTP


class PullSourceIn(BaseModel):
    """A daily statement source. Platform bills use the tenant's payment-gateway credentials."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    kind: PullKind
    bill_type: str = Field(default="trade", pattern=r"^(trade|signcustomer)$")
    bill: str = Field(default="tradebill", pattern=r"^(tradebill|fundflowbill)$")
    url: str | None = Field(
        default=None, max_length=2000, description="http: the URL; {date} becomes yyyy-MM-dd"
    )
    format: str = Field(default="mt940", pattern=r"^(mt940|camt053|csv)$")
    auth_header: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9-]+$")
    auth_value: SecretStr | None = Field(default=None, description="sealed; never returned")
    run_at: str = Field(
        default="09:30",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="local time (tenant zone) the previous day's statement is pulled",
    )
    enabled: bool = True


class PullSourceOut(BaseModel):
    id: str
    name: str
    kind: PullKind
    bill_type: str | None
    bill: str | None
    url: str | None
    format: str | None
    auth_header: str | None
    has_auth_value: bool
    run_at: str
    enabled: bool
    next_run_at: datetime
    version: int


class PullRunOut(BaseModel):
    id: str
    source_id: str
    bill_date: date
    job_id: str | None
    outcome: str
    statement_id: str | None
    lines_added: int
    error_code: str | None
    error: str | None
    started_at: datetime
    finished_at: datetime


class PullTriggered(BaseModel):
    source_id: str
    bill_date: date
    job_id: str
