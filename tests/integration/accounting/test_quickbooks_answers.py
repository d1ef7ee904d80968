"""What each kind of QuickBooks answer means to the sink: booked, refused (a Fault, for
finance) or unavailable (retried by the job runner)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from oms.accounting.errors import AccountingUnavailable
from oms.accounting.sinks.base import Booked, OutgoingDocument, Rejected, SinkConnection
from oms.accounting.sinks.quickbooks import QuickBooksOnline
from oms.accounting.states import DocumentKind
from tests.fixtures.quickbooks import fault
from tests.fixtures.robots import Received, serve
from tests.fixtures.server import free_port

DOCUMENT = OutgoingDocument(
    "01a2380c-doc",
    DocumentKind.REFUND_RECEIPT,
    "260124000000001234",
    None,
    1999,
    "USD",
    date(2026, 1, 24),
)


def _send(status: int, body: dict[str, Any]) -> tuple[Booked, Received]:
    with serve(lambda _request: (status, body)) as fake:
        connection = SinkConnection("4620816365", fake.url, "tok", "7", "35")
        booked = QuickBooksOnline().send(connection, DOCUMENT, timeout=5)
    return booked, fake.received[0]


def test_a_created_receipt_is_booked_and_the_request_is_the_documented_one() -> None:
    booked, request = _send(200, {"RefundReceipt": {"Id": "148", "SyncToken": "0"}})
    assert booked == Booked("148")
    assert request.path == "/v3/company/4620816365/refundreceipt"
    assert request.query == {"requestid": "01a2380c-doc", "minorversion": "75"}
    assert request.headers["authorization"] == "Bearer tok"
    body = request.json()
    [line] = body["Line"]
    assert (line["Amount"], line["SalesItemLineDetail"]["ItemRef"]) == (19.99, {"value": "7"})
    assert body["DepositToAccountRef"] == {"value": "35"}
    assert body["TxnDate"] == "2026-01-24" and body["CurrencyRef"] == {"value": "USD"}


def test_a_fault_is_a_refusal_carrying_the_message_detail_and_code() -> None:
    answer = fault("ValidationFault", "Duplicate Document Number Error", "6140", "DocNumber=1234")
    with pytest.raises(Rejected) as refused:
        _send(400, answer)
    assert refused.value.message == (
        "ValidationFault: Duplicate Document Number Error — DocNumber=1234"
    )
    assert (refused.value.code, refused.value.detail) == ("6140", "DocNumber=1234")


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, fault("SystemFault", "An application error has occurred", "10000")),
        (503, {}),
        (429, fault("ThrottleExceeded", "message=ThrottleExceeded", "003001")),
        (200, {"time": "2026-01-24T05:00:09Z"}),  # no receipt in a success: ask again
    ],
)
def test_an_answer_that_may_change_later_is_unavailable(status: int, body: dict[str, Any]) -> None:
    with pytest.raises(AccountingUnavailable):
        _send(status, body)


def test_a_refused_connection_is_unavailable_and_a_4xx_without_fault_is_refused() -> None:
    closed = SinkConnection("4620816365", f"http://127.0.0.1:{free_port()}", "tok", "7", None)
    with pytest.raises(AccountingUnavailable):
        QuickBooksOnline().send(closed, DOCUMENT, timeout=2)
    with pytest.raises(Rejected, match="HTTP 404"):
        _send(404, {"error": "no such company"})
