"""The interface every accounting sink implements, and what passes through it.

A sink turns one oms document (a sales receipt for a confirmed payment, a refund receipt for
a refund) into the system's own document and creates it, idempotently on the oms document id:
sending the same document twice books it once. It answers ``Booked`` with the system's id,
raises ``Rejected`` when the system refuses the document (a person must fix something; the
message goes to a finance ticket), and ``AccountingUnavailable`` when trying again later may
work (5xx, timeouts), which the job runner does. Sinks are only called from jobs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from oms.accounting.states import DocumentKind
from oms.core.money import CURRENCY_EXPONENTS

__all__ = [
    "AccountingSink",
    "Booked",
    "OutgoingDocument",
    "Rejected",
    "SinkConnection",
    "TokenExpired",
    "major",
]


@dataclass(frozen=True, slots=True)
class SinkConnection:
    """Where and as whom to send: the opened token never appears in a repr or a log."""

    company_id: str
    base_url: str
    token: str = field(repr=False)
    item_ref: str
    account_ref: str | None
    settings: Mapping[str, Any] = field(default_factory=dict)
    refresh_token: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class OutgoingDocument:
    """One document as oms knows it; ``id`` is the idempotency key of its creation."""

    id: str
    kind: DocumentKind
    order_no: str
    reference: str | None  # the gateway's trade number, when there is one
    amount: int  # minor units
    currency: str
    txn_date: date


@dataclass(frozen=True, slots=True)
class Booked:
    """The system created (or had already created) the document: its own id."""

    external_id: str


class Rejected(Exception):
    """The system refused the document; ``message`` is its own words, for finance."""

    def __init__(self, message: str, *, code: str | None = None, detail: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.detail = detail


class TokenExpired(Rejected):
    """The system refused the access token (HTTP 401): refresh it once and send again."""


class AccountingSink(Protocol):
    """An accounting system oms sends documents to; ``token_lifetime`` is how long the
    connection's access token lives (None: the secret does not expire, the sink logs in)."""

    name: str
    token_lifetime: timedelta | None

    def check_company(self, company_id: str | None) -> str:
        """The company id, normalised. Raises: ERR_ACCOUNTING_INVALID_COMPANY."""
        ...

    def check_settings(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """The sink's settings, checked and with defaults.

        Raises: ERR_ACCOUNTING_INVALID_SETTINGS.
        """
        ...

    def send(
        self,
        connection: SinkConnection,
        document: OutgoingDocument,
        *,
        timeout: float,
        now: datetime,
    ) -> Booked:
        """Create the document once. Raises: Rejected, ERR_ACCOUNTING_UNAVAILABLE."""
        ...


def major(amount: int, currency: str) -> Decimal:
    """Minor units as the decimal amount in major units: ``73000, "CNY"`` → ``730.00``."""
    return Decimal(amount).scaleb(-CURRENCY_EXPONENTS.get(currency, 2))
