"""Reads of the notification log."""

from __future__ import annotations

from sqlalchemy import select

from oms.core.paging import Page, PageRequest, fetch_items
from oms.core.uow import Database
from oms.fulfilment.notify.models import NotificationMessage
from oms.fulfilment.notify.schemas import MessageOut

__all__ = ["message_page"]


def message_page(
    db: Database, tenant_id: str, order_id: str, *, page: PageRequest = PageRequest()
) -> Page[MessageOut]:
    """One page of the messages logged for an order, oldest first."""
    stmt = select(NotificationMessage).where(
        NotificationMessage.tenant_id == tenant_id, NotificationMessage.order_id == order_id
    )
    keys = (NotificationMessage.created_at, NotificationMessage.id)
    with db.reader() as session:
        return fetch_items(session, stmt, keys, page, _out, scope=f"notifications:{order_id}")


def _out(row: NotificationMessage) -> MessageOut:
    return MessageOut.model_validate(row, from_attributes=True)
