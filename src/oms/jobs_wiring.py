"""The one place that says which jobs and sweeps the application runs.

``oms serve`` (its embedded worker), ``oms worker`` and the generated docs build the registry
here; tests build their own (``tests/fixtures/jobs.py``). Importing a domain module registers
nothing: a domain offers ``register(registry, …)`` and this list calls it.
"""

from __future__ import annotations

from oms.accounting import jobs as accounting_jobs
from oms.alerts import jobs as alerts_jobs
from oms.channels import jobs as channels_jobs
from oms.config import Settings
from oms.core.jobs import JobRegistry, purge_expired_idempotency_keys
from oms.finance.pulls import jobs as finance_pulls_jobs
from oms.fulfilment.notify import jobs as notify_jobs
from oms.fulfilment.planning import jobs as planning_jobs
from oms.fulfilment.tracking import jobs as tracking_jobs
from oms.intelligence.rca import alerting as rca_alerting
from oms.inventory import jobs as inventory_jobs
from oms.inventory import queries as inventory_queries
from oms.orders import jobs as orders_jobs
from oms.payments import jobs as payments_jobs
from oms.payments.confirmation import QUERY_TIMEOUT_SECONDS
from oms.refunds import jobs as refunds_jobs
from oms.refunds.execution import GATEWAY_TIMEOUT_SECONDS
from oms.risk import jobs as risk_jobs
from oms.webhooks import jobs as webhooks_jobs

__all__ = ["IDEMPOTENCY_PURGE_SECONDS", "build_registry"]

IDEMPOTENCY_PURGE_SECONDS = 600


def build_registry(
    settings: Settings,
    *,
    payment_query_timeout: float = QUERY_TIMEOUT_SECONDS,
    refund_timeout: float = GATEWAY_TIMEOUT_SECONDS,
) -> JobRegistry:
    """Every domain's handlers, subscribers and sweeps, in a registry of their own.

    The timeouts (seconds per gateway call) are for tests that play a slow gateway.
    """
    registry = JobRegistry()
    registry.every("idempotency-purge", IDEMPOTENCY_PURGE_SECONDS, purge_expired_idempotency_keys)
    orders_jobs.register(registry)
    channels_jobs.register(registry)
    inventory_jobs.register(registry, settings)
    payments_jobs.register(registry, query_timeout=payment_query_timeout)
    refunds_jobs.register(registry, timeout=refund_timeout)
    webhooks_jobs.register(registry, settings)
    alerts_jobs.register(registry, settings, low_skus=inventory_queries.skus_at_or_below)
    finance_pulls_jobs.register(registry)
    tracking_jobs.register(registry, settings)
    planning_jobs.register(registry)
    notify_jobs.register(registry, settings)
    rca_alerting.register(registry)
    accounting_jobs.register(registry, settings)
    risk_jobs.register(registry)
    return registry
