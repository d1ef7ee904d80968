"""The finance page's data beyond the review queue: import counts, confirmed matches, the
warning step before a doubtful confirmation, and the manual match's pickers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from oms.console.actors import actor_names
from oms.core.money import MAX_AMOUNT
from oms.core.paging import PageRequest
from oms.core.uow import Database
from oms.finance import queries as finance_queries
from oms.finance.schemas import (
    FinanceSettingsOut,
    ImportResult,
    MovementOut,
    ReviewItem,
    StatementLineOut,
)
from oms.finance.states import MatchStatus
from oms.users.schemas import SessionUser

__all__ = [
    "FinancePage",
    "Picker",
    "check_acknowledged",
    "finance_page",
    "import_counts",
    "missing",
    "parse_amount",
    "warnings_of",
]

OPEN_LIMIT = 100
AUTO_DECIDER = "engine"  # the principal the matcher confirms with (finance.store)
# "123.45", "¥123.45", "1,234.50", "123": yuan with at most two decimals.
_AMOUNT = re.compile(r"^[¥￥]?\s*(\d{1,12}(?:,\d{3})*|\d+)(?:\.(\d{1,2}))?$")


@dataclass(frozen=True, slots=True)
class Picker:
    """The manual match for one chosen line: what was searched, and the movements found."""

    line: StatementLineOut
    find: str
    movements: list[MovementOut]


@dataclass(frozen=True, slots=True)
class FinancePage:
    review: list[ReviewItem]
    lines: list[StatementLineOut]
    movements: list[MovementOut]
    confirmed: list[ReviewItem]
    settings: FinanceSettingsOut
    warning: ReviewItem | None  # the match a confirmation waits on, with its warnings
    picker: Picker | None
    # Who confirmed each confirmed match, by name (a user's e-mail); the matcher's own
    # confirmations ("engine") are absent and read "automatically".
    deciders: dict[str, str]


def warnings_of(item: ReviewItem, settings: FinanceSettingsOut) -> list[str]:
    """Why confirming ``item`` deserves a second look: ``low_score`` (under the tenant's
    auto-confirm score) and ``amount_difference`` (line and movement amounts differ)."""
    found = []
    if item.match.score < settings.auto_confirm_score:
        found.append("low_score")
    if item.line.amount != item.movement.amount:
        found.append("amount_difference")
    return found


def parse_amount(text: str) -> int | None:
    """Yuan as typed (``¥123.45``) in fen; None when ``text`` is not an amount, or is more
    than any amount oms stores (an 18-digit order number is not an amount, and would not fit
    a database integer)."""
    found = _AMOUNT.match(text.strip())
    if not found:
        return None
    yuan = int(found.group(1).replace(",", ""))
    fen = yuan * 100 + int((found.group(2) or "0").ljust(2, "0"))
    return fen if fen <= MAX_AMOUNT else None


def import_counts(result: ImportResult) -> dict[str, str]:
    """What the flash after an import says: lines read, auto-confirmed, in review, unmatched."""
    unmatched = sum(1 for line in result.lines if line.status == "unmatched")
    counts = {
        "lines": result.line_count,
        "auto": result.auto_confirmed,
        "review": result.for_review,
        "unmatched": unmatched,
    }
    return {key: str(value) for key, value in counts.items()}


def finance_page(
    db: Database, user: SessionUser, *, confirm: str | None, line: str | None, find: str
) -> FinancePage:
    """The finance page; ``confirm`` names a match waiting on its warning, ``line`` the line
    the picker matches, ``find`` its search (an order number prefix or an amount)."""
    tenant_id = user.tenant_id
    first = PageRequest(limit=OPEN_LIMIT)
    lines = finance_queries.list_lines(db, tenant_id, status="unmatched", page=first).items
    movements = finance_queries.list_movements(db, tenant_id, status="open", page=first).items
    warning = finance_queries.review_item(db, tenant_id, confirm) if confirm else None
    confirmed = finance_queries.confirmed_matches(db, tenant_id)
    people = [i.match.decided_by for i in confirmed if i.match.decided_by != AUTO_DECIDER]
    names = actor_names(db, tenant_id, people)
    return FinancePage(
        review=finance_queries.review_queue(db, tenant_id),
        lines=lines,
        movements=movements,
        confirmed=confirmed,
        settings=finance_queries.get_settings(db, tenant_id),
        warning=warning,
        picker=_picker(db, tenant_id, line, find),
        deciders={principal: name.name for principal, name in names.items()},
    )


def _picker(db: Database, tenant_id: str, line_id: str | None, find: str) -> Picker | None:
    line = finance_queries.unmatched_line(db, tenant_id, line_id) if line_id else None
    if line is None:
        return None
    text = find.strip()[:64]
    if not text:  # no search: the line's own amount
        found = finance_queries.find_open_movements(
            db, tenant_id, order_no=None, amount=line.amount
        )
        return Picker(line, text, found)
    amount = parse_amount(text)
    found = []
    if amount is not None:
        found = finance_queries.find_open_movements(db, tenant_id, order_no=None, amount=amount)
    if amount is None or text.isdigit():
        # Bare digits are an amount in yuan and an order number's start (channels' order
        # numbers are all digits): show both.
        by_number = finance_queries.find_open_movements(
            db, tenant_id, order_no=text[:32], amount=None
        )
        known = {m.id for m in found}
        found += [m for m in by_number if m.id not in known]
    return Picker(line, text, found)


def missing(page: FinancePage, *, confirm: str | None, line: str | None) -> str | None:
    """The code of what the address asked for but the tenant does not have: a match to
    confirm, or an unmatched line to pick an order for (another tenant's is unknown too)."""
    if confirm and page.warning is None:
        return "ERR_FINANCE_MATCH_NOT_FOUND"
    if line and page.picker is None:
        return "ERR_FINANCE_LINE_NOT_FOUND"
    return None


def check_acknowledged(item: ReviewItem | None, settings: FinanceSettingsOut, ack: str) -> bool:
    """True when the confirmation may go ahead: nothing to warn about, or the person saw it.

    Only a proposal still in review warns: one already decided goes on to the service, which
    answers ERR_FINANCE_MATCH_CONFLICT (a warning about a decision already taken misleads)."""
    if item is None or ack == "1" or item.match.status != MatchStatus.REVIEW:
        return True
    return not warnings_of(item, settings)
