"""QuickBooks Online: sales receipts and refund receipts through its Accounting REST API.

``POST {base}/v3/company/{realmId}/salesreceipt?requestid={id}&minorversion=75`` (and
``refundreceipt``) with an OAuth 2.0 bearer token. ``requestid`` is the oms document id:
QuickBooks answers a repeated request id with the document it created the first time, so a
retry or a resend never books a second receipt. A ``Fault`` answer (``ValidationFault``,
``AuthenticationFault`` …) is a refusal whose ``Error[].Message``/``Detail`` finance reads;
5xx, 429, timeouts and connection errors are retried by the job runner.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import structlog

from oms.accounting.errors import AccountingUnavailable, InvalidCompany, InvalidSettings
from oms.accounting.sinks.base import (
    Booked,
    OutgoingDocument,
    Rejected,
    SinkConnection,
    TokenExpired,
    major,
)
from oms.accounting.states import DocumentKind

__all__ = ["MINOR_VERSION", "PRODUCTION_URL", "QuickBooksOnline"]

log = structlog.get_logger(__name__)

PRODUCTION_URL = "https://quickbooks.api.intuit.com"
MINOR_VERSION = "75"
_ENTITIES = {
    DocumentKind.SALES_RECEIPT: ("salesreceipt", "SalesReceipt"),
    DocumentKind.REFUND_RECEIPT: ("refundreceipt", "RefundReceipt"),
}
_REALM = re.compile(r"[0-9]{1,32}")
_DOC_NUMBER_MAX = 21  # QuickBooks's DocNumber limit
# the OAuth client whose refresh token the connection holds, and its token endpoint
_SETTINGS = ("client_id", "token_url")


class QuickBooksOnline:
    """The QuickBooks Online sink."""

    name = "quickbooks"
    token_lifetime: timedelta | None = timedelta(hours=1)

    def check_company(self, company_id: str | None) -> str:
        """The realm id (digits). Raises: ERR_ACCOUNTING_INVALID_COMPANY."""
        realm = (company_id or "").strip()
        if not _REALM.fullmatch(realm):
            raise InvalidCompany("a QuickBooks realm id is a string of digits", realm=realm)
        return realm

    def check_settings(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """QuickBooks takes no settings beyond the connection's.

        Raises: ERR_ACCOUNTING_INVALID_SETTINGS.
        """
        unknown = sorted(set(settings) - set(_SETTINGS))
        if unknown:
            raise InvalidSettings("unknown QuickBooks settings", unknown=unknown)
        return {k: str(v).strip() for k, v in settings.items()}

    def send(
        self,
        connection: SinkConnection,
        document: OutgoingDocument,
        *,
        timeout: float,
        now: datetime | None = None,
    ) -> Booked:
        """Create the receipt once. Raises: Rejected, ERR_ACCOUNTING_UNAVAILABLE."""
        path, entity = _ENTITIES[document.kind]
        url = f"{connection.base_url.rstrip('/')}/v3/company/{connection.company_id}/{path}"
        params = {"requestid": document.id, "minorversion": MINOR_VERSION}
        headers = {
            "Authorization": f"Bearer {connection.token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        body = json.dumps(_body(connection, document), default=_number)
        try:
            response = httpx.post(
                url, params=params, headers=headers, content=body, timeout=timeout
            )
        except httpx.HTTPError as exc:
            raise AccountingUnavailable(f"QuickBooks: {type(exc).__name__}") from None
        return _answer(response, entity, document.id)


def _body(connection: SinkConnection, document: OutgoingDocument) -> dict[str, Any]:
    amount = major(document.amount, document.currency)
    what = "payment" if document.kind == DocumentKind.SALES_RECEIPT else "refund"
    note = f"oms {what} {document.id}, order {document.order_no}"
    body: dict[str, Any] = {
        "DocNumber": document.order_no[:_DOC_NUMBER_MAX],
        "TxnDate": document.txn_date.isoformat(),
        "CurrencyRef": {"value": document.currency},
        "PrivateNote": note + (f", trade {document.reference}" if document.reference else ""),
        "Line": [
            {
                "Amount": amount,
                "DetailType": "SalesItemLineDetail",
                "Description": note,
                "SalesItemLineDetail": {
                    "ItemRef": {"value": connection.item_ref},
                    "Qty": 1,
                    "UnitPrice": amount,
                },
            }
        ],
    }
    if document.kind == DocumentKind.REFUND_RECEIPT and connection.account_ref:
        body["DepositToAccountRef"] = {"value": connection.account_ref}
    return body


def _number(value: object) -> float:
    # A JSON number: amounts stay below 10^13 minor units, so the float's shortest repr is the
    # exact decimal (at most 15 significant digits).
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def _answer(response: httpx.Response, entity: str, document_id: str) -> Booked:
    if response.status_code >= 500 or response.status_code == 429:
        raise AccountingUnavailable(f"QuickBooks answered HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        if response.is_success:
            raise AccountingUnavailable("QuickBooks answered something that is not JSON")
        raise Rejected(f"QuickBooks answered HTTP {response.status_code}: {response.text[:300]}")
    if "Fault" in data:
        refusal = _fault(data["Fault"], response.status_code)
        if response.status_code == 401:
            raise TokenExpired(refusal.message, code=refusal.code, detail=refusal.detail)
        raise refusal
    created = data.get(entity)
    if response.is_success and isinstance(created, dict) and created.get("Id"):
        log.info("accounting.booked", document_id=document_id, external_id=created["Id"])
        return Booked(str(created["Id"]))
    if response.is_success:
        raise AccountingUnavailable(f"QuickBooks answered without a {entity}")
    raise Rejected(f"QuickBooks answered HTTP {response.status_code}")


def _fault(fault: Any, status: int) -> Rejected:
    errors = fault.get("Error") if isinstance(fault, dict) else None
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    kind = fault.get("type", "Fault") if isinstance(fault, dict) else "Fault"
    message = str(first.get("Message") or f"{kind} (HTTP {status})")
    detail = first.get("Detail")
    return Rejected(
        f"{kind}: {message}" + (f" — {detail}" if detail else ""),
        code=str(first["code"]) if first.get("code") is not None else None,
        detail=str(detail) if detail else None,
    )
