"""Refunds at the gateways: the one way the refunds domain sends money back.

Refunds call :func:`refund_at_gateway` with the payment's gateway name; the tenant's
credentials are opened here and the call goes through that gateway's adapter, so signing
stays in payments. Only jobs call this (it makes network calls).
"""

from __future__ import annotations

import httpx

from oms.core.errors import AppError
from oms.core.uow import Database
from oms.payments.config import load_credentials
from oms.payments.gateways.base import DONE, FAILED, PENDING, RefundAnswer, RefundCall
from oms.payments.gateways.registry import gateway_for

__all__ = ["DONE", "FAILED", "PENDING", "RefundAnswer", "RefundCall", "refund_at_gateway"]


def refund_at_gateway(
    db: Database, tenant_id: str, gateway: str, call: RefundCall, *, timeout: float
) -> RefundAnswer:
    """Ask the tenant's ``gateway`` to refund; never raises for the gateway's own answers.

    Re-sending the same ``call.refund_id`` never refunds twice, so a retry re-sends it. An
    unknown or unconfigured gateway, no answer or an unreadable one is ``pending``.
    """
    try:
        creds = load_credentials(db, tenant_id, gateway)
    except AppError as error:
        return RefundAnswer(PENDING, error=f"{error.code}: {error.message}")
    try:
        return gateway_for(gateway).refund(creds, call, now=db.clock.now(), timeout=timeout)
    except httpx.HTTPError as exc:
        return RefundAnswer(PENDING, error=f"network: {type(exc).__name__}")
    except (ValueError, AppError) as exc:
        return RefundAnswer(PENDING, error=f"unreadable answer: {exc}")
