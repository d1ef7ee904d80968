"""The webhook health check: what will bite a merchant's channel set-up, and how to fix it.

Read-only. Per channel over a window (default 7 days) of the inbox: secret configured,
signature failure rate, duplicate delivery rate, platform orders arriving through more than
one topic, duplicate subscriptions (one platform event under several delivery ids), age of
the last delivery, processing lag, deliveries stuck unprocessed, platform orders created short
of stock (recorded, waiting for stock).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oms.channels.connectors import known_channels
from oms.channels.models import ChannelConfig
from oms.channels.schemas import ChannelHealth, Finding, HealthReport
from oms.core.models import InboxMessage
from oms.core.uow import Database

__all__ = ["check_channels", "newest_delivery_at"]

_STUCK_AFTER = timedelta(minutes=5)
_SILENT_AFTER = timedelta(hours=24)
_MAX_ROWS = 20_000


@dataclass
class _Stats:
    deliveries: int = 0
    messages: int = 0
    rejected: int = 0
    last: datetime | None = None
    lag: float | None = None
    unprocessed: int = 0
    created_short: int = 0
    topics: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    events: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def check_channels(db: Database, tenant_id: str, *, window_hours: int = 168) -> HealthReport:
    """Health of every known channel of a tenant, with findings (severity and fix)."""
    now = db.clock.now()
    since = now - timedelta(hours=window_hours)
    with db.reader() as session:
        configured = {
            c.channel: bool(c.secret_sealed)
            for c in session.scalars(
                select(ChannelConfig).where(ChannelConfig.tenant_id == tenant_id)
            )
        }
        stats = _collect(session, tenant_id, since, now)
    channels = [
        _health(name, configured.get(name, False), stats.get(name, _Stats()), now)
        for name in known_channels()
        if name in configured or name in stats
    ]
    return HealthReport(
        tenant_id=tenant_id, checked_at=now, window_hours=window_hours, channels=channels
    )


def newest_delivery_at(db: Database, tenant_id: str) -> datetime | None:
    """When the tenant's newest verified platform delivery arrived, over every channel and
    all time (None: never); the partner overview's sync lag is now minus this."""
    stmt = select(func.max(InboxMessage.last_received_at)).where(
        InboxMessage.tenant_id == tenant_id,
        InboxMessage.source.like("channel:%"),
        InboxMessage.verification == "verified",
    )
    with db.reader() as session:
        newest: datetime | None = session.scalar(stmt)
    return newest.replace(tzinfo=UTC) if newest is not None and newest.tzinfo is None else newest


def _collect(session: Session, tenant_id: str, since: datetime, now: datetime) -> dict[str, _Stats]:
    rows = session.execute(
        select(
            InboxMessage.source,
            InboxMessage.message_id,
            InboxMessage.topic,
            InboxMessage.verification,
            InboxMessage.deliveries,
            InboxMessage.details,
            InboxMessage.outcome,
            InboxMessage.received_at,
            InboxMessage.last_received_at,
            InboxMessage.processed_at,
        )
        .where(
            InboxMessage.tenant_id == tenant_id,
            InboxMessage.source.like("channel:%"),
            InboxMessage.last_received_at >= since,
        )
        .order_by(InboxMessage.last_received_at.desc())
        .limit(_MAX_ROWS)
    )
    stats: dict[str, _Stats] = defaultdict(_Stats)
    for row in rows:
        _add(stats[row.source.removeprefix("channel:")], row, now)
    return stats


def _add(s: _Stats, row: Any, now: datetime) -> None:
    s.messages += 1
    s.deliveries += row.deliveries
    s.rejected += row.verification == "rejected"
    s.last = max(s.last or row.last_received_at, row.last_received_at)
    details: dict[str, Any] = row.details or {}
    if row.processed_at is not None:
        lag = (row.processed_at - row.received_at).total_seconds()
        s.lag = max(s.lag or 0.0, lag)
    elif row.verification == "verified" and now - row.received_at > _STUCK_AFTER:
        s.unprocessed += 1
    s.created_short += row.outcome == "created_short"
    if details.get("external_id") and row.topic:
        s.topics[details["external_id"]].add(row.topic)
    if details.get("event_id"):
        s.events[details["event_id"]].add(row.message_id)


def _health(name: str, configured: bool, s: _Stats, now: datetime) -> ChannelHealth:
    overlapping = sum(1 for topics in s.topics.values() if len(topics) > 1)
    health = ChannelHealth(
        channel=name,
        secret_configured=configured,
        deliveries=s.deliveries,
        messages=s.messages,
        signature_failure_rate=round(s.rejected / s.messages, 4) if s.messages else 0.0,
        duplicate_delivery_rate=(
            round((s.deliveries - s.messages) / s.deliveries, 4) if s.deliveries else 0.0
        ),
        overlapping_orders=overlapping,
        last_delivery_at=s.last,
        last_delivery_age_seconds=(now - s.last).total_seconds() if s.last else None,
        processing_lag_seconds=s.lag,
        unprocessed=s.unprocessed,
        created_short=s.created_short,
        findings=[],
    )
    health.findings = _findings(health, s)
    return health


def _findings(h: ChannelHealth, s: _Stats) -> list[Finding]:
    found: list[Finding] = []
    path = f"/api/v1/channels/{h.channel}/webhooks/<tenant id>"
    if not h.secret_configured:
        found.append(
            Finding(
                check="secret_configured",
                severity="critical",
                message="no signing secret: every delivery is refused",
                fix=f"oms channels configure --tenant ID --channel {h.channel} --secret S "
                f"(or PUT /api/v1/channels/{h.channel}) with the platform's signing secret",
            )
        )
    if h.signature_failure_rate > 0:
        found.append(
            Finding(
                check="signature_failures",
                severity="critical" if h.signature_failure_rate >= 0.2 else "warning",
                message=f"{h.signature_failure_rate:.0%} of deliveries failed verification",
                fix="make the configured secret the one the platform signs with (Shopify: the "
                "app's client secret or the admin's webhook signing secret); check the "
                "server clock for Standard Webhooks (±5 min); refused deliveries are in the inbox",
            )
        )
    found += _delivery_findings(h, s, path)
    return found


def _delivery_findings(h: ChannelHealth, s: _Stats, path: str) -> list[Finding]:
    found: list[Finding] = []
    if h.duplicate_delivery_rate >= 0.05:
        found.append(
            Finding(
                check="duplicate_deliveries",
                severity="warning",
                message=f"{h.duplicate_delivery_rate:.0%} of deliveries were redeliveries",
                fix="the platform retries when it gets no 2xx in time (Shopify: 5 s); check "
                "for timeouts and errors on " + path + "; oms deduplicates them",
            )
        )
    subscriptions = sum(1 for ids in s.events.values() if len(ids) > 1)
    if subscriptions:
        found.append(
            Finding(
                check="duplicate_subscriptions",
                severity="warning",
                message=f"{subscriptions} platform events arrived under several delivery ids",
                fix="two subscriptions to one topic deliver twice: delete the extra subscription",
            )
        )
    if h.overlapping_orders:
        found.append(
            Finding(
                check="overlapping_topics",
                severity="warning",
                message=f"{h.overlapping_orders} platform orders arrived through more than one "
                "topic (e.g. orders/create and orders/updated); without deduplication by the "
                "platform order id each would become two orders",
                fix="oms deduplicates by (channel, external id); make every other consumer of "
                "these subscriptions do the same, or subscribe to orders/updated only",
            )
        )
    found += _timing_findings(h, s)
    return found


def _timing_findings(h: ChannelHealth, s: _Stats) -> list[Finding]:
    found: list[Finding] = []
    age = h.last_delivery_age_seconds
    if age is None or age > _SILENT_AFTER.total_seconds():
        found.append(
            Finding(
                check="last_delivery",
                severity="info" if age is None else "warning",
                message="no delivery yet" if age is None else f"no delivery for {age / 3600:.0f} h",
                fix="check the subscription still exists and points at the webhook URL "
                "(Shopify removes subscriptions that keep failing)",
            )
        )
    if h.unprocessed:
        found.append(
            Finding(
                check="processing_lag",
                severity="critical",
                message=f"{h.unprocessed} verified deliveries are not processed after 5 minutes",
                fix="look at their outcome in the inbox (a mapping error answers 422 until the "
                "mapping is fixed: PUT /api/v1/channels/{channel} with mapping overrides)",
            )
        )
    if s.created_short:
        found.append(
            Finding(
                check="created_short",
                severity="warning",
                message=f"{s.created_short} platform orders were created short of stock: "
                "their short lines wait and cannot ship",
                fix="post the inbound stock (oldest orders are served first), mark services and "
                "vouchers untracked (PUT /api/v1/stock/{sku}/tracking), or cancel and refund; "
                "GET /api/v1/orders?stock_shortage=true lists them",
            )
        )
    return found
