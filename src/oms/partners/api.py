"""The partner overview route (a partner key, without OMS-Tenant)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from oms.core.paging import Page, Paging
from oms.http.deps import CurrentPartner, Db
from oms.http.problems import problems
from oms.partners import overview
from oms.partners.schemas import TenantOverview

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/partner", tags=["partners"])


@router.get("/overview", responses=problems(403, 422))
def partner_overview(
    partner: CurrentPartner,
    db: Db,
    page: Paging,
    lag_threshold_seconds: Annotated[
        int, Query(ge=1, le=30 * 86400, description="sync lag past which a tenant is lagging")
    ] = int(overview.DEFAULT_LAG_THRESHOLD.total_seconds()),
) -> Page[TenantOverview]:
    """This partner's tenants, a page at a time: sync lag, webhook health findings, dead
    jobs, open exception tickets."""
    threshold = timedelta(seconds=lag_threshold_seconds)
    return overview.partner_overview(db, partner, page, lag_threshold=threshold)
