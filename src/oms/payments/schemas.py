"""Pydantic shapes of the payments API. Secrets go in, never come out."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints

__all__ = [
    "AlipayConfigIn",
    "GatewayConfigIn",
    "GatewayConfigOut",
    "GatewayName",
    "PaymentOut",
    "WechatPayConfigIn",
]


class GatewayName(StrEnum):
    ALIPAY = "alipay"
    WECHATPAY = "wechatpay"


Ident = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-.]{1,64}$")]
Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s]{1,500}$")]
Pem = Annotated[SecretStr, StringConstraints(min_length=16, max_length=16_384)]
PublicPem = Annotated[str, StringConstraints(min_length=16, max_length=16_384)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GatewayConfigIn(_In):
    """A gateway's configuration as an admin sets it; ``gateway`` finds its adapter."""

    gateway: ClassVar[GatewayName]


class AlipayConfigIn(GatewayConfigIn):
    gateway: ClassVar[GatewayName] = GatewayName.ALIPAY
    app_id: Ident
    gateway_public_key: PublicPem
    merchant_private_key: Pem
    base_url: Url = "https://openapi.alipay.com/gateway.do"
    seller_id: (
        Annotated[
            str,
            StringConstraints(pattern=r"^2088[0-9]{12}$"),
            Field(description="the merchant's Alipay account (PID); notifications must name it"),
        ]
        | None
    ) = None


class WechatPayConfigIn(GatewayConfigIn):
    gateway: ClassVar[GatewayName] = GatewayName.WECHATPAY
    mch_id: Ident
    app_id: Ident
    api_v3_key: Annotated[SecretStr, StringConstraints(min_length=32, max_length=32)]
    platform_public_key: PublicPem
    platform_public_key_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]{1,128}$")]
    merchant_private_key: Pem
    merchant_serial: Annotated[str, StringConstraints(pattern=r"^[A-Fa-f0-9]{1,128}$")]
    base_url: Url = "https://api.mch.weixin.qq.com"


class GatewayConfigOut(BaseModel):
    """A gateway's configuration as anyone may see it: which secrets are set, never them."""

    gateway: GatewayName
    app_id: str
    mch_id: str | None = None
    seller_id: str | None = None
    base_url: str
    public_key_sha256: str
    platform_public_key_id: str | None = None
    merchant_serial: str | None = None
    has_merchant_private_key: bool
    has_api_v3_key: bool | None = None
    version: int
    updated_at: datetime


class PaymentOut(BaseModel):
    id: str
    order_id: str
    order_no: str
    gateway: str
    trade_no: str
    amount: int
    currency: str
    status: str
    notified_state: str
    gateway_paid_at: datetime | None
    inbox_message_id: str
    problem: str | None
    ticket_id: str | None
    created_at: datetime
    settled_at: datetime | None
