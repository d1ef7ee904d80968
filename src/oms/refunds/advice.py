"""Refund strategy advice: original route, store balance or a goodwill gift, with reasons.

Every refund request gets one piece of advice, from the buyer's history (return rate and
past disputes over the last year, the same figures auto-refund reads), the order's value and
the membership level the request carries; no training. Rules, first match wins:

1. past disputes, or returns at least 30 % of 3+ orders → **original route** (money back the
   way it came, no incentive to return again);
2. returns under 10 % and a gold/platinum member, or a returning buyer's order of ¥500 or
   more → **goodwill gift** (refund, and a small gift to keep a valued customer);
3. returns under 10 % and at least one earlier paid order → **store balance** (offer the
   refund as store balance, which keeps the money in the shop);
4. otherwise → **original route**.

The reviewer's choice and the buyer's feedback score are recorded beside the advice, and
:func:`advice_report` compares repeat purchases within 60 days when the advice was followed
and when it was not, so the rules can be judged on outcomes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import fmean
from typing import Any

from sqlalchemy import select

from oms.core.context import Actor
from oms.core.money import format_minor
from oms.core.uow import Database, UnitOfWork
from oms.orders.queries import buyer_orders
from oms.refunds.errors import RefundAdviceNotFound
from oms.refunds.models import Refund, RefundAdvice
from oms.refunds.schemas import (
    AdviceIn,
    AdviceOut,
    AdviceReport,
    AdviceReportRow,
    AdviceStrategy,
    MembershipLevel,
)
from oms.refunds.trust import buyer_figures

__all__ = [
    "REPEAT_WINDOW_DAYS",
    "advice_report",
    "advise",
    "get_advice",
    "recommend",
    "record_advice",
]

HISTORY_DAYS = 365
REPEAT_WINDOW_DAYS = 60
FREQUENT_RETURNS_BP = 3000
FREQUENT_MIN_ORDERS = 3
FEW_RETURNS_BP = 1000
HIGH_VALUE_FEN = 50_000
VALUED_LEVELS = frozenset({MembershipLevel.GOLD, MembershipLevel.PLATINUM})
S = AdviceStrategy


@dataclass(frozen=True)
class Recommendation:
    """The advised strategy and the reasons, the deciding one first."""

    strategy: AdviceStrategy
    reasons: list[str]


def recommend(
    figures: dict[str, Any] | None,
    *,
    order_total: int,
    currency: str,
    membership: MembershipLevel | None,
) -> Recommendation:
    """Apply the rules of the module docstring to a buyer's figures (None: no buyer id)."""
    value = f"order value {format_minor(order_total, currency)}"
    level = f"membership {membership or 'unknown'}"
    if figures is None:
        return Recommendation(S.ORIGINAL_ROUTE, ["no buyer id: no history to go on", value, level])
    rate, orders, disputes = figures["return_rate_bp"], figures["orders"], figures["disputes"]
    facts = [
        f"returns {rate / 100:.1f} % ({figures['refunded_orders']} of {orders} paid orders "
        f"in {figures['window_days']} days)",
        f"{disputes} past dispute(s)",
        value,
        level,
    ]
    if disputes > 0:
        return Recommendation(S.ORIGINAL_ROUTE, ["past disputes: no incentive", *facts])
    if orders >= FREQUENT_MIN_ORDERS and rate >= FREQUENT_RETURNS_BP:
        return Recommendation(S.ORIGINAL_ROUTE, ["returns often: no incentive", *facts])
    is_big_repeat = order_total >= HIGH_VALUE_FEN and orders >= 1
    if rate < FEW_RETURNS_BP and (membership in VALUED_LEVELS or is_big_repeat):
        return Recommendation(S.GOODWILL_GIFT, ["a valued customer with few returns", *facts])
    if rate < FEW_RETURNS_BP and orders >= 1:
        return Recommendation(S.STORE_BALANCE, ["a returning buyer with few returns", *facts])
    return Recommendation(S.ORIGINAL_ROUTE, ["nothing argues for another route", *facts])


def advise(uow: UnitOfWork, refund: Refund, *, membership: MembershipLevel | None) -> None:
    """Record the advice for a just-requested refund (an operation: the caller commits)."""
    now = uow.clock.now()
    figures = None
    if refund.buyer_id is not None:
        figures = buyer_figures(
            uow.session,
            refund.tenant_id,
            refund.buyer_id,
            order_id=refund.order_id,
            now=now,
            window_days=HISTORY_DAYS,
        )
    chosen = recommend(
        figures, order_total=refund.order_total, currency=refund.currency, membership=membership
    )
    uow.session.add(
        RefundAdvice(
            tenant_id=refund.tenant_id,
            refund_id=refund.id,
            buyer_id=refund.buyer_id,
            strategy=str(chosen.strategy),
            reasons=chosen.reasons,
            figures={**(figures or {}), "membership_level": membership and str(membership)},
            advised_at=now,
        )
    )


def get_advice(db: Database, tenant_id: str, refund_id: str) -> AdviceOut:
    """The advice of one refund. Raises: ERR_REFUND_ADVICE_NOT_FOUND."""
    with db.reader() as session:
        row = session.get(RefundAdvice, (tenant_id, refund_id))
        if row is None:
            raise RefundAdviceNotFound(refund_id=refund_id)
        return _out(row)


def record_advice(db: Database, actor: Actor, refund_id: str, data: AdviceIn) -> AdviceOut:
    """Record the reviewer's choice and/or the buyer's feedback score.

    Raises: ERR_REFUND_ADVICE_NOT_FOUND.
    """
    with db.uow() as uow:
        row = uow.session.get(RefundAdvice, (actor.tenant_id, refund_id), with_for_update=True)
        if row is None:
            raise RefundAdviceNotFound(refund_id=refund_id)
        if data.chosen is not None:
            row.chosen, row.chosen_by = str(data.chosen), actor.principal
            row.chosen_at = uow.clock.now()
        if data.feedback_score is not None:
            row.feedback_score = data.feedback_score
        out = _out(row)
        uow.commit()
    return out


def advice_report(db: Database, tenant_id: str) -> AdviceReport:
    """Per advised strategy: followed or not, repeat purchases within 60 days, feedback."""
    with db.reader() as session:
        now = db.clock.now()
        advice = list(
            session.scalars(
                select(RefundAdvice)
                .where(RefundAdvice.tenant_id == tenant_id)
                .order_by(RefundAdvice.advised_at, RefundAdvice.refund_id)
            )
        )
        placed: dict[str, list[datetime]] = {}
        for buyer in sorted({a.buyer_id for a in advice if a.buyer_id is not None}):
            placed[buyer] = [o.placed_at for o in buyer_orders(session, tenant_id, buyer)]
    groups: dict[str, list[RefundAdvice]] = defaultdict(list)
    for row in advice:
        groups[row.strategy].append(row)
    rows = [_report_row(s, groups[str(s)], placed, now) for s in AdviceStrategy]
    return AdviceReport(tenant_id=tenant_id, repeat_window_days=REPEAT_WINDOW_DAYS, rows=rows)


def _report_row(
    strategy: AdviceStrategy,
    rows: list[RefundAdvice],
    placed: dict[str, list[datetime]],
    now: datetime,
) -> AdviceReportRow:
    window = timedelta(days=REPEAT_WINDOW_DAYS)
    followed = [r for r in rows if r.chosen == r.strategy]
    overridden = [r for r in rows if r.chosen is not None and r.chosen != r.strategy]
    mature = [r for r in rows if r.advised_at + window <= now]

    def repeat_rate(group: list[RefundAdvice]) -> float | None:
        ripe = [r for r in group if r.advised_at + window <= now and r.buyer_id is not None]
        if not ripe:
            return None
        again = [r for r in ripe if _bought_again(placed[str(r.buyer_id)], r.advised_at, window)]
        return len(again) / len(ripe)

    def feedback(group: list[RefundAdvice]) -> float | None:
        scores = [r.feedback_score for r in group if r.feedback_score is not None]
        return fmean(scores) if scores else None

    return AdviceReportRow(
        strategy=strategy,
        advised=len(rows),
        followed=len(followed),
        overridden=len(overridden),
        undecided=len(rows) - len(followed) - len(overridden),
        mature=len(mature),
        repeat_rate_followed=repeat_rate(followed),
        repeat_rate_overridden=repeat_rate(overridden),
        feedback_mean_followed=feedback(followed),
        feedback_mean_overridden=feedback(overridden),
    )


def _bought_again(placed: list[datetime], advised_at: datetime, window: timedelta) -> bool:
    return any(advised_at < at <= advised_at + window for at in placed)


def _out(row: RefundAdvice) -> AdviceOut:
    return AdviceOut(
        refund_id=row.refund_id,
        strategy=AdviceStrategy(row.strategy),
        reasons=list(row.reasons),
        figures=dict(row.figures),
        advised_at=row.advised_at,
        chosen=None if row.chosen is None else AdviceStrategy(row.chosen),
        chosen_by=row.chosen_by,
        chosen_at=row.chosen_at,
        feedback_score=row.feedback_score,
    )
