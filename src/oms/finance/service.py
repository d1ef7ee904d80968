"""Finance use cases: settings, statement import, expected movements, matching, review.

Each is one unit of work with one commit. Matching runs in memory (``matching``) on what the
unit of work loaded, and its proposals are written in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from oms.core.audit import Attempt, Outcome, record_attempt
from oms.core.context import Actor
from oms.core.repo import retry_on_race
from oms.core.uow import Database, UnitOfWork
from oms.finance import statements, store
from oms.finance.errors import InvalidFinanceSettings
from oms.finance.matching import MatchSettings, MovementIndex, match_lines
from oms.finance.models import FinanceSettings
from oms.finance.parsers import CsvLayout, parse_statement
from oms.finance.review import confirm_match, match_line, reject_match
from oms.finance.schemas import (
    FinanceSettingsIn,
    FinanceSettingsOut,
    ImportResult,
    MatchRunResult,
)
from oms.finance.sync import sync_expected

__all__ = [
    "confirm_match",
    "import_statement",
    "match_line",
    "reject_match",
    "run_matching",
    "sync_expected",
    "update_settings",
]


def update_settings(db: Database, actor: Actor, body: FinanceSettingsIn) -> FinanceSettingsOut:
    """Set the tenant's tolerance, date window, auto-confirm score and CSV layout.

    Raises: ERR_FINANCE_INVALID_SETTINGS (sign convention without its columns).
    """
    layout = body.csv_layout
    if layout.sign == "columns" and not (layout.credit_column and layout.debit_column):
        raise InvalidFinanceSettings("sign=columns needs credit_column and debit_column")
    if layout.sign == "indicator" and not layout.indicator_column:
        raise InvalidFinanceSettings("sign=indicator needs indicator_column")
    with db.uow() as uow:
        row = uow.session.get(FinanceSettings, actor.tenant_id)
        if row is None:
            row = FinanceSettings(tenant_id=actor.tenant_id)
            uow.session.add(row)
        row.amount_tolerance = body.amount_tolerance
        row.date_window_days = body.date_window_days
        row.auto_confirm_score = body.auto_confirm_score
        row.auto_confirm_merged = body.auto_confirm_merged
        row.csv_layout = layout.model_dump()
        row.updated_at = uow.clock.now()
        _audit(uow, actor, "finance_settings", actor.tenant_id, "update_settings")
        uow.commit()
    return FinanceSettingsOut(tenant_id=actor.tenant_id, **body.model_dump())


def import_statement(
    db: Database,
    actor: Actor,
    *,
    data: bytes,
    fmt: str,
    filename: str | None = None,
    source_id: str | None = None,
) -> ImportResult:
    """Import a statement file once, then match the open lines.

    The file is parsed completely before anything is written, and all of it is written in one
    transaction. A file seen before (same SHA-256) adds nothing; lines seen before (same
    dedupe key, e.g. overlapping exports) are skipped. The answer lists every line's outcome.
    ``source_id`` names the statement-pull source that fetched the file.
    Raises: ERR_FINANCE_UNSUPPORTED_FORMAT, ERR_FINANCE_MALFORMED_STATEMENT.
    """
    # A concurrent import of the same file (or overlapping lines) may commit first; the
    # second attempt sees it and adds only what is still new.
    return retry_on_race(
        lambda: _import_once(db, actor, data, fmt, filename, source_id), attempts=2
    )


def _import_once(
    db: Database,
    actor: Actor,
    data: bytes,
    fmt: str,
    filename: str | None,
    source_id: str | None,
) -> ImportResult:
    digest = statements.file_digest(data)
    with db.uow() as uow:
        known = statements.existing_statement(uow.session, actor.tenant_id, digest)
        if known is not None:
            return ImportResult(
                statement_id=known.id,
                format=known.format,
                is_duplicate_file=True,
                line_count=known.line_count,
                lines_added=0,
                lines_skipped=known.line_count,
                auto_confirmed=0,
                for_review=0,
                lines=statements.stored_lines(uow.session, actor.tenant_id, known.id),
                lines_url=_lines_url(known.id),
            )
        tenant_settings = _settings(uow, actor.tenant_id)
        parsed = parse_statement(data, fmt, _layout(tenant_settings))
        now = uow.clock.now()
        statement, seen = statements.store_statement(
            uow.session,
            actor.tenant_id,
            parsed,
            fmt=fmt,
            digest=digest,
            filename=filename,
            by=actor.principal,
            now=now,
            source_id=source_id,
        )
        uow.session.flush()
        auto, review, _, _ = _match(uow, actor.tenant_id, tenant_settings, now)
        uow.session.flush()
        lines = statements.line_results(uow.session, actor.tenant_id, parsed, seen)
        _audit(uow, actor, "bank_statement", statement.id, "import", lines=statement.lines_added)
        uow.commit()
    return ImportResult(
        statement_id=statement.id,
        format=fmt,
        is_duplicate_file=False,
        line_count=statement.line_count,
        lines_added=statement.lines_added,
        lines_skipped=statement.line_count - statement.lines_added,
        auto_confirmed=auto,
        for_review=review,
        lines=lines,
        lines_url=_lines_url(statement.id),
    )


def _lines_url(statement_id: str) -> str:
    return f"/api/v1/finance/statements/{statement_id}/lines"


def run_matching(db: Database, actor: Actor) -> MatchRunResult:
    """Match every open statement line against the open expected movements."""
    with db.uow() as uow:
        settings = _settings(uow, actor.tenant_id)
        auto, review, lines, movements = _match(uow, actor.tenant_id, settings, uow.clock.now())
        _audit(uow, actor, "finance_matching", actor.tenant_id, "run", auto=auto, review=review)
        uow.commit()
    return MatchRunResult(
        lines_considered=lines, movements_open=movements, auto_confirmed=auto, for_review=review
    )


def _match(
    uow: UnitOfWork, tenant_id: str, settings: MatchSettings | FinanceSettings | None, now: datetime
) -> tuple[int, int, int, int]:
    session = uow.session
    lines = store.load_open_lines(session, tenant_id)
    if not lines:
        return 0, 0, 0, 0
    movements = store.load_open_movements(session, tenant_id)
    rejected = store.load_rejected_pairs(session, tenant_id)
    proposals = match_lines(
        lines, MovementIndex(movements), _engine_settings(settings), rejected=rejected
    )
    auto, review = store.write_proposals(session, tenant_id, proposals, now=now)
    return auto, review, len(lines), len(movements)


def _settings(uow: UnitOfWork, tenant_id: str) -> FinanceSettings | None:
    return uow.session.get(FinanceSettings, tenant_id)


def _engine_settings(row: MatchSettings | FinanceSettings | None) -> MatchSettings:
    if row is None or isinstance(row, MatchSettings):
        return row or MatchSettings()
    return MatchSettings(
        row.amount_tolerance,
        row.date_window_days,
        row.auto_confirm_score,
        auto_confirm_merged=row.auto_confirm_merged,
    )


def _layout(row: FinanceSettings | None) -> CsvLayout:
    if row is None:
        return CsvLayout()
    raw = dict(row.csv_layout)
    raw["memo_columns"] = tuple(raw.get("memo_columns") or ("memo",))
    raw["debit_values"] = tuple(raw.get("debit_values") or ())
    return CsvLayout(**raw)


def _audit(
    uow: UnitOfWork, actor: Actor, kind: str, target: str, event: str, **details: object
) -> None:
    attempt = Attempt(kind, target, event, Outcome.APPLIED, details=dict(details))
    record_attempt(uow.session, actor, attempt, now=uow.clock.now())
