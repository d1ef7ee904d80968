"""Message catalogues and the Jinja environments that speak them.

The ``.po`` files under ``translations/`` are the only source: they are compiled in memory when
the console first renders, so a fresh clone needs no ``pybabel compile`` step. Labels for codes
(statuses, events, outcomes, roles) are marked with ``N_`` here so ``pybabel extract`` finds
them, and translated when a page renders.
"""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

from oms.users.schemas import LOCALES

__all__ = [
    "DEFAULT_LOCALE",
    "ERROR_MESSAGES",
    "EVENT_LABELS",
    "EXCEPTION_LABELS",
    "FINANCE_DONE_LABELS",
    "HEALTH_CHECK_LABELS",
    "INBOX_OUTCOME_LABELS",
    "JOB_STATUS_LABELS",
    "LANGUAGE_NAMES",
    "LEDGER_REF_LABELS",
    "LOCALES",
    "MOVEMENT_KIND_LABELS",
    "N_",
    "OUTCOME_LABELS",
    "REFUND_DONE_LABELS",
    "REFUND_REASON_LABELS",
    "REFUND_STATUS_LABELS",
    "RESERVATION_STATUS_LABELS",
    "ROLE_LABELS",
    "SEVERITY_LABELS",
    "SLA_COLOUR_LABELS",
    "STATEMENT_FORMAT_LABELS",
    "STATUS_LABELS",
    "SUBSCRIPTION_STATUS_LABELS",
    "TICKET_DONE_LABELS",
    "TICKET_KIND_LABELS",
    "TICKET_STATUS_LABELS",
    "VERIFICATION_LABELS",
    "VOUCHER_PROBLEM_LABELS",
    "WEBHOOK_DELIVERY_STATUS_LABELS",
    "environment",
    "translations",
]

_HERE = Path(__file__).resolve().parent
TRANSLATIONS_DIR = _HERE / "translations"
TEMPLATES_DIR = _HERE / "templates"
DEFAULT_LOCALE = LOCALES[0]


def N_(message: str) -> str:  # the gettext name extractors look for
    """Mark a message for extraction; it is translated where it is shown."""
    return message


# Each language is named in itself, whatever the page's language, so people can find theirs.
LANGUAGE_NAMES = {"zh-CN": "中文", "en": "English"}
STATUS_LABELS = {
    "pending_payment": N_("Awaiting payment"),
    "paid": N_("Awaiting shipment"),
    "on_hold": N_("On hold"),
    "partially_shipped": N_("Partially shipped"),
    "shipped": N_("Shipped"),
    "delivered": N_("Delivered"),
    "completed": N_("Completed"),
    "cancelled": N_("Cancelled"),
    "closed": N_("Closed (fully refunded)"),
}
EVENT_LABELS = {
    "create": N_("Order placed"),
    "pay": N_("Payment confirmed"),
    "cancel": N_("Cancel order"),
    "payment_timeout": N_("Auto-cancelled: payment timeout"),
    "hold": N_("Put on hold"),
    "release": N_("Release hold"),
    "partial_ship": N_("Ship partially"),
    "ship": N_("Ship"),
    "deliver": N_("Mark delivered"),
    "complete": N_("Confirm receipt"),
    "close": N_("Close (full refund)"),
    "stock_compensation": N_("Stock shortage: holds released, ticket opened"),
}
OUTCOME_LABELS = {
    "applied": N_("Applied"),
    "duplicate": N_("Duplicate request"),
    "stale": N_("Stale message ignored"),
    "rejected": N_("Rejected"),
}
ROLE_LABELS = {
    "admin": N_("Admin"),
    "ops": N_("Operations"),
    "service": N_("Customer service"),
    "finance": N_("Finance"),
    "warehouse": N_("Warehouse"),
    "integration": N_("Integration"),
}
JOB_STATUS_LABELS = {
    "pending": N_("Pending"),
    "running": N_("Running"),
    "done": N_("Done"),
    "dead": N_("Dead letter"),
}
MOVEMENT_KIND_LABELS = {
    "inbound": N_("Inbound"),
    "adjustment": N_("Stock-take adjustment"),
    "reserve": N_("Reserve"),
    "release": N_("Release hold"),
    "expire": N_("Reservation expired"),
    "deduct": N_("Deduction"),
    "return": N_("Return to stock"),
    "correction": N_("Correction"),
}
RESERVATION_STATUS_LABELS = {
    "active": N_("Held"),
    "released": N_("Released"),
    "expired": N_("Expired"),
    "deducted": N_("Deducted"),
}
TICKET_STATUS_LABELS = {
    "open": N_("Open"),
    "assigned": N_("Assigned"),
    "resolved": N_("Resolved"),
}
TICKET_KIND_LABELS = {
    "stock_shortage": N_("Stock shortage"),
    "fulfilment_mismatch": N_("Fulfilment exception"),
}
TICKET_DONE_LABELS = {
    "assigned": N_("Ticket assigned."),
    "commented": N_("Comment added."),
    "resolved": N_("Ticket resolved."),
}
# What caused a ledger row (its ``ref_type``).
LEDGER_REF_LABELS = {
    "order": N_("Order"),
    "manual": N_("Manual entry"),
    "safety_stock": N_("Safety stock"),
}
# An order's ``exception_code``: why it needs a person although its status looks normal.
EXCEPTION_LABELS = {
    "stock_shortage": N_("Stock shortage"),
}
# The webhooks page: inbound verification and outcome, health findings, outbound statuses.
VERIFICATION_LABELS = {"verified": N_("Signature verified"), "rejected": N_("Rejected")}
INBOX_OUTCOME_LABELS = {
    "applied": N_("Applied"),
    "payment_received": N_("Payment received, awaiting active query"),
    "duplicate": N_("Duplicate request"),
    "stale": N_("Stale message ignored"),
    "ignored": N_("Ignored (no order)"),
    "probe": N_("Test push"),
    "invalid": N_("Mapping failed"),
    "failed": N_("Processing failed, awaiting redelivery"),
    "stock_insufficient": N_("Not enough stock"),
}
SEVERITY_LABELS = {"info": N_("Info"), "warning": N_("Warning"), "critical": N_("Critical")}
HEALTH_CHECK_LABELS = {
    "secret_configured": N_("Signing secret"),
    "signature_failures": N_("Signature failures"),
    "duplicate_deliveries": N_("Duplicate deliveries"),
    "duplicate_subscriptions": N_("Duplicate subscriptions"),
    "overlapping_topics": N_("Overlapping topics"),
    "last_delivery": N_("Last delivery"),
    "processing_lag": N_("Processing lag"),
    "stock_insufficient": N_("Orders refused for stock"),
}
SUBSCRIPTION_STATUS_LABELS = {
    "active": N_("Active"),
    "disabled": N_("Disabled"),
    "deleted": N_("Deleted"),
}
WEBHOOK_DELIVERY_STATUS_LABELS = {
    "pending": N_("Sending"),
    "succeeded": N_("Delivered successfully"),
    "failed": N_("Failed"),
    "cancelled": N_("Cancelled"),
}
# Refunds: statuses, reasons, decisions and the SLA board's colours (时效看板).
REFUND_STATUS_LABELS = {
    "requested": N_("Awaiting review"),
    "approved": N_("Refund approved"),
    "rejected": N_("Refund rejected"),
    "refunding": N_("Refunding"),
    "refunded": N_("Refunded"),
    "failed": N_("Refund failed"),
}
REFUND_REASON_LABELS = {
    "wrong_item": N_("Wrong item"),
    "damaged_in_transit": N_("Damaged in transit"),
    "no_reason_7_days": N_("7-day no-reason return"),
    "quality": N_("Quality problem"),
    "not_received": N_("Not received"),
    "late_payment": N_("Paid after cancellation"),
    "other": N_("Other"),
}
REFUND_DONE_LABELS = {"approved": N_("Refund approved."), "rejected": N_("Refund rejected.")}
SLA_COLOUR_LABELS = {
    "green": N_("On time"),
    "yellow": N_("Yellow"),
    "orange": N_("Orange"),
    "red": N_("Red"),
}
# Finance: statement formats and what a review decision did.
STATEMENT_FORMAT_LABELS = {"mt940": "MT940", "camt053": "camt.053", "csv": "CSV"}
FINANCE_DONE_LABELS = {
    "imported": N_("Statement imported."),
    "duplicate": N_("This file was imported before; nothing was added."),
    "confirmed": N_("Match confirmed."),
    "rejected": N_("Match rejected; the line and the movement are open again."),
    "matched": N_("Line matched by hand."),
}
# Vouchers: where the chain check found the first bad voucher (``VerifyReport.problem``).
VOUCHER_PROBLEM_LABELS = {
    "missing": N_("Voucher missing"),
    "hash_mismatch": N_("Contents changed (hash mismatch)"),
    "bad_signature": N_("Signature invalid"),
    "out_of_order": N_("Out of sequence"),
    "prev_hash_mismatch": N_("Link to the previous voucher broken"),
}
# What a person reads for an error code; unknown codes fall back to the generic message.
ERROR_MESSAGES = {
    "ERR_AUTH_INVALID_CREDENTIALS": N_("Wrong e-mail address or password."),
    "ERR_AUTH_ACCOUNT_LOCKED": N_("Too many failed sign-ins. The account is locked for a while."),
    "ERR_AUTH_CSRF_FAILED": N_(
        "The form's security token is missing or wrong. Reload the page and try again."
    ),
    "ERR_AUTH_FORBIDDEN": N_("Your role may not do this."),
    "ERR_ORDER_ILLEGAL_TRANSITION": N_("This action is not allowed in the order's current status."),
    "ERR_ORDER_VERSION_MISMATCH": N_(
        "Someone else changed the order in the meantime. Check its current state and try again."
    ),
    "ERR_ORDER_NOT_FOUND": N_("No such order."),
    "ERR_STOCK_INSUFFICIENT": N_("Not enough stock: units held by orders cannot be removed."),
    "ERR_STOCK_VERSION_MISMATCH": N_(
        "The stock changed since this page was loaded. Check the current figures and try again."
    ),
    "ERR_STOCK_UNKNOWN_WAREHOUSE": N_("No such warehouse."),
    "ERR_TICKET_NOT_FOUND": N_("No such ticket."),
    "ERR_TICKET_INVALID_TRANSITION": N_("The ticket is already resolved."),
    "ERR_WEBHOOK_DELIVERY_IN_PROGRESS": N_(
        "This delivery is still being sent. Replay it after it succeeds or fails."
    ),
    "ERR_WEBHOOK_SUBSCRIPTION_INACTIVE": N_(
        "The subscription is disabled or deleted: subscribe the URL again first."
    ),
    "ERR_WEBHOOK_DELIVERY_NOT_FOUND": N_("No such delivery."),
    "ERR_REFUND_NOT_FOUND": N_("No such refund."),
    "ERR_REFUND_NOT_IN_GROUP": N_(
        "Only members of the refund's review group (or admins) may decide it."
    ),
    "ERR_REFUND_ILLEGAL_TRANSITION": N_("The refund has already been decided."),
    "ERR_FINANCE_MALFORMED_STATEMENT": N_(
        "The statement file could not be read; nothing was imported."
    ),
    "ERR_FINANCE_UNSUPPORTED_FORMAT": N_("This statement format is not supported."),
    "ERR_FINANCE_MATCH_NOT_FOUND": N_("No such match."),
    "ERR_FINANCE_LINE_NOT_FOUND": N_("No such statement line."),
    "ERR_FINANCE_MOVEMENT_NOT_FOUND": N_("No such expected movement."),
    "ERR_FINANCE_MATCH_CONFLICT": N_("The line or the movement is already matched or decided."),
    "ERR_NOT_FOUND": N_("Not found."),
    "ERR_CONFLICT": N_("This conflicts with the current state."),
    "ERR_VALIDATION": N_("The input is not valid."),
    "": N_("Something went wrong."),
}


@cache
def translations(locale: str) -> Translations:
    """The compiled catalogue of ``locale`` (``zh-CN`` → ``translations/zh_CN``)."""
    po_path = TRANSLATIONS_DIR / locale.replace("-", "_") / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale.replace("-", "_"))
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


@cache
def environment(locale: str) -> Environment:
    """One Jinja environment per language, so concurrent requests never share gettext."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    return env
