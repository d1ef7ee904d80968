"""Jobs of the statement pulls: the ``finance.pull`` handler and the daily scheduler sweep."""

from __future__ import annotations

from oms.core.jobs import JobRegistry, JobRun
from oms.core.uow import Database
from oms.finance.events import StatementPullDue
from oms.finance.pulls.service import run_pull, schedule_due

__all__ = ["SCHEDULE_SWEEP_SECONDS", "register"]

# How often each worker looks for due pulls; a pull runs within this much of its run_at.
SCHEDULE_SWEEP_SECONDS = 60


def pull(db: Database, event: StatementPullDue, run: JobRun) -> None:
    """Fetch the day's statement file and import it (the message id names the run)."""
    run_pull(
        db,
        tenant_id=event.tenant_id,
        source_id=event.source_id,
        bill_date=event.bill_date,
        job_id=run.id,
    )


def register(registry: JobRegistry) -> None:
    """Attach the pull handler and the scheduler sweep."""
    registry.handle(StatementPullDue, pull)
    registry.every("finance-pull-schedule", SCHEDULE_SWEEP_SECONDS, schedule_due)
