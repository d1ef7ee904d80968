"""What a role sees: the navigation, the event buttons of an order, and ``can`` for forms.

Pure functions over the permission table (``core.auth``) and the transition table
(``orders.states``), so the console never offers what the service would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass

from oms.console.i18n import N_
from oms.core.auth import ROLE_PERMISSIONS, Role
from oms.inventory.states import MANUAL_KINDS, MovementKind
from oms.orders.schemas import OrderOut
from oms.orders.states import EVENT_PERMISSION, OrderEvent

__all__ = ["MOVEMENT_FORM_KINDS", "NAVIGATION", "NavItem", "can", "event_actions", "navigation"]

# Events that only the system sends; a person never gets a button for them.
_SYSTEM_EVENTS = frozenset({OrderEvent.PAYMENT_TIMEOUT})

# The kinds a person may post, in the order the movement forms offer them (inbound first).
MOVEMENT_FORM_KINDS = tuple(kind.value for kind in MovementKind if kind in MANUAL_KINDS)


@dataclass(frozen=True, slots=True)
class NavItem:
    key: str
    href: str
    label: str
    permission: str


NAVIGATION = (
    NavItem("orders", "/console/orders", N_("Orders"), "orders:read"),
    NavItem("stock", "/console/stock", N_("Stock"), "stock:read"),
    NavItem("fulfilment", "/console/fulfilment", N_("Fulfilment"), "fulfilment:read"),
    NavItem("tickets", "/console/tickets", N_("Exception tickets"), "tickets:read"),
    NavItem("refunds", "/console/refunds", N_("Refund requests"), "refunds:read"),
    NavItem("refunds_sla", "/console/refunds/sla", N_("SLA board"), "refunds:review"),
    NavItem("risk", "/console/risk", N_("Risk review"), "risk:read"),
    NavItem(
        "notifications", "/console/notifications", N_("Buyer notifications"), "notifications:manage"
    ),
    NavItem("finance", "/console/finance", N_("Bank statements"), "finance:read"),
    NavItem("vouchers", "/console/vouchers", N_("Vouchers"), "vouchers:read"),
    NavItem("accounting", "/console/accounting", N_("Accounting"), "accounting:read"),
    NavItem("jobs", "/console/jobs", N_("Jobs"), "jobs:read"),
    NavItem("webhooks", "/console/webhooks", N_("Webhooks"), "channels:health"),
    NavItem("api_keys", "/console/api-keys", N_("API keys"), "keys:manage"),
    NavItem("users", "/console/users", N_("Users"), "users:manage"),
    NavItem("review_groups", "/console/review-groups", N_("Review groups"), "refunds:configure"),
    NavItem("alerts", "/console/alerts", N_("Alert routes"), "alerts:manage"),
)


def can(role: str, permission: str) -> bool:
    """True when ``role`` is a known role that ``permission`` is granted to."""
    return role in {r.value for r in Role} and Role(role) in ROLE_PERMISSIONS[permission]


def navigation(role: str) -> list[NavItem]:
    """The pages ``role`` may open, in menu order."""
    return [item for item in NAVIGATION if can(role, item.permission)]


def event_actions(order: OrderOut, role: str) -> list[OrderEvent]:
    """Events the table allows now and the role may send (never system-only events)."""
    return [
        event
        for event in order.allowed_events
        if event not in _SYSTEM_EVENTS and can(role, EVENT_PERMISSION[event])
    ]
