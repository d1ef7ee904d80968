"""The hourly refund-rate alert: a channel's significant rise names its cause.

Every hour, per channel of every active tenant: the refund rate of the last 24 hours (orders
with a refund asked for in the window / orders paid in it) against the 28 days before. When
the rate exceeds 1.15 x the baseline, at least 20 refunds were asked for, and a one-sided
binomial test says the rise is not chance (p < 0.01), ``refund.rate_rise`` is raised with the
causes :func:`~oms.intelligence.rca.localise.localise_tables` names (the same function as
``oms analytics rca``) over the channel's SKUs. Counts come from the orders and refunds
domains' public queries; nothing here reads their tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from scipy.stats import binomtest
from sqlalchemy import select

from oms.alerts.events import AlertRaised
from oms.core import outbox
from oms.core.jobs import JobRegistry
from oms.core.models import Tenant
from oms.core.uow import Database
from oms.intelligence.rca.cube import Measure
from oms.intelligence.rca.localise import localise_tables
from oms.orders import queries as orders
from oms.refunds import queries as refunds

__all__ = [
    "REFUND_RATE_ALERT",
    "ChannelRate",
    "channel_rates",
    "check_refund_rates",
    "register",
    "sweep_refund_rates",
]

REFUND_RATE_ALERT = "refund.rate_rise"
WINDOW = timedelta(hours=24)
BASELINE = timedelta(days=28)
RISE = 1.15
MIN_REFUNDS = 20
ALPHA = 0.01
INTERVAL_SECONDS = 3600
DIMENSIONS = ("channel", "sku")
MEASURE = Measure("refunds", "orders")


@dataclass(frozen=True, slots=True)
class ChannelRate:
    """One channel's window against its baseline, and whether that is an alert."""

    channel: str
    orders: int
    refunds: int
    baseline_orders: int
    baseline_refunds: int

    @property
    def rate(self) -> float:
        return self.refunds / self.orders if self.orders else 0.0

    @property
    def baseline_rate(self) -> float:
        return self.baseline_refunds / self.baseline_orders if self.baseline_orders else 0.0

    @property
    def p_value(self) -> float:
        """One-sided binomial test of the window's refunds against the baseline rate."""
        if not self.orders or not 0 < self.baseline_rate < 1:
            return 1.0
        refunded = min(self.refunds, self.orders)
        test = binomtest(refunded, self.orders, self.baseline_rate, alternative="greater")
        return float(test.pvalue)

    @property
    def is_rise(self) -> bool:
        """Beyond 1.15 x the baseline, enough refunds, and not chance."""
        return (
            self.baseline_rate > 0
            and self.rate > RISE * self.baseline_rate
            and self.refunds >= MIN_REFUNDS
            and self.p_value < ALPHA
        )


def channel_rates(db: Database, tenant_id: str, *, now: datetime) -> list[ChannelRate]:
    """Each channel's refund rate over the last 24 hours and over the 28 days before."""
    start = now - WINDOW
    current = _by_channel(db, tenant_id, start, now)
    before = _by_channel(db, tenant_id, start - BASELINE, start)
    return [
        ChannelRate(c, *current.get(c, (0, 0)), *before.get(c, (0, 0)))
        for c in sorted(set(current) | set(before))
    ]


def check_refund_rates(db: Database, tenant_id: str) -> list[str]:
    """Raise ``refund.rate_rise`` for each channel whose rate rose; the channels alerted."""
    now = db.clock.now()
    risen = [rate for rate in channel_rates(db, tenant_id, now=now) if rate.is_rise]
    if not risen:
        return []
    start = now - WINDOW
    facts = _leaves(db, tenant_id, start, now)
    baseline = _leaves(db, tenant_id, start - BASELINE, start)
    alerts = [_alert(tenant_id, rate, _causes(facts, baseline, rate.channel)) for rate in risen]
    with db.uow() as uow:
        for alert in alerts:
            outbox.add(uow, alert, now=now)
        uow.commit()
    return [rate.channel for rate in risen]


def sweep_refund_rates(db: Database) -> int:
    """Check every active tenant; the number of alerts raised (the hourly sweep)."""
    with db.reader() as session:
        tenants = list(session.scalars(select(Tenant.id).where(Tenant.status == "active")))
    return sum(len(check_refund_rates(db, tenant_id)) for tenant_id in tenants)


def register(registry: JobRegistry) -> None:
    """Attach the hourly sweep."""
    registry.every("refund-rate-rca", INTERVAL_SECONDS, sweep_refund_rates)


def _by_channel(
    db: Database, tenant_id: str, start: datetime, end: datetime
) -> dict[str, tuple[int, int]]:
    paid = orders.paid_by_channel(db, tenant_id, paid_from=start, paid_to=end)
    asked = refunds.refunds_requested(db, tenant_id, requested_from=start, requested_to=end)
    refunded: dict[str, int] = {}
    for channel in asked.values():
        refunded[channel] = refunded.get(channel, 0) + 1
    return {c: (paid.get(c, 0), refunded.get(c, 0)) for c in set(paid) | set(refunded)}


def _leaves(db: Database, tenant_id: str, start: datetime, end: datetime) -> pa.Table:
    """One row per (channel, SKU): orders paid in the window, orders refunded in it."""
    counts: dict[tuple[str, str], list[int]] = {}
    for row in orders.paid_sku_counts(db, tenant_id, paid_from=start, paid_to=end):
        counts.setdefault((row.channel, row.sku), [0, 0])[0] += row.orders
    asked = refunds.refunds_requested(db, tenant_id, requested_from=start, requested_to=end)
    for row in orders.order_sku_counts(db, tenant_id, list(asked)):
        counts.setdefault((row.channel, row.sku), [0, 0])[1] += row.orders
    keys = sorted(counts)
    return pa.table(
        {
            "channel": [c for c, _ in keys],
            "sku": [s for _, s in keys],
            "orders": pa.array([counts[k][0] for k in keys], pa.int64()),
            "refunds": pa.array([counts[k][1] for k in keys], pa.int64()),
        }
    )


def _causes(facts: pa.Table, baseline: pa.Table, channel: str) -> list[dict[str, Any]]:
    def of(table: pa.Table) -> pa.Table:
        return table.filter(pc.equal(table["channel"], channel))

    found = localise_tables(of(facts), of(baseline), DIMENSIONS, MEASURE)
    return [finding.as_json() for finding in found]


def _alert(tenant_id: str, rate: ChannelRate, causes: Iterable[dict[str, Any]]) -> AlertRaised:
    causes = list(causes)
    named = ", ".join(
        "/".join(f"{k}={v}" for k, v in cause["attributes"].items()) for cause in causes
    )
    return AlertRaised(
        tenant_id=tenant_id,
        type=REFUND_RATE_ALERT,
        severity="high",
        title=(
            f"退款率上升 / refund rate of {rate.channel} {rate.rate:.1%} "
            f"(baseline {rate.baseline_rate:.1%}): {named or 'no single cause'}"
        ),
        details={
            "channel": rate.channel,
            "orders": rate.orders,
            "refunds": rate.refunds,
            "rate": round(rate.rate, 6),
            "baseline_rate": round(rate.baseline_rate, 6),
            "p_value": rate.p_value,
            "causes": causes,
        },
    )
