"""Applying a mapped platform order: one oms order per platform order, status as events.

Steps of ``service.receive_webhook`` after the delivery is recorded. The platform order is
looked up in ``channel_orders``; a payload older (by the platform's own ``updated_at``) than
the newest one applied is recorded as stale and ignored. A new platform order goes through
``orders.service.place_order`` (whose unique (tenant, channel, external id) is the last line
of defence against a second order); status changes go through ``apply_event`` with
``source=channel:<name>`` and ``occurred_at`` = the platform's ``updated_at``, so the
transition table and its duplicate and stale rules decide.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from oms.channels.mapping import Mapped
from oms.channels.models import ChannelOrder
from oms.core.context import Actor
from oms.core.errors import AppError, Forbidden
from oms.core.models import InboxMessage
from oms.core.repo import retry_on_race
from oms.core.uow import Database, UnitOfWork
from oms.orders.errors import FulfilmentBlocked, IllegalTransition, ShortLinesCannotShip
from oms.orders.schemas import OrderEventIn
from oms.orders.service import apply_event, place_order
from oms.orders.states import OrderEvent

__all__ = ["apply_mapped", "message_id"]

# Refusals the platform cannot cure by retrying: recorded on the timeline, then acknowledged.
_REFUSALS = (IllegalTransition, FulfilmentBlocked, ShortLinesCannotShip, Forbidden)


def message_id(delivery_id: str | None, body: bytes) -> str:
    """The inbox key: the platform's delivery id, or a digest when it is missing or too long."""
    if delivery_id and len(delivery_id) <= 200:
        return delivery_id
    source = delivery_id.encode() if delivery_id else body
    return "sha256:" + hashlib.sha256(source).hexdigest()


def apply_mapped(
    db: Database, actor: Actor, *, channel: str, inbox_id: str, topic: str | None, mapped: Mapped
) -> dict[str, Any]:
    """Upsert the platform order and apply its status; mark the delivery processed.

    A platform order is a sale the buyer already made: it is always recorded, with every
    line, whatever the stock (``allow_shortage``); its short lines wait for stock, and the
    delivery's outcome says ``created_short``. Raises the orders domain's errors.
    """
    key = _Key(actor.tenant_id, channel, mapped.external_id, inbox_id)
    link = _find_link(db, key)
    if link is not None and _is_stale(link.last_platform_updated_at, mapped.platform_updated_at):
        last = link.last_platform_updated_at
        _settle(db, key, outcome="stale", details={"last_applied": str(last)})
        return {"status": "stale", "order_id": link.order_id}
    order_id = link.order_id if link is not None else None
    status = "updated"
    if order_id is None:
        try:
            data = mapped.order.model_copy(update={"allow_shortage": True})
            placed = place_order(db, actor, data)
        except AppError as error:
            _settle(db, key, outcome="failed", details=_error(error), is_final=False)
            raise
        order_id, status = placed.order.id, "created" if placed.created else "updated"
        if placed.created and placed.order.stock_shortage:
            status = "created_short"
    events = [_apply(db, actor, key, order_id, event, mapped, topic) for event in mapped.events]
    result: dict[str, Any] = {"events": events}
    outcome = "applied"
    if status == "created_short":
        outcome = "created_short"
        result["short_lines"] = [
            {"line_no": line.line_no, "sku": line.sku, "short": line.short_qty}
            for line in placed.order.lines
            if line.short_qty
        ]
    _settle(db, key, outcome=outcome, order_id=order_id, mapped=mapped, details=result)
    return {"status": status, "order_id": order_id, "events": events}


class _Key:
    __slots__ = ("channel", "external_id", "inbox_id", "tenant_id")

    def __init__(self, tenant_id: str, channel: str, external_id: str, inbox_id: str) -> None:
        self.tenant_id, self.channel = tenant_id, channel
        self.external_id, self.inbox_id = external_id, inbox_id


def _is_stale(last: datetime | None, incoming: datetime | None) -> bool:
    return last is not None and incoming is not None and incoming < last


def _find_link(db: Database, key: _Key) -> ChannelOrder | None:
    with db.reader() as session:
        return session.get(ChannelOrder, (key.tenant_id, key.channel, key.external_id))


def _apply(
    db: Database,
    actor: Actor,
    key: _Key,
    order_id: str,
    event: OrderEvent,
    mapped: Mapped,
    topic: str | None,
) -> dict[str, Any]:
    command = OrderEventIn(
        event=event,
        source=f"channel:{key.channel}",
        reason=f"platform {topic or 'delivery'}"[:1000],
        occurred_at=mapped.platform_updated_at,
    )
    try:
        result = apply_event(db, actor, order_id, command)
    except _REFUSALS as error:
        return {"event": str(event), "outcome": "rejected", "code": error.code}
    return {"event": str(event), "outcome": result.outcome}


def _error(error: AppError) -> dict[str, Any]:
    return {"error": {"code": error.code, "message": error.message, "details": error.details}}


def _settle(
    db: Database,
    key: _Key,
    *,
    outcome: str,
    details: dict[str, Any],
    order_id: str | None = None,
    mapped: Mapped | None = None,
    is_final: bool = True,
) -> None:
    """Link the platform order (newest updated_at wins) and close the inbox row, together."""

    def once() -> None:
        with db.uow() as uow:
            if order_id is not None and mapped is not None:
                _upsert_link(uow, key, order_id, mapped.platform_updated_at)
            _close_inbox(uow, key, outcome, details, is_final=is_final)
            uow.commit()

    # A concurrent delivery may link it first: the retry then updates that link.
    retry_on_race(once, attempts=2)


def _upsert_link(uow: UnitOfWork, key: _Key, order_id: str, updated_at: datetime | None) -> None:
    now = uow.clock.now()
    stmt = select(ChannelOrder).where(
        ChannelOrder.tenant_id == key.tenant_id,
        ChannelOrder.channel == key.channel,
        ChannelOrder.external_id == key.external_id,
    )
    link = uow.session.scalars(stmt.with_for_update() if uow.is_postgres else stmt).first()
    if link is None:
        uow.session.add(
            ChannelOrder(
                tenant_id=key.tenant_id,
                channel=key.channel,
                external_id=key.external_id,
                order_id=order_id,
                last_platform_updated_at=updated_at,
                created_at=now,
                updated_at=now,
            )
        )
        uow.session.flush()
    elif updated_at is not None and (
        link.last_platform_updated_at is None or updated_at > link.last_platform_updated_at
    ):
        link.last_platform_updated_at = updated_at
        link.updated_at = now


def _close_inbox(
    uow: UnitOfWork, key: _Key, outcome: str, details: dict[str, Any], *, is_final: bool
) -> None:
    where = (InboxMessage.tenant_id == key.tenant_id, InboxMessage.id == key.inbox_id)
    stored = uow.session.execute(select(InboxMessage.details).where(*where)).scalar() or {}
    uow.session.execute(
        update(InboxMessage)
        .where(*where)
        .values(
            outcome=outcome,
            details=stored | {"result": details},
            processed_at=uow.clock.now() if is_final else None,
        )
    )
