"""What the relay publishes: an outbox row as a subject, a message id and a JSON body."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from oms.webhooks.events import EVENT_TYPES

__all__ = ["EventMessage", "OutboxRow", "is_domain_event", "is_subject_token", "to_message"]

# A subject token: no dots, wildcards or white space (NATS would split or match on them).
_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """The columns of an outbox message the relay needs."""

    tenant_id: str
    id: str
    topic: str
    payload: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EventMessage:
    """One event as the broker gets it; ``msg_id`` is what the broker deduplicates on."""

    subject: str
    msg_id: str
    body: bytes


def is_subject_token(token: str) -> bool:
    """Letters, digits, ``_`` and ``-``: never split on or matched as a wildcard by NATS."""
    return bool(_TOKEN.match(token))


def is_domain_event(topic: str) -> bool:
    """The public events (those webhooks deliver), not the jobs sharing the outbox."""
    return topic in EVENT_TYPES


def to_message(row: OutboxRow, *, prefix: str) -> EventMessage:
    """``order.status_changed`` of tenant T → subject ``<prefix>.T.order.status_changed``.

    The aggregate is the topic's first word; its id is the payload's ``<aggregate>_id``
    (``None`` when the event names none, as alerts do).
    Raises ValueError when a part cannot be a subject token.
    """
    aggregate, _, event = row.topic.partition(".")
    subject = ".".join([prefix, row.tenant_id, aggregate, event])
    for token in [*prefix.split("."), row.tenant_id, aggregate, event]:
        if not is_subject_token(token):
            raise ValueError(f"{subject!r} is not a valid subject (token {token!r})")
    aggregate_id = row.payload.get(f"{aggregate}_id")
    body = {
        "id": row.id,
        "type": row.topic,
        "tenant_id": row.tenant_id,
        "aggregate": aggregate,
        "aggregate_id": None if aggregate_id is None else str(aggregate_id),
        "occurred_at": _timestamp(row.created_at),
        "data": row.payload,
    }
    encoded = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return EventMessage(subject=subject, msg_id=row.id, body=encoded)


def _timestamp(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds, as the webhook envelope writes it."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
