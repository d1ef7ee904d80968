"""Merchants' internal notes on an order: written once, listed oldest first, never edited.

A note is not a status change, but it is something a person did to the order, so it leaves
an audit entry on the order's timeline (event ``note_added``, no ``occurred_at``, so it never
counts as an event of its source when later events are checked for staleness).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from oms.core import audit
from oms.core.audit import Attempt, Outcome
from oms.core.context import Actor
from oms.core.ids import new_id
from oms.core.paging import Page, PageRequest, fetch_items, from_attributes
from oms.core.uow import Database
from oms.orders.errors import NoteInvalid, OrderNotFound
from oms.orders.models import Order, OrderNote
from oms.orders.schemas import NoteIn, NoteOut

__all__ = ["MAX_NOTE_CHARS", "NOTE_EVENT", "add_note", "note_page"]

MAX_NOTE_CHARS = 2000
NOTE_EVENT = "note_added"


def checked_body(text: str) -> str:
    """The note's text, trimmed. Raises: ERR_ORDER_NOTE_INVALID (empty or too long)."""
    body = text.strip()
    if not body:
        raise NoteInvalid("a note must say something", problem="empty")
    if len(body) > MAX_NOTE_CHARS:
        raise NoteInvalid(
            f"a note has at most {MAX_NOTE_CHARS} characters",
            problem="too_long",
            max_chars=MAX_NOTE_CHARS,
            chars=len(body),
        )
    return body


def add_note(db: Database, actor: Actor, order_id: str, data: NoteIn, *, source: str) -> NoteOut:
    """Add an internal note to an order, with its audit entry, in one transaction.

    Raises: ERR_ORDER_NOTE_INVALID, ERR_ORDER_NOT_FOUND (also for another tenant's order).
    """
    body = checked_body(data.body)
    with db.uow() as uow:
        now = uow.clock.now()
        _check_order(uow.session, actor.tenant_id, order_id)
        note = NoteOut(
            id=new_id(), order_id=order_id, author=actor.principal, body=body, created_at=now
        )
        uow.session.execute(
            insert(OrderNote).values(tenant_id=actor.tenant_id, **note.model_dump())
        )
        attempt = Attempt(
            aggregate_type="order",
            aggregate_id=order_id,
            event=NOTE_EVENT,
            outcome=Outcome.APPLIED,
            source=source,
            details={"note_id": note.id},
        )
        audit.record_attempt(uow.session, actor, attempt, now=now)
        uow.commit()
    return note


def note_page(
    db: Database, tenant_id: str, order_id: str, *, page: PageRequest = PageRequest()
) -> Page[NoteOut]:
    """One page of the order's internal notes, oldest first. Raises: ERR_ORDER_NOT_FOUND."""
    stmt = select(OrderNote).where(OrderNote.tenant_id == tenant_id, OrderNote.order_id == order_id)
    keys = (OrderNote.created_at, OrderNote.id)
    with db.reader() as session:
        _check_order(session, tenant_id, order_id)
        return fetch_items(
            session, stmt, keys, page, from_attributes(NoteOut), scope=f"notes:{order_id}"
        )


def _check_order(session: Any, tenant_id: str, order_id: str) -> None:
    found = session.scalar(
        select(Order.id).where(Order.tenant_id == tenant_id, Order.id == order_id)
    )
    if found is None:
        raise OrderNotFound("no such order", order_id=order_id)
