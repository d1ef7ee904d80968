"""Message catalogues and the Jinja environments that speak them.

The ``.po`` files under ``translations/`` are the only source: they are compiled in memory when
the console first renders, so a fresh clone needs no ``pybabel compile`` step. Labels for codes
(statuses, events, outcomes, roles) are data: one table a section of ``translations/labels.toml``,
found by ``pybabel extract`` through ``extract_labels`` and translated when a page renders.
Messages in code are marked with ``N_``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

from oms.users.schemas import LOCALES

__all__ = [
    "ACCOUNTING_DONE_LABELS",
    "ACCOUNTING_KIND_LABELS",
    "ACCOUNTING_SINK_LABELS",
    "ACCOUNTING_STATE_LABELS",
    "ACCOUNTING_STATUS_LABELS",
    "BUYER_EVENT_LABELS",
    "BUYER_SOURCE_LABELS",
    "BUYER_STEP_LABELS",
    "CHANNEL_LABELS",
    "DEFAULT_LOCALE",
    "DELAY_SUGGESTION_LABELS",
    "DIFFERENCE_LABELS",
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
    "MATCH_REASON_LABELS",
    "MOVEMENT_KIND_LABELS",
    "NOTIFY_CHANNEL_LABELS",
    "NOTIFY_DONE_LABELS",
    "NOTIFY_NODE_LABELS",
    "NOTIFY_STATUS_LABELS",
    "N_",
    "OUTCOME_LABELS",
    "PLAN_REASON_LABELS",
    "REFUND_DONE_LABELS",
    "REFUND_REASON_LABELS",
    "REFUND_STATUS_LABELS",
    "REPORT_CHART_LABELS",
    "REPORT_FIGURE_LABELS",
    "REPORT_SERIES_LABELS",
    "RESERVATION_STATUS_LABELS",
    "RISK_ACTION_LABELS",
    "RISK_BLACKLIST_KIND_LABELS",
    "RISK_DONE_LABELS",
    "RISK_LEVEL_LABELS",
    "RISK_RECOMMENDATION_LABELS",
    "ROLE_LABELS",
    "SEVERITY_LABELS",
    "SLA_COLOUR_LABELS",
    "STATEMENT_FORMAT_LABELS",
    "STATUS_LABELS",
    "SUBSCRIPTION_STATUS_LABELS",
    "SUGGESTED_ACTION_LABELS",
    "TICKET_COMMENT_LABELS",
    "TICKET_DONE_LABELS",
    "TICKET_KIND_LABELS",
    "TICKET_STATUS_LABELS",
    "TICKET_TITLE_LABELS",
    "TRACKING_STATUS_LABELS",
    "TRACKING_SUB_STATUS_LABELS",
    "VERIFICATION_LABELS",
    "VOUCHER_PROBLEM_LABELS",
    "WEBHOOK_DELIVERY_STATUS_LABELS",
    "ZONE_LABELS",
    "environment",
    "extract_labels",
    "labels",
    "plan_reason_text",
    "reason_text",
    "ticket_text",
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
LABELS_FILE = TRANSLATIONS_DIR / "labels.toml"


def _load_labels() -> dict[str, Any]:
    with LABELS_FILE.open("rb") as labels_file:
        return tomllib.load(labels_file)


_TABLES = _load_labels()


def labels(table: str) -> dict[str, str]:
    """One table of ``labels.toml``: code → English message id, in the file's order."""
    found: dict[str, str] = _TABLES[table]
    return found


def extract_labels(
    fileobj: IO[bytes], keywords: object, comment_tags: object, options: object
) -> Iterator[tuple[int, str, str, list[str]]]:
    """A Babel extractor for ``labels.toml``: every value of every table is a message."""
    for lineno, line in enumerate(fileobj.read().decode("utf-8").splitlines(), start=1):
        if "=" in line and not line.lstrip().startswith("#"):
            value = tomllib.loads(f"v = {line.partition('=')[2]}")["v"]
            yield lineno, "N_", value, []


STATUS_LABELS = labels("status")
EVENT_LABELS = labels("event")
OUTCOME_LABELS = labels("outcome")
# The zone every console time is shown in, as people name it; others show their IANA name.
ZONE_LABELS = labels("zone")
CHANNEL_LABELS = labels("channel")
ROLE_LABELS = labels("role")
JOB_STATUS_LABELS = labels("job_status")
MOVEMENT_KIND_LABELS = labels("movement_kind")
RESERVATION_STATUS_LABELS = labels("reservation_status")
TICKET_STATUS_LABELS = labels("ticket_status")
TICKET_KIND_LABELS = labels("ticket_kind")
TICKET_DONE_LABELS = labels("ticket_done")
LEDGER_REF_LABELS = labels("ledger_ref")
EXCEPTION_LABELS = labels("exception")
VERIFICATION_LABELS = labels("verification")
INBOX_OUTCOME_LABELS = labels("inbox_outcome")
SEVERITY_LABELS = labels("severity")
HEALTH_CHECK_LABELS = labels("health_check")
SUBSCRIPTION_STATUS_LABELS = labels("subscription_status")
WEBHOOK_DELIVERY_STATUS_LABELS = labels("webhook_delivery_status")
REFUND_STATUS_LABELS = labels("refund_status")
REFUND_REASON_LABELS = labels("refund_reason")
REFUND_DONE_LABELS = labels("refund_done")
SLA_COLOUR_LABELS = labels("sla_colour")
# Statement formats are names, not words: never translated.
STATEMENT_FORMAT_LABELS = {"mt940": "MT940", "camt053": "camt.053", "csv": "CSV"}
FINANCE_DONE_LABELS = labels("finance_done")
RISK_DONE_LABELS = labels("risk_done")
DELAY_SUGGESTION_LABELS = labels("delay_suggestion")
RISK_LEVEL_LABELS = labels("risk_level")
RISK_RECOMMENDATION_LABELS = labels("risk_recommendation")
RISK_ACTION_LABELS = labels("risk_action")
RISK_BLACKLIST_KIND_LABELS = labels("risk_blacklist_kind")
NOTIFY_NODE_LABELS = labels("notify_node")
NOTIFY_CHANNEL_LABELS = labels("notify_channel")
NOTIFY_STATUS_LABELS = labels("notify_status")
NOTIFY_DONE_LABELS = labels("notify_done")
# ``legacy`` is no message: an old row's reason text, shown as it was written.
MATCH_REASON_LABELS = labels("match_reason") | {"legacy": "%(text)s"}
PLAN_REASON_LABELS = labels("plan_reason")
TRACKING_STATUS_LABELS = labels("tracking_status")
TRACKING_SUB_STATUS_LABELS = labels("tracking_sub_status")
SUGGESTED_ACTION_LABELS = labels("suggested_action")
# The buyer's side of an order: the progress bar, its history and where each step came from.
BUYER_STEP_LABELS = labels("buyer_step")
BUYER_EVENT_LABELS = labels("buyer_event")
BUYER_SOURCE_LABELS = labels("buyer_source")
REPORT_FIGURE_LABELS = labels("report_figure")
REPORT_CHART_LABELS = labels("report_chart")
REPORT_SERIES_LABELS = labels("report_series")
# What oms writes on tickets: the same templates as ``oms.tickets.texts``, translated here.
TICKET_TITLE_LABELS = labels("ticket_title")
TICKET_COMMENT_LABELS = labels("ticket_comment")
REFERENCE_FIELD_LABELS = labels("reference_field")
DIFFERENCE_LABELS = labels("difference")
VOUCHER_PROBLEM_LABELS = labels("voucher_problem")
ACCOUNTING_STATUS_LABELS = labels("accounting_status")
ACCOUNTING_KIND_LABELS = labels("accounting_kind")
ACCOUNTING_STATE_LABELS = labels("accounting_state")
ACCOUNTING_DONE_LABELS = labels("accounting_done")
ACCOUNTING_SINK_LABELS = labels("accounting_sink")
# What a person reads for an error code; unknown codes fall back to the generic message ("").
ERROR_MESSAGES = labels("error")

# --- The order page and the orders list (workspace): reasons, actors, labels. ---
ACTION_REASONS: dict[str, dict[str, str]] = _TABLES["action_reasons"]
REASON_LABELS = {
    code: label for reasons in ACTION_REASONS.values() for code, label in reasons.items()
}
ACTOR_KIND_LABELS = labels("actor_kind")
PAYMENT_STATUS_LABELS = labels("payment_status")
SHIPMENT_STATUS_LABELS = labels("shipment_status")
BULK_DONE_LABELS = labels("bulk_done")
# The status tabs of the orders list: every status, in the order of its table.
STATUS_TABS = tuple(STATUS_LABELS)
# What the order and orders pages add to the labels every page gets (see ``render``).
ORDER_PAGE_LABELS: dict[str, Any] = {
    "ACTION_REASONS": ACTION_REASONS,
    "REASON_LABELS": REASON_LABELS,
    "ACTOR_KIND_LABELS": ACTOR_KIND_LABELS,
    "PAYMENT_STATUS_LABELS": PAYMENT_STATUS_LABELS,
    "SHIPMENT_STATUS_LABELS": SHIPMENT_STATUS_LABELS,
    "BULK_DONE_LABELS": BULK_DONE_LABELS,
    "STATUS_TABS": STATUS_TABS,
}
__all__ += ["ACTION_REASONS", "ACTOR_KIND_LABELS", "ORDER_PAGE_LABELS", "REASON_LABELS"]


def reason_text(code: str, params: Mapping[str, Any], gettext: Callable[[str], str]) -> str:
    """One match reason in the reader's language; an unknown code is shown as itself."""
    key = _reason_key(code, params)
    template = MATCH_REASON_LABELS.get(key)
    if template is None:
        return code
    values = {name: str(value) for name, value in params.items()}
    if "field" in values:
        values["field"] = gettext(REFERENCE_FIELD_LABELS.get(values["field"], values["field"]))
    return _filled(template, values, gettext, code)


def plan_reason_text(code: str, params: Mapping[str, Any], gettext: Callable[[str], str]) -> str:
    """One fulfilment-plan reason in the reader's language; lists are joined by commas."""
    template = PLAN_REASON_LABELS.get(code)
    if template is None:
        return code
    values = {
        name: ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        for name, value in params.items()
    }
    return _filled(template, values, gettext, code)


def ticket_text(
    table: Mapping[str, str],
    code: str | None,
    params: Mapping[str, Any] | None,
    gettext: Callable[[str], str],
) -> str | None:
    """A ticket title or system comment (``table`` is ``TICKET_TITLE_LABELS`` or
    ``TICKET_COMMENT_LABELS``) in the reader's language, or ``None`` when the row has no code
    this console knows (an old row: the caller shows its stored text)."""
    template = table.get(code or "")
    if template is None:
        return None
    values = {name: _ticket_param(name, value, gettext) for name, value in (params or {}).items()}
    try:
        return gettext(template) % values
    except (KeyError, ValueError, TypeError):  # parameters missing from a row
        return None


#: Parameters of ticket texts that are codes themselves, shown by their labels.
_TICKET_PARAM_LABELS = {
    "event": EVENT_LABELS,
    "later_event": EVENT_LABELS,
    "status": STATUS_LABELS,
}


def _ticket_param(name: str, value: Any, gettext: Callable[[str], str]) -> str:
    table = _TICKET_PARAM_LABELS.get(name)
    text = str(value)
    return gettext(table[text]) if table and text in table else text


def _filled(
    template: str, values: Mapping[str, str], gettext: Callable[[str], str], code: str
) -> str:
    try:
        return gettext(template) % values
    except (KeyError, ValueError, TypeError):  # parameters missing from an old row
        return code


def _reason_key(code: str, params: Mapping[str, Any]) -> str:
    if code == "reference_typo":
        return f"typo_{params.get('edit', 'substitution')}"
    if code == "group_parts":
        return f"group_{params.get('kind', 'merged')}"
    if code == "manual" and params.get("note"):
        return "manual_note"
    return code


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
