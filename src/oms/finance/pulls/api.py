"""Statement pulls over HTTP: sources, their runs, and "pull this day now"."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from oms.core.paging import Page, Paging
from oms.finance.pulls import service
from oms.finance.pulls.schemas import PullRunOut, PullSourceIn, PullSourceOut, PullTriggered
from oms.http.deps import CurrentActor, CurrentPrincipal, Db, requires

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/finance/pull-sources", tags=["finance"])
Read = [requires("finance:read")]
Write = [requires("finance:write")]


@router.post("", dependencies=Write, status_code=201)
def create_source(body: PullSourceIn, actor: CurrentActor, db: Db) -> PullSourceOut:
    """Add a daily statement source (Alipay bill, WeChat Pay bill, or a bank over HTTP)."""
    return service.create_source(db, actor, body)


@router.get("", dependencies=Read)
def list_sources(principal: CurrentPrincipal, db: Db, page: Paging) -> Page[PullSourceOut]:
    """The tenant's statement sources, paged by cursor."""
    return service.list_sources(db, principal.tenant_id, page=page)


@router.post("/{source_id}/pull", dependencies=Write, status_code=202)
def trigger_pull(
    source_id: str, actor: CurrentActor, db: Db, bill_date: date | None = None
) -> PullTriggered:
    """Enqueue a pull of ``bill_date`` (default: yesterday, tenant zone); a worker runs it."""
    return service.trigger_pull(db, actor, source_id, bill_date=bill_date)


@router.get("/{source_id}/runs", dependencies=Read)
def list_runs(
    source_id: str, principal: CurrentPrincipal, db: Db, page: Paging
) -> Page[PullRunOut]:
    """Every pull of this source, newest first: outcome, statement, lines added, error."""
    return service.list_runs(db, principal.tenant_id, source_id, page=page)
