"""Finance over HTTP: statement import, matching, the review queue, settings."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from oms.core.paging import Page, Paging
from oms.finance import queries, service
from oms.finance.queries import MovementFilter
from oms.finance.schemas import (
    FinanceSettingsIn,
    FinanceSettingsOut,
    ImportResult,
    ManualMatchIn,
    MatchOut,
    MatchRunResult,
    MovementKind,
    MovementOut,
    StatementFormat,
    StatementLineOut,
    StatementOut,
    SyncResult,
)
from oms.http.deps import CurrentActor, CurrentPrincipal, Db, requires
from oms.http.uploads import read_upload

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/finance", tags=["finance"])
Read = [requires("finance:read")]
Write = [requires("finance:write")]
MatchStatus = Literal["review", "confirmed", "rejected"]
LineStatus = Literal["unmatched", "review", "matched"]
MovementStatus = Literal["open", "review", "matched"]


@router.post("/statements", dependencies=Write, status_code=201)
async def import_statement(
    request: Request, actor: CurrentActor, db: Db, format: StatementFormat
) -> ImportResult:
    """Import an MT940, camt.053 or CSV statement (multipart ``file`` or raw body)."""
    data, filename = await read_upload(request)
    return await run_in_threadpool(
        service.import_statement, db, actor, data=data, fmt=format.value, filename=filename
    )


@router.post("/expected/sync", dependencies=Write)
def sync_expected(actor: CurrentActor, db: Db) -> SyncResult:
    """Add expected movements for confirmed payments not yet known."""
    return service.sync_expected(db, actor.tenant_id)


@router.get("/expected", dependencies=Read)
def list_expected(
    principal: CurrentPrincipal,
    db: Db,
    paging: Paging,
    status: MovementStatus | None = None,
    order_id: Annotated[str | None, Query(max_length=36)] = None,
    kind: MovementKind | None = None,
) -> Page[MovementOut]:
    """Expected movements with their order id, order number and every reference, oldest
    expected date first; cursor-paged."""
    flt = MovementFilter(status=status, order_id=order_id, kind=kind.value if kind else None)
    return queries.list_expected(db, principal.tenant_id, flt, paging)


@router.post("/matching/run", dependencies=Write)
def run_matching(actor: CurrentActor, db: Db) -> MatchRunResult:
    """Match every open line against the open expected movements."""
    return service.run_matching(db, actor)


@router.get("/statements", dependencies=Read)
def list_statements(principal: CurrentPrincipal, db: Db, page: Paging) -> Page[StatementOut]:
    """Imported statements, newest first, paged by cursor."""
    return queries.list_statements(db, principal.tenant_id, page=page)


@router.get("/statements/{statement_id}/lines", dependencies=Read)
def statement_lines(
    statement_id: str, principal: CurrentPrincipal, db: Db, page: Paging
) -> Page[StatementLineOut]:
    """The lines a statement added (with their bank and entry references), in file order."""
    return queries.statement_lines(db, principal.tenant_id, statement_id, page=page)


@router.get("/matches", dependencies=Read)
def list_matches(
    principal: CurrentPrincipal, db: Db, page: Paging, status: MatchStatus | None = None
) -> Page[MatchOut]:
    """Matches, best score first, paged by cursor; ``status=review`` is the review queue."""
    return queries.list_matches(db, principal.tenant_id, status=status, page=page)


@router.post("/matches/{match_id}/confirm", dependencies=Write)
def confirm_match(match_id: str, actor: CurrentActor, db: Db) -> list[MatchOut]:
    """Confirm a proposal (and the rest of its split or merged group)."""
    return service.confirm_match(db, actor, match_id)


@router.post("/matches/{match_id}/reject", dependencies=Write)
def reject_match(match_id: str, actor: CurrentActor, db: Db) -> list[MatchOut]:
    """Reject a proposal; its lines and movements are open again."""
    return service.reject_match(db, actor, match_id)


@router.get("/lines", dependencies=Read)
def list_lines(
    principal: CurrentPrincipal, db: Db, page: Paging, status: LineStatus | None = None
) -> Page[StatementLineOut]:
    """Statement lines, newest value date first, paged by cursor, optionally by status."""
    return queries.list_lines(db, principal.tenant_id, status=status, page=page)


@router.get("/movements", dependencies=Read)
def list_movements(
    principal: CurrentPrincipal, db: Db, page: Paging, status: MovementStatus | None = None
) -> Page[MovementOut]:
    """Expected movements, oldest expected date first, paged by cursor."""
    return queries.list_movements(db, principal.tenant_id, status=status, page=page)


@router.post("/lines/{line_id}/match", dependencies=Write, status_code=201)
def match_line(line_id: str, body: ManualMatchIn, actor: CurrentActor, db: Db) -> MatchOut:
    """Match a line to an expected movement by hand."""
    return service.match_line(db, actor, line_id, body)


@router.get("/settings", dependencies=Read)
def read_settings(principal: CurrentPrincipal, db: Db) -> FinanceSettingsOut:
    """Tolerance, date window, auto-confirm score and CSV layout."""
    return queries.get_settings(db, principal.tenant_id)


@router.put("/settings", dependencies=Write)
def put_settings(body: FinanceSettingsIn, actor: CurrentActor, db: Db) -> FinanceSettingsOut:
    """Set tolerance, date window, auto-confirm score and CSV layout."""
    return service.update_settings(db, actor, body)
