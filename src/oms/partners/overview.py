"""Per tenant of a partner: sync lag, webhook health findings, dead jobs, open tickets."""

from __future__ import annotations

from datetime import datetime, timedelta

from oms.channels import health
from oms.core import jobs, partners
from oms.core.auth import PartnerCaller
from oms.core.job_states import MessageStatus
from oms.core.paging import Page, PageRequest
from oms.core.uow import Database
from oms.partners.schemas import HealthFinding, TenantOverview
from oms.tickets import service as tickets

__all__ = ["DEFAULT_LAG_THRESHOLD", "HEALTH_WINDOW_HOURS", "partner_overview"]

#: A tenant whose newest delivery is older than this is lagging, unless the caller says
#: otherwise: a shop that sells every hour has a sync problem after an hour of silence.
DEFAULT_LAG_THRESHOLD = timedelta(hours=1)
#: The health check's window for the overview: a day of deliveries, not the check's week.
HEALTH_WINDOW_HOURS = 24


def partner_overview(
    db: Database,
    caller: PartnerCaller,
    page: PageRequest,
    *,
    lag_threshold: timedelta = DEFAULT_LAG_THRESHOLD,
) -> Page[TenantOverview]:
    """One page of the caller's tenants (oldest first, like the tenant list), each with its
    sync lag, webhook health findings (warnings and worse), dead jobs and open tickets.

    Raises: ERR_VALIDATION (a cursor not made by the tenant list).
    """
    tenants = partners.list_tenants(db, caller, page)
    now = db.clock.now()
    items = [_tenant(db, tenant, now, lag_threshold) for tenant in tenants.items]
    return Page[TenantOverview](
        items=items, next_cursor=tenants.next_cursor, has_more=tenants.has_more
    )


def _tenant(
    db: Database, tenant: partners.TenantOut, now: datetime, lag_threshold: timedelta
) -> TenantOverview:
    newest = health.newest_delivery_at(db, tenant.tenant_id)
    lag = max(0.0, (now - newest).total_seconds()) if newest is not None else None
    report = health.check_channels(db, tenant.tenant_id, window_hours=HEALTH_WINDOW_HOURS)
    findings = [
        HealthFinding(channel=channel.channel, **finding.model_dump())
        for channel in report.channels
        for finding in channel.findings
        if finding.severity != "info"
    ]
    counts = jobs.count_jobs(db, tenant_id=tenant.tenant_id)
    return TenantOverview(
        tenant_id=tenant.tenant_id,
        name=tenant.name,
        status=tenant.status,
        external_ref=tenant.external_ref,
        last_delivery_at=newest,
        sync_lag_seconds=lag,
        is_lagging=lag is not None and lag > lag_threshold.total_seconds(),
        findings=findings,
        dead_jobs=counts.get(str(MessageStatus.DEAD), 0),
        open_tickets=tickets.count_unresolved(db, tenant.tenant_id),
    )
