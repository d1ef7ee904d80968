"""One table: every carrier code → an oms tracking status and a sub-status.

Keys are ``(scheme, raw code)``. The schemes are the code sets carriers and aggregators
publish: ``kuaidi100`` (the push's ``state`` and the ``resultv2=4`` finer codes, which do not
overlap), ``sf`` (route ``opCode``), ``cainiao`` (trace ``action``), ``aftership`` (the 9 tags)
and ``17track`` (main statuses and sub-statuses). A code the table does not know keeps its raw
code and reads ``in_transit`` / ``unmapped``: a carrier scan is never dropped, and an
unknown code is far more often a sorting scan than a problem (docs/fulfilment.md).

The tracking status mirrors the carrier's newest scan. It is the carrier's fact, not an oms
decision, so it has no transition table: any status may follow any other (a parcel marked
delivered by mistake goes back in transit on the next scan).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "EXCEPTION_SUB_STATUSES",
    "SCHEMES",
    "TABLE",
    "Normalised",
    "TrackingStatus",
    "normalise",
    "opens_exception",
]


class TrackingStatus(StrEnum):
    INFO_RECEIVED = "info_received"
    IN_TRANSIT = "in_transit"
    AT_HUB = "at_hub"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"  # 驿站 / 快递柜
    ATTEMPT_FAILED = "attempt_failed"
    DELIVERED = "delivered"
    RETURNING = "returning"
    RETURNED = "returned"
    EXCEPTION = "exception"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Normalised:
    status: TrackingStatus
    sub_status: str
    raw_code: str


S = TrackingStatus
SCHEMES = ("kuaidi100", "sf", "cainiao", "aftership", "17track")

TABLE: dict[tuple[str, str], tuple[TrackingStatus, str]] = {
    # Kuaidi100 push `state` (protocols.md §5.2).
    ("kuaidi100", "0"): (S.IN_TRANSIT, "in_transit"),
    ("kuaidi100", "1"): (S.IN_TRANSIT, "picked_up"),
    ("kuaidi100", "2"): (S.EXCEPTION, "problem"),
    ("kuaidi100", "3"): (S.DELIVERED, "signed"),
    ("kuaidi100", "4"): (S.RETURNED, "return_signed"),
    ("kuaidi100", "5"): (S.OUT_FOR_DELIVERY, "out_for_delivery"),
    ("kuaidi100", "6"): (S.RETURNING, "returning"),
    ("kuaidi100", "7"): (S.IN_TRANSIT, "rerouted"),
    ("kuaidi100", "8"): (S.IN_TRANSIT, "customs"),
    ("kuaidi100", "10"): (S.IN_TRANSIT, "customs_pending"),
    ("kuaidi100", "11"): (S.IN_TRANSIT, "customs_in_progress"),
    ("kuaidi100", "12"): (S.IN_TRANSIT, "customs_cleared"),
    ("kuaidi100", "13"): (S.EXCEPTION, "customs_exception"),
    ("kuaidi100", "14"): (S.EXCEPTION, "refused"),
    # Kuaidi100 `resultv2=4` finer codes (protocols.md §5.5).
    ("kuaidi100", "101"): (S.INFO_RECEIVED, "ordered"),
    ("kuaidi100", "102"): (S.INFO_RECEIVED, "awaiting_pickup"),
    ("kuaidi100", "103"): (S.IN_TRANSIT, "picked_up"),
    ("kuaidi100", "1001"): (S.AT_HUB, "arrived_delivery_city"),
    ("kuaidi100", "1002"): (S.IN_TRANSIT, "trunk"),
    ("kuaidi100", "1003"): (S.IN_TRANSIT, "forwarded"),
    ("kuaidi100", "501"): (S.AVAILABLE_FOR_PICKUP, "locker_or_station"),
    ("kuaidi100", "301"): (S.DELIVERED, "signed_by_recipient"),
    ("kuaidi100", "302"): (S.DELIVERED, "signed_after_exception"),
    ("kuaidi100", "303"): (S.DELIVERED, "signed_by_proxy"),
    ("kuaidi100", "304"): (S.DELIVERED, "signed_at_station"),
    ("kuaidi100", "401"): (S.EXCEPTION, "cancelled"),
    ("kuaidi100", "201"): (S.EXCEPTION, "not_signed_in_time"),
    ("kuaidi100", "202"): (S.EXCEPTION, "no_update_in_time"),
    ("kuaidi100", "203"): (S.EXCEPTION, "refused"),
    ("kuaidi100", "204"): (S.EXCEPTION, "delivery_exception"),
    ("kuaidi100", "205"): (S.EXCEPTION, "not_collected_from_locker"),
    ("kuaidi100", "206"): (S.EXCEPTION, "recipient_unreachable"),
    ("kuaidi100", "207"): (S.EXCEPTION, "address_problem"),  # out of the delivery area
    ("kuaidi100", "208"): (S.EXCEPTION, "held"),
    ("kuaidi100", "209"): (S.EXCEPTION, "damaged"),
    ("kuaidi100", "210"): (S.EXCEPTION, "cancelled"),
    # SF route opCode (protocols.md §5.3, §5.5).
    ("sf", "50"): (S.IN_TRANSIT, "picked_up"),
    ("sf", "54"): (S.IN_TRANSIT, "picked_up"),
    ("sf", "30"): (S.IN_TRANSIT, "departed"),
    ("sf", "31"): (S.AT_HUB, "arrived"),
    ("sf", "36"): (S.IN_TRANSIT, "trunk"),
    ("sf", "407"): (S.IN_TRANSIT, "in_transit"),
    ("sf", "130"): (S.AT_HUB, "at_delivery_outlet"),
    ("sf", "44"): (S.OUT_FOR_DELIVERY, "out_for_delivery"),
    ("sf", "80"): (S.DELIVERED, "signed"),
    ("sf", "8000"): (S.DELIVERED, "signed"),
    ("sf", "631"): (S.RETURNED, "returned_to_sender"),
    # 607, 648 and 99 occur but their meaning is unconfirmed: no effect until it is.
    ("sf", "607"): (S.IN_TRANSIT, "sf_unconfirmed"),
    ("sf", "648"): (S.IN_TRANSIT, "sf_unconfirmed"),
    ("sf", "99"): (S.IN_TRANSIT, "sf_unconfirmed"),
    # Cainiao trace actions (the set its logistics-detail pushes use; docs/fulfilment.md).
    ("cainiao", "CONSIGN"): (S.INFO_RECEIVED, "consigned"),
    ("cainiao", "GOT"): (S.IN_TRANSIT, "picked_up"),
    ("cainiao", "ACCEPT"): (S.IN_TRANSIT, "picked_up"),
    ("cainiao", "TRANSPORT"): (S.IN_TRANSIT, "trunk"),
    ("cainiao", "DEPARTURE"): (S.IN_TRANSIT, "departed"),
    ("cainiao", "ARRIVE"): (S.AT_HUB, "arrived"),
    ("cainiao", "DELIVERING"): (S.OUT_FOR_DELIVERY, "out_for_delivery"),
    ("cainiao", "SENT_SCAN"): (S.OUT_FOR_DELIVERY, "out_for_delivery"),
    ("cainiao", "STA_INBOUND"): (S.AVAILABLE_FOR_PICKUP, "locker_or_station"),
    ("cainiao", "STA_SIGN"): (S.DELIVERED, "signed_at_station"),
    ("cainiao", "SIGN"): (S.DELIVERED, "signed"),
    ("cainiao", "SIGNED"): (S.DELIVERED, "signed"),
    ("cainiao", "AGENT_SIGN"): (S.DELIVERED, "signed_by_proxy"),
    ("cainiao", "FAILED"): (S.ATTEMPT_FAILED, "attempt_failed"),
    ("cainiao", "REJECT"): (S.EXCEPTION, "refused"),
    ("cainiao", "TMS_RETURN"): (S.RETURNING, "returning"),
    # AfterShip's 9 tags.
    ("aftership", "Pending"): (S.INFO_RECEIVED, "pending"),
    ("aftership", "InfoReceived"): (S.INFO_RECEIVED, "info_received"),
    ("aftership", "InTransit"): (S.IN_TRANSIT, "in_transit"),
    ("aftership", "OutForDelivery"): (S.OUT_FOR_DELIVERY, "out_for_delivery"),
    ("aftership", "AttemptFail"): (S.ATTEMPT_FAILED, "attempt_failed"),
    ("aftership", "Delivered"): (S.DELIVERED, "delivered"),
    ("aftership", "AvailableForPickup"): (S.AVAILABLE_FOR_PICKUP, "available_for_pickup"),
    ("aftership", "Exception"): (S.EXCEPTION, "exception"),
    ("aftership", "Expired"): (S.EXPIRED, "expired"),
    # 17TRACK main statuses (v2).
    ("17track", "NotFound"): (S.INFO_RECEIVED, "not_found"),
    ("17track", "InfoReceived"): (S.INFO_RECEIVED, "info_received"),
    ("17track", "InTransit"): (S.IN_TRANSIT, "in_transit"),
    ("17track", "Expired"): (S.EXPIRED, "expired"),
    ("17track", "AvailableForPickup"): (S.AVAILABLE_FOR_PICKUP, "available_for_pickup"),
    ("17track", "OutForDelivery"): (S.OUT_FOR_DELIVERY, "out_for_delivery"),
    ("17track", "DeliveryFailure"): (S.ATTEMPT_FAILED, "attempt_failed"),
    ("17track", "Delivered"): (S.DELIVERED, "delivered"),
    ("17track", "Exception"): (S.EXCEPTION, "exception"),
    # 17TRACK sub-statuses (v2), which name the finer reason.
    ("17track", "InTransit_PickedUp"): (S.IN_TRANSIT, "picked_up"),
    ("17track", "InTransit_Departure"): (S.IN_TRANSIT, "departed"),
    ("17track", "InTransit_Arrival"): (S.AT_HUB, "arrived"),
    ("17track", "InTransit_CustomsProcessing"): (S.IN_TRANSIT, "customs_in_progress"),
    ("17track", "InTransit_CustomsReleased"): (S.IN_TRANSIT, "customs_cleared"),
    ("17track", "InTransit_CustomsRequiringInformation"): (S.EXCEPTION, "customs_exception"),
    ("17track", "InTransit_Other"): (S.IN_TRANSIT, "in_transit"),
    ("17track", "DeliveryFailure_NoBody"): (S.ATTEMPT_FAILED, "recipient_unreachable"),
    ("17track", "DeliveryFailure_Security"): (S.ATTEMPT_FAILED, "security"),
    ("17track", "DeliveryFailure_Rejected"): (S.EXCEPTION, "refused"),
    ("17track", "DeliveryFailure_InvalidAddress"): (S.EXCEPTION, "address_problem"),
    ("17track", "DeliveryFailure_Other"): (S.ATTEMPT_FAILED, "attempt_failed"),
    ("17track", "Exception_Returning"): (S.RETURNING, "returning"),
    ("17track", "Exception_Returned"): (S.RETURNED, "returned_to_sender"),
    ("17track", "Exception_NoBody"): (S.EXCEPTION, "recipient_unreachable"),
    ("17track", "Exception_Security"): (S.EXCEPTION, "security"),
    ("17track", "Exception_Damage"): (S.EXCEPTION, "damaged"),
    ("17track", "Exception_Rejected"): (S.EXCEPTION, "refused"),
    ("17track", "Exception_Delayed"): (S.EXCEPTION, "delayed"),
    ("17track", "Exception_Lost"): (S.EXCEPTION, "lost"),
    ("17track", "Exception_Destroyed"): (S.EXCEPTION, "destroyed"),
    ("17track", "Exception_Cancel"): (S.EXCEPTION, "cancelled"),
    ("17track", "Exception_Other"): (S.EXCEPTION, "exception"),
}

# Sub-statuses that need a person now: damaged, lost, refused, an address problem, and the
# families Kuaidi100 calls 疑难 (problem). Tickets open at once, without the stall clock.
EXCEPTION_SUB_STATUSES = frozenset(
    {
        "problem",
        "refused",
        "damaged",
        "lost",
        "destroyed",
        "address_problem",
        "customs_exception",
        "delivery_exception",
        "recipient_unreachable",
        "not_signed_in_time",
        "no_update_in_time",
        "not_collected_from_locker",
        "held",
        "cancelled",
        "exception",
        "security",
    }
)
# Kuaidi100 return codes that the contract also counts as exceptions (退签, 退回).
_EXCEPTION_RAW = frozenset({("kuaidi100", "4"), ("kuaidi100", "6")})


def normalise(scheme: str, code: str | int) -> Normalised:
    """The oms status and sub-status of a carrier code; an unknown code is kept, unmapped."""
    raw = str(code).strip()
    found = TABLE.get((scheme, raw))
    if found is None:
        return Normalised(S.IN_TRANSIT, "unmapped", raw)
    return Normalised(found[0], found[1], raw)


def opens_exception(scheme: str, normalised: Normalised) -> bool:
    """Whether this scan opens a ``delivery_exception`` ticket at once."""
    if (scheme, normalised.raw_code) in _EXCEPTION_RAW:
        return True
    return normalised.status == S.EXCEPTION and normalised.sub_status in EXCEPTION_SUB_STATUSES
