"""The payment gateways oms speaks, found by name: callers never ask which credentials they hold.

Each adapter (``alipay``, ``wechatpay``) implements :class:`Gateway` over the credentials type
it owns; :func:`gateway_for` is the one way payments, refunds and finance reach one. Adding a
gateway: a :class:`~oms.payments.schemas.GatewayName` member, its ``GatewayConfigIn`` model, an
adapter module with a class implementing :class:`Gateway`, and a line in :func:`_registry`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from typing import Any, Protocol, TypeVar

from oms.core.errors import AppError
from oms.payments.errors import UnknownGateway
from oms.payments.gateways.alipay import AlipayGateway
from oms.payments.gateways.base import (
    BillFile,
    Download,
    NotifyAnswer,
    Queried,
    RefundAnswer,
    RefundCall,
    Verified,
)
from oms.payments.gateways.wechatpay import WechatPayGateway
from oms.payments.schemas import GatewayConfigIn, GatewayName

__all__ = ["Gateway", "find_gateway", "gateway_for", "known_gateways"]

C = TypeVar("C")


class Gateway(Protocol[C]):
    """One payment gateway: its configuration, notifications, trade query, refunds and bills.

    ``C`` is the adapter's own credentials type, built by :meth:`credentials` from what
    ``payments.config`` stored; every other method takes what that built.
    """

    name: GatewayName
    config_model: type[GatewayConfigIn]
    # The config field stored as ``settings["public_key"]`` (the key that verifies the gateway).
    public_key_field: str
    # The config fields sealed with core.secrets, never stored plain.
    secret_fields: tuple[str, ...]

    def credentials(self, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> C:
        """Credentials from the stored settings (``public_key`` included) and opened secrets."""
        ...

    def verify_notification(
        self, creds: C, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> Verified:
        """Verify and normalise a notification. Raises NotificationRejected subclasses."""
        ...

    def accepted(self) -> NotifyAnswer:
        """The answer that tells the gateway to stop delivering a notification."""
        ...

    def refused(self, rejection: AppError) -> NotifyAnswer:
        """The answer to a notification oms refused (the gateway retries it)."""
        ...

    def query_trade(self, creds: C, out_trade_no: str, *, now: datetime, timeout: float) -> Queried:
        """The gateway's signed answer about a trade. Raises: ERR_PAYMENT_QUERY_FAILED."""
        ...

    def refund(self, creds: C, call: RefundCall, *, now: datetime, timeout: float) -> RefundAnswer:
        """Ask for a refund (re-sending the same number never refunds twice).

        Raises httpx.HTTPError, ValueError or AppError for an answer it cannot read.
        """
        ...

    def download_bill(
        self,
        creds: C,
        bill: str,
        bill_date: date,
        *,
        now: datetime,
        timeout: float,
        download: Download,
    ) -> BillFile | None:
        """One day's bill of kind ``bill``, or None when the gateway has none for that day.

        Raises: ERR_PAYMENT_QUERY_FAILED, and whatever ``download`` raises.
        """
        ...


def known_gateways() -> list[str]:
    return sorted(_registry())


def find_gateway(name: str) -> Gateway[Any] | None:
    """The adapter of a gateway name, or None for a name oms does not know."""
    return _registry().get(name)


def gateway_for(name: str) -> Gateway[Any]:
    """The adapter of a gateway name. Raises: ERR_PAYMENT_UNKNOWN_GATEWAY."""
    gateway = find_gateway(name)
    if gateway is None:
        raise UnknownGateway(f"no gateway {name[:40]!r}")
    return gateway


@cache
def _registry() -> dict[str, Gateway[Any]]:
    gateways: list[Gateway[Any]] = [AlipayGateway(), WechatPayGateway()]
    return {str(g.name): g for g in gateways}
