"""Yonyou U8 (用友U8) through U8 OpenAPI: payments and refunds as vouchers (``voucher/add``).

``GET {base}/system/token?from_account&app_key&app_secret`` gives a token (two hours), then
``POST {base}/api/voucher/add?from_account&to_account&app_key&token&biz_id={document id}&sync=1``
with ``{"voucher": {…, "debit": {"entry": […]}, "credit": {"entry": […]}}}``. ``biz_id`` is the
upstream key U8 maps one-to-one to the voucher it creates (OpenAPI's idempotent create; the
alternative, a ``tradeid`` fetched from ``/system/tradeid``, would have to be stored before the
first send), so a retry or a resend never creates a second voucher. The voucher also carries
the document id as its external number (``voucher_making_system: "CDM"``, ``reserve2``).
``errcode`` other than ``"0"`` is a refusal whose ``errmsg`` finance reads; an expired token
(``参数token已过期``) is fetched again once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog

from oms.accounting.errors import AccountingUnavailable
from oms.accounting.sinks.base import Booked, OutgoingDocument, Rejected, SinkConnection
from oms.accounting.sinks.vouchers import (
    Voucher,
    accounts_from,
    one_word,
    voucher_for,
    voucher_settings,
    yuan,
)

__all__ = ["PRODUCTION_URL", "YonyouU8", "voucher_body"]

log = structlog.get_logger(__name__)

PRODUCTION_URL = "https://api.yonyouup.com"
_REQUIRED = ("from_account", "app_key")
_DEFAULTS = {"delivery": "api", "voucher_type": "记", "enter": "", "ds_sequence": ""}
_EXPIRED = "token已过期"


class YonyouU8:
    """The Yonyou U8 OpenAPI sink."""

    name = "u8"
    token_lifetime: timedelta | None = None

    def check_company(self, company_id: str | None) -> str:
        """The provider account (``to_account``). Raises: ERR_ACCOUNTING_INVALID_COMPANY."""
        return one_word(company_id, what="a U8 OpenAPI to_account", field="to_account")

    def check_settings(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """from_account, app_key, voucher type, accounts.

        Raises: ERR_ACCOUNTING_INVALID_SETTINGS.
        """
        return voucher_settings(
            settings,
            sink="U8",
            defaults=_DEFAULTS,
            api_required=(*_REQUIRED, "voucher_type"),
            file_required=("voucher_type",),
        )

    def send(
        self,
        connection: SinkConnection,
        document: OutgoingDocument,
        *,
        timeout: float,
        now: datetime,
    ) -> Booked:
        """Add the voucher once. Raises: Rejected, ERR_ACCOUNTING_UNAVAILABLE."""
        settings = self.check_settings(connection.settings)
        voucher = voucher_for(document, accounts_from(settings))
        body = voucher_body(voucher, settings)
        try:
            with httpx.Client(base_url=connection.base_url.rstrip("/"), timeout=timeout) as client:
                reply = _add(client, connection, settings, body, document.id)
                if _EXPIRED in str(reply.get("errmsg", "")):
                    reply = _add(client, connection, settings, body, document.id)
        except httpx.HTTPError as exc:
            raise AccountingUnavailable(f"U8: {type(exc).__name__}") from None
        if str(reply.get("errcode")) != "0":
            raise Rejected(
                f"U8: {reply.get('errmsg') or 'errcode ' + str(reply.get('errcode'))}",
                code=str(reply.get("errcode")),
            )
        external = reply.get("id") or reply.get("voucher_id")
        if not external:
            raise AccountingUnavailable("U8 added the voucher without answering its id")
        log.info("accounting.booked", document_id=document.id, external_id=external)
        return Booked(str(external))


def voucher_body(voucher: Voucher, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The ``voucher/add`` body: header, then debit and credit entries."""
    debit, credit = [], []
    for number, line in enumerate(voucher.lines, start=1):
        entry: dict[str, Any] = {
            "entry_id": number,
            "account_code": line.account,
            "abstract": line.explanation,
        }
        if line.debit:
            debit.append(entry | {"natural_debit_currency": yuan(line.debit, voucher.currency)})
        else:
            credit.append(entry | {"natural_credit_currency": yuan(line.credit, voucher.currency)})
    head: dict[str, Any] = {
        "voucher_type": settings["voucher_type"],
        "fiscal_year": voucher.date.year,
        "accounting_period": voucher.date.month,
        "date": voucher.date.isoformat(),
        "attachment_number": 0,
        "voucher_making_system": "CDM",
        "reserve2": voucher.number,
    }
    if settings.get("enter"):
        head["enter"] = settings["enter"]
    return {"voucher": head | {"debit": {"entry": debit}, "credit": {"entry": credit}}}


def _add(
    client: httpx.Client,
    connection: SinkConnection,
    settings: Mapping[str, Any],
    body: dict[str, Any],
    document_id: str,
) -> dict[str, Any]:
    token = _token(client, connection, settings)
    params = {
        "from_account": settings["from_account"],
        "to_account": connection.company_id,
        "app_key": settings["app_key"],
        "token": token,
        "biz_id": document_id,
        "sync": "1",
    }
    if settings.get("ds_sequence"):
        params["ds_sequence"] = settings["ds_sequence"]
    return _json(client.post("/api/voucher/add", params=params, json=body))


def _token(client: httpx.Client, connection: SinkConnection, settings: Mapping[str, Any]) -> str:
    params = {
        "from_account": settings["from_account"],
        "app_key": settings["app_key"],
        "app_secret": connection.token,
    }
    reply = _json(client.get("/system/token", params=params))
    token = reply.get("token")
    if str(reply.get("errcode")) != "0" or not isinstance(token, dict) or not token.get("id"):
        raise Rejected(
            f"U8 token refused: {reply.get('errmsg') or reply.get('errcode')}",
            code=str(reply.get("errcode")),
        )
    return str(token["id"])


def _json(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 500 or response.status_code == 429:
        raise AccountingUnavailable(f"U8 answered HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        if response.is_success:
            raise AccountingUnavailable("U8 answered something that is not JSON")
        raise Rejected(f"U8 answered HTTP {response.status_code}: {response.text[:300]}")
    return data
