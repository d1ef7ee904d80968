"""``states.refusal``: every machine's illegal move keeps the message and details it published."""

from __future__ import annotations

from typing import Any

import pytest

from oms.alerts.states import NOTIFICATION_MACHINE
from oms.core.errors import AppError, Conflict
from oms.core.states import IllegalMove, Machine, refusal
from oms.inventory.states import RESERVATION_MACHINE
from oms.payments.states import MACHINE as PAYMENT_MACHINE
from oms.tickets.states import MACHINE as TICKET_MACHINE
from oms.webhooks.states import DELIVERY_MACHINE


def _refused(machine: Machine[Any], current: str, to: str) -> AppError:
    move = IllegalMove(machine.name, current, to, None, [str(s) for s in machine.allowed(current)])
    return machine.error(move)


@pytest.mark.parametrize(
    ("machine", "current", "to", "message", "details"),
    [
        (
            RESERVATION_MACHINE,
            "released",
            "active",
            "a released reservation cannot become active",
            {"current": "released", "to": "active"},
        ),
        (
            PAYMENT_MACHINE,
            "confirmed",
            "received",
            "a confirmed payment cannot become received",
            {"current": "confirmed", "to": "received"},
        ),
        (
            TICKET_MACHINE,
            "resolved",
            "open",
            "a resolved ticket cannot become open",
            {"current": "resolved"},
        ),
        (
            NOTIFICATION_MACHINE,
            "sent",
            "pending",
            "a sent notification cannot become pending",
            {"current_status": "sent"},
        ),
    ],
    ids=lambda v: v.name if isinstance(v, Machine) else None,
)
def test_each_domain_keeps_its_details(
    machine: Machine[Any], current: str, to: str, message: str, details: dict[str, Any]
) -> None:
    error = _refused(machine, current, to)
    assert str(error) == message
    assert error.details == details


def test_the_default_names_current_status_target_and_allowed() -> None:
    error = _refused(DELIVERY_MACHINE, "succeeded", "pending")
    assert set(error.details) == {"current_status", "to", "allowed"}
    assert error.details["current_status"] == "succeeded"


def test_an_unknown_fact_is_refused_when_the_machine_is_declared() -> None:
    with pytest.raises(ValueError, match="unknown facts"):
        refusal(Conflict, facts=("currnet",))
