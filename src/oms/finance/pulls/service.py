"""Statement pulls: sources, the daily schedule, and the job that fetches and imports a day.

Scheduling: every worker runs :func:`schedule_due` about once a minute. It takes the sources
whose ``next_run_at`` has passed, moves each one's ``next_run_at`` to its next local
``run_at`` with a compare-and-set on ``version`` (so two workers never enqueue the same run),
and enqueues a ``finance.pull`` job for the previous local day in the same transaction.
A person can enqueue the same job for any day (:func:`trigger_pull`: API or CLI).

The job (:func:`run_pull`) makes the network calls outside any transaction, then hands the
file to the ordinary statement import, which deduplicates by file hash and by line, so a
retried or repeated pull adds nothing twice. Every attempt is recorded as a run.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError

from oms.core import outbox
from oms.core.audit import Attempt, Outcome, record_attempt
from oms.core.context import Actor
from oms.core.errors import AppError
from oms.core.ids import new_id
from oms.core.models import Tenant
from oms.core.paging import Page, PageRequest, fetch_items, fetch_page
from oms.core.repo import scoped, update_versioned
from oms.core.secrets import secret_box
from oms.core.uow import Database, UnitOfWork
from oms.finance import service as finance_service
from oms.finance.errors import InvalidPullSource, PullFailed, PullSourceNotFound
from oms.finance.events import StatementPullDue
from oms.finance.pulls import clients
from oms.finance.pulls.models import PullRun, PullSource
from oms.finance.pulls.schemas import (
    PullKind,
    PullRunOut,
    PullSourceIn,
    PullSourceOut,
    PullTriggered,
)
from oms.payments.config import load_credentials
from oms.payments.errors import GatewayQueryFailed
from oms.payments.gateways.registry import gateway_for

__all__ = [
    "PULL_TIMEOUT_SECONDS",
    "PageRequest",
    "create_source",
    "list_runs",
    "list_sources",
    "next_run",
    "run_pull",
    "schedule_due",
    "trigger_pull",
]

log = structlog.get_logger(__name__)

PULL_TIMEOUT_SECONDS = 30.0
_SCHEDULE_BATCH = 100


def create_source(db: Database, actor: Actor, body: PullSourceIn) -> PullSourceOut:
    """Add a daily statement source. Raises: ERR_FINANCE_INVALID_PULL_SOURCE, ERR_CONFLICT."""
    settings = _settings(body)
    source_id = new_id()
    sealed: dict[str, str] = {}
    if body.auth_value is not None:
        context = _secret_context(actor.tenant_id, source_id)
        sealed["auth_value"] = secret_box().seal(
            body.auth_value.get_secret_value(), context=context
        )
    with db.uow() as uow:
        now = uow.clock.now()
        tenant = uow.session.get(Tenant, actor.tenant_id)
        zone = ZoneInfo(tenant.timezone if tenant else "Asia/Shanghai")
        taken = uow.session.scalar(
            select(PullSource.id).where(
                PullSource.tenant_id == actor.tenant_id, PullSource.name == body.name
            )
        )
        if taken is not None:
            raise InvalidPullSource("a source of that name exists", name=body.name)
        minute = int(body.run_at[:2]) * 60 + int(body.run_at[3:])
        row = PullSource(
            tenant_id=actor.tenant_id,
            id=source_id,
            name=body.name,
            kind=str(body.kind),
            settings=settings,
            sealed=sealed,
            run_at_minute=minute,
            enabled=body.enabled,
            next_run_at=next_run(now, minute, zone),
            version=1,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(row)
        try:
            uow.session.flush()
        except IntegrityError:  # a concurrent create of the same name won
            raise InvalidPullSource("a source of that name exists", name=body.name) from None
        _audit(uow.session, actor, row.id, "create_pull_source", now, kind=row.kind)
        out = _source_out(row)
        uow.commit()
    return out


def list_sources(
    db: Database, tenant_id: str, *, page: PageRequest = PageRequest()
) -> Page[PullSourceOut]:
    """The tenant's pull sources by name."""
    stmt = scoped(PullSource, tenant_id)
    keys = (PullSource.name, PullSource.id)
    with db.reader() as session:
        return fetch_items(session, stmt, keys, page, _source_out, scope="finance.pull_sources")


def list_runs(
    db: Database, tenant_id: str, source_id: str, *, page: PageRequest = PageRequest()
) -> Page[PullRunOut]:
    """A source's runs, newest first. Raises: ERR_FINANCE_PULL_SOURCE_NOT_FOUND."""
    with db.reader() as session:
        if session.get(PullSource, (tenant_id, source_id)) is None:
            raise PullSourceNotFound("no such pull source", source_id=source_id)
        stmt = select(PullRun).where(PullRun.tenant_id == tenant_id, PullRun.source_id == source_id)
        keys: list[ColumnElement[Any]] = [PullRun.started_at.expression, PullRun.id.expression]
        rows = fetch_page(
            session, stmt, keys, page, scope=f"finance.pull_runs:{source_id}", descending=True
        )
        return rows.page([PullRunOut.model_validate(r[0], from_attributes=True) for r in rows.rows])


def trigger_pull(
    db: Database, actor: Actor, source_id: str, *, bill_date: date | None = None
) -> PullTriggered:
    """Enqueue a pull of one day (default: yesterday in the tenant's zone) now.

    Raises: ERR_FINANCE_PULL_SOURCE_NOT_FOUND.
    """
    with db.uow() as uow:
        now = uow.clock.now()
        row = uow.session.get(PullSource, (actor.tenant_id, source_id))
        if row is None:
            raise PullSourceNotFound("no such pull source", source_id=source_id)
        tenant = uow.session.get(Tenant, actor.tenant_id)
        zone = ZoneInfo(tenant.timezone if tenant else "Asia/Shanghai")
        day = bill_date or (now.astimezone(zone).date() - timedelta(days=1))
        job_id = _queue_pull(uow, row, day, now)
        _audit(uow.session, actor, row.id, "trigger_pull", now, bill_date=day.isoformat())
        uow.commit()
    return PullTriggered(source_id=source_id, bill_date=day, job_id=job_id)


def schedule_due(db: Database) -> int:
    """Enqueue the pulls whose time has come (every tenant); returns how many were enqueued."""
    enqueued = 0
    with db.uow() as uow:
        now = uow.clock.now()
        due = uow.session.execute(
            select(PullSource, Tenant.timezone)
            .join(Tenant, Tenant.id == PullSource.tenant_id)
            .where(PullSource.enabled.is_(True), PullSource.next_run_at <= now)
            .order_by(PullSource.next_run_at)
            .limit(_SCHEDULE_BATCH)
        ).all()
        for row, timezone in due:
            zone = ZoneInfo(timezone)
            # The run due at (local) D HH:MM pulls day D-1, even when the worker is late.
            day = row.next_run_at.astimezone(zone).date() - timedelta(days=1)
            claim = {
                "next_run_at": next_run(now, row.run_at_minute, zone),
                "version": row.version + 1,
                "updated_at": now,
            }
            if update_versioned(uow, row, claim):
                _queue_pull(uow, row, day, now)
                enqueued += 1
        uow.commit()
    return enqueued


def run_pull(db: Database, *, tenant_id: str, source_id: str, bill_date: date, job_id: str) -> str:
    """Fetch one day's file from the source and import it; returns the run's outcome.

    Raises: ERR_FINANCE_PULL_FAILED and the import's errors (the job runner retries).
    """
    started = db.clock.now()
    with db.reader() as session:
        row = session.get(PullSource, (tenant_id, source_id))
    if row is None:
        return "gone"  # deleted since it was enqueued: nothing to do
    try:
        fetched = _fetch(db, row, bill_date, started)
        if fetched is None:
            _record(db, row, bill_date, job_id, started, outcome="empty")
            return "empty"
        actor = Actor.system(tenant_id, f"pull:{row.name}")
        result = finance_service.import_statement(
            db,
            actor,
            data=fetched.data,
            fmt=fetched.fmt,
            filename=fetched.filename,
            source_id=row.id,
        )
    except AppError as error:
        _record(db, row, bill_date, job_id, started, outcome="failed", error=error)
        log.warning("finance.pull_failed", source_id=source_id, code=error.code)
        raise
    outcome = "duplicate_file" if result.is_duplicate_file else "imported"
    _record(
        db,
        row,
        bill_date,
        job_id,
        started,
        outcome=outcome,
        statement_id=result.statement_id,
        lines_added=result.lines_added,
    )
    return outcome


def next_run(now: datetime, minute: int, zone: ZoneInfo) -> datetime:
    """The first local ``minute`` of the day strictly after ``now``, as UTC."""
    local = now.astimezone(zone)
    at = datetime.combine(local.date(), time(minute // 60, minute % 60), tzinfo=zone)
    if at <= local:
        at = datetime.combine(local.date() + timedelta(days=1), at.timetz())
    return at.astimezone(now.tzinfo)


def _fetch(db: Database, row: PullSource, day: date, now: datetime) -> clients.Fetched | None:
    settings = row.settings
    if row.kind == PullKind.HTTP:
        sealed = row.sealed.get("auth_value")
        secret = (
            secret_box().open(sealed, context=_secret_context(row.tenant_id, row.id))
            if sealed
            else None
        )
        return clients.fetch_http(
            str(settings["url"]),
            fmt=str(settings["format"]),
            auth_header=settings.get("auth_header"),
            auth_value=secret,
            bill_date=day,
            timeout=PULL_TIMEOUT_SECONDS,
        )
    return _fetch_bill(db, row, day, now)


# The pull source setting that names the bill to ask each gateway for.
_BILL_SETTING: dict[str, str] = {PullKind.ALIPAY: "bill_type", PullKind.WECHATPAY: "bill"}


def _fetch_bill(db: Database, row: PullSource, day: date, now: datetime) -> clients.Fetched | None:
    """A payment gateway's bill for the day, through its adapter (signing stays in payments).

    Raises: ERR_FINANCE_PULL_FAILED (the gateway's own failures keep their message).
    """
    setting = _BILL_SETTING.get(row.kind)
    if setting is None:
        raise PullFailed(f"no pull for source kind {row.kind}")
    creds = load_credentials(db, row.tenant_id, row.kind)
    try:
        return gateway_for(row.kind).download_bill(
            creds,
            str(row.settings[setting]),
            day,
            now=now,
            timeout=PULL_TIMEOUT_SECONDS,
            download=clients.downloader(timeout=PULL_TIMEOUT_SECONDS),
        )
    except GatewayQueryFailed as error:
        raise PullFailed(error.message, **error.details) from None


def _queue_pull(uow: UnitOfWork, row: PullSource, day: date, now: datetime) -> str:
    due = StatementPullDue(tenant_id=row.tenant_id, source_id=row.id, bill_date=day)
    return outbox.add(uow, due, now=now)


def _record(
    db: Database,
    row: PullSource,
    day: date,
    job_id: str,
    started: datetime,
    *,
    outcome: str,
    statement_id: str | None = None,
    lines_added: int = 0,
    error: AppError | None = None,
) -> None:
    with db.uow() as uow:
        uow.session.add(
            PullRun(
                tenant_id=row.tenant_id,
                id=new_id(),
                source_id=row.id,
                bill_date=day,
                job_id=job_id,
                outcome=outcome,
                statement_id=statement_id,
                lines_added=lines_added,
                error_code=error.code if error else None,
                error=error.message[:2000] if error else None,
                started_at=started,
                finished_at=uow.clock.now(),
            )
        )
        uow.commit()


def _settings(body: PullSourceIn) -> dict[str, Any]:
    if body.kind == PullKind.ALIPAY:
        return {"bill_type": body.bill_type}
    if body.kind == PullKind.WECHATPAY:
        return {"bill": body.bill}
    if not body.url or not body.url.startswith(("https://", "http://")):
        raise InvalidPullSource("an http source needs an http(s) url", field="url")
    if (body.auth_header is None) != (body.auth_value is None):
        raise InvalidPullSource("auth_header and auth_value go together", field="auth_header")
    return {"url": body.url, "format": body.format, "auth_header": body.auth_header}


def _source_out(row: PullSource) -> PullSourceOut:
    settings = row.settings
    return PullSourceOut(
        id=row.id,
        name=row.name,
        kind=PullKind(row.kind),
        bill_type=settings.get("bill_type"),
        bill=settings.get("bill"),
        url=settings.get("url"),
        format=settings.get("format"),
        auth_header=settings.get("auth_header"),
        has_auth_value="auth_value" in row.sealed,
        run_at=f"{row.run_at_minute // 60:02d}:{row.run_at_minute % 60:02d}",
        enabled=row.enabled,
        next_run_at=row.next_run_at,
        version=row.version,
    )


def _secret_context(tenant_id: str, source_id: str) -> str:
    return f"tenant:{tenant_id}:finance_pull:{source_id}:auth_value"


def _audit(
    session: Any, actor: Actor, target: str, event: str, now: datetime, **details: object
) -> None:
    attempt = Attempt("finance_pull_source", target, event, Outcome.APPLIED, details=dict(details))
    record_attempt(session, actor, attempt, now=now)
