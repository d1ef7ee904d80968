"""The normalisation golden table: every carrier code the issue names, written out here by
hand (not imported from the implementation), against what ``normalise`` answers."""

from __future__ import annotations

import pytest

from oms.fulfilment.tracking.normalise import TABLE, normalise, opens_exception

GOLDEN = [
    # Kuaidi100 state
    ("kuaidi100", "0", "in_transit", "in_transit"),
    ("kuaidi100", "1", "in_transit", "picked_up"),
    ("kuaidi100", "2", "exception", "problem"),
    ("kuaidi100", "3", "delivered", "signed"),
    ("kuaidi100", "4", "returned", "return_signed"),
    ("kuaidi100", "5", "out_for_delivery", "out_for_delivery"),
    ("kuaidi100", "6", "returning", "returning"),
    ("kuaidi100", "7", "in_transit", "rerouted"),
    ("kuaidi100", "8", "in_transit", "customs"),
    ("kuaidi100", "10", "in_transit", "customs_pending"),
    ("kuaidi100", "11", "in_transit", "customs_in_progress"),
    ("kuaidi100", "12", "in_transit", "customs_cleared"),
    ("kuaidi100", "13", "exception", "customs_exception"),
    ("kuaidi100", "14", "exception", "refused"),
    # Kuaidi100 resultv2=4
    ("kuaidi100", "101", "info_received", "ordered"),
    ("kuaidi100", "102", "info_received", "awaiting_pickup"),
    ("kuaidi100", "103", "in_transit", "picked_up"),
    ("kuaidi100", "1001", "at_hub", "arrived_delivery_city"),
    ("kuaidi100", "1002", "in_transit", "trunk"),
    ("kuaidi100", "1003", "in_transit", "forwarded"),
    ("kuaidi100", "501", "available_for_pickup", "locker_or_station"),
    ("kuaidi100", "301", "delivered", "signed_by_recipient"),
    ("kuaidi100", "302", "delivered", "signed_after_exception"),
    ("kuaidi100", "303", "delivered", "signed_by_proxy"),
    ("kuaidi100", "304", "delivered", "signed_at_station"),
    ("kuaidi100", "401", "exception", "cancelled"),
    ("kuaidi100", "201", "exception", "not_signed_in_time"),
    ("kuaidi100", "202", "exception", "no_update_in_time"),
    ("kuaidi100", "203", "exception", "refused"),
    ("kuaidi100", "204", "exception", "delivery_exception"),
    ("kuaidi100", "205", "exception", "not_collected_from_locker"),
    ("kuaidi100", "206", "exception", "recipient_unreachable"),
    ("kuaidi100", "207", "exception", "address_problem"),
    ("kuaidi100", "208", "exception", "held"),
    ("kuaidi100", "209", "exception", "damaged"),
    ("kuaidi100", "210", "exception", "cancelled"),
    # SF opCode
    ("sf", "50", "in_transit", "picked_up"),
    ("sf", "54", "in_transit", "picked_up"),
    ("sf", "30", "in_transit", "departed"),
    ("sf", "31", "at_hub", "arrived"),
    ("sf", "36", "in_transit", "trunk"),
    ("sf", "407", "in_transit", "in_transit"),
    ("sf", "130", "at_hub", "at_delivery_outlet"),
    ("sf", "44", "out_for_delivery", "out_for_delivery"),
    ("sf", "80", "delivered", "signed"),
    ("sf", "8000", "delivered", "signed"),
    ("sf", "631", "returned", "returned_to_sender"),
    ("sf", "607", "in_transit", "sf_unconfirmed"),
    ("sf", "648", "in_transit", "sf_unconfirmed"),
    ("sf", "99", "in_transit", "sf_unconfirmed"),
    # Cainiao action
    ("cainiao", "CONSIGN", "info_received", "consigned"),
    ("cainiao", "GOT", "in_transit", "picked_up"),
    ("cainiao", "ACCEPT", "in_transit", "picked_up"),
    ("cainiao", "TRANSPORT", "in_transit", "trunk"),
    ("cainiao", "DEPARTURE", "in_transit", "departed"),
    ("cainiao", "ARRIVE", "at_hub", "arrived"),
    ("cainiao", "DELIVERING", "out_for_delivery", "out_for_delivery"),
    ("cainiao", "SENT_SCAN", "out_for_delivery", "out_for_delivery"),
    ("cainiao", "STA_INBOUND", "available_for_pickup", "locker_or_station"),
    ("cainiao", "STA_SIGN", "delivered", "signed_at_station"),
    ("cainiao", "SIGN", "delivered", "signed"),
    ("cainiao", "SIGNED", "delivered", "signed"),
    ("cainiao", "AGENT_SIGN", "delivered", "signed_by_proxy"),
    ("cainiao", "FAILED", "attempt_failed", "attempt_failed"),
    ("cainiao", "REJECT", "exception", "refused"),
    ("cainiao", "TMS_RETURN", "returning", "returning"),
    # AfterShip tags
    ("aftership", "Pending", "info_received", "pending"),
    ("aftership", "InfoReceived", "info_received", "info_received"),
    ("aftership", "InTransit", "in_transit", "in_transit"),
    ("aftership", "OutForDelivery", "out_for_delivery", "out_for_delivery"),
    ("aftership", "AttemptFail", "attempt_failed", "attempt_failed"),
    ("aftership", "Delivered", "delivered", "delivered"),
    ("aftership", "AvailableForPickup", "available_for_pickup", "available_for_pickup"),
    ("aftership", "Exception", "exception", "exception"),
    ("aftership", "Expired", "expired", "expired"),
    # 17TRACK main statuses and sub-statuses
    ("17track", "NotFound", "info_received", "not_found"),
    ("17track", "InfoReceived", "info_received", "info_received"),
    ("17track", "InTransit", "in_transit", "in_transit"),
    ("17track", "Expired", "expired", "expired"),
    ("17track", "AvailableForPickup", "available_for_pickup", "available_for_pickup"),
    ("17track", "OutForDelivery", "out_for_delivery", "out_for_delivery"),
    ("17track", "DeliveryFailure", "attempt_failed", "attempt_failed"),
    ("17track", "Delivered", "delivered", "delivered"),
    ("17track", "Exception", "exception", "exception"),
    ("17track", "InTransit_PickedUp", "in_transit", "picked_up"),
    ("17track", "InTransit_Departure", "in_transit", "departed"),
    ("17track", "InTransit_Arrival", "at_hub", "arrived"),
    ("17track", "InTransit_CustomsProcessing", "in_transit", "customs_in_progress"),
    ("17track", "InTransit_CustomsReleased", "in_transit", "customs_cleared"),
    ("17track", "InTransit_CustomsRequiringInformation", "exception", "customs_exception"),
    ("17track", "InTransit_Other", "in_transit", "in_transit"),
    ("17track", "DeliveryFailure_NoBody", "attempt_failed", "recipient_unreachable"),
    ("17track", "DeliveryFailure_Security", "attempt_failed", "security"),
    ("17track", "DeliveryFailure_Rejected", "exception", "refused"),
    ("17track", "DeliveryFailure_InvalidAddress", "exception", "address_problem"),
    ("17track", "DeliveryFailure_Other", "attempt_failed", "attempt_failed"),
    ("17track", "Exception_Returning", "returning", "returning"),
    ("17track", "Exception_Returned", "returned", "returned_to_sender"),
    ("17track", "Exception_NoBody", "exception", "recipient_unreachable"),
    ("17track", "Exception_Security", "exception", "security"),
    ("17track", "Exception_Damage", "exception", "damaged"),
    ("17track", "Exception_Rejected", "exception", "refused"),
    ("17track", "Exception_Delayed", "exception", "delayed"),
    ("17track", "Exception_Lost", "exception", "lost"),
    ("17track", "Exception_Destroyed", "exception", "destroyed"),
    ("17track", "Exception_Cancel", "exception", "cancelled"),
    ("17track", "Exception_Other", "exception", "exception"),
]

# The codes that open delivery_exception at once (the contract names Kuaidi100 2, 4, 6, 14).
EXCEPTIONS = {
    ("kuaidi100", c) for c in ["2", "4", "6", "13", "14", "401", *map(str, range(201, 211))]
} | {
    ("cainiao", "REJECT"),
    *(
        ("17track", c)
        for c in [
            "Exception",
            "InTransit_CustomsRequiringInformation",
            "DeliveryFailure_Rejected",
            "DeliveryFailure_InvalidAddress",
            "Exception_NoBody",
            "Exception_Security",
            "Exception_Damage",
            "Exception_Rejected",
            "Exception_Lost",
            "Exception_Destroyed",
            "Exception_Cancel",
            "Exception_Other",
        ]
    ),
    ("aftership", "Exception"),
}


@pytest.mark.parametrize(("scheme", "code", "status", "sub_status"), GOLDEN)
def test_each_code_has_its_status_and_sub_status(
    scheme: str, code: str, status: str, sub_status: str
) -> None:
    found = normalise(scheme, code)
    assert (found.status, found.sub_status, found.raw_code) == (status, sub_status, code)


@pytest.mark.parametrize(("scheme", "code", "status", "sub_status"), GOLDEN)
def test_exception_codes_open_a_ticket_at_once(
    scheme: str, code: str, status: str, sub_status: str
) -> None:
    assert opens_exception(scheme, normalise(scheme, code)) == ((scheme, code) in EXCEPTIONS)


def test_the_table_holds_exactly_the_golden_codes() -> None:
    assert set(TABLE) == {(scheme, code) for scheme, code, _, _ in GOLDEN}


def test_an_unknown_code_is_kept_raw_and_unmapped() -> None:
    found = normalise("sf", " 9999 ")
    assert (found.status, found.sub_status, found.raw_code) == ("in_transit", "unmapped", "9999")
    assert normalise("kuaidi100", 3).status == "delivered"


def test_the_docs_render_the_table_row_by_row() -> None:
    from oms.docs_gen import expand

    rendered = expand("<!-- oms:gen tracking -->\n")
    assert "| kuaidi100 | `501` | `available_for_pickup` | `locker_or_station` |" in rendered
    assert rendered.count("\n| ") == len(GOLDEN) + 1  # the header's separator row too
