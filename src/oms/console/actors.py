"""Who did it, by name: the one place a principal string becomes what a person reads.

Timelines and notes store principals (``user:<id>``, ``apikey:<id>``, ``system:<job>``,
``channel:<code>``, ``cli:<who>``). People read a user's e-mail address, an API key's name,
the system component or the channel instead, never an opaque id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from oms.core.auth import api_key_names
from oms.core.uow import Database
from oms.users.queries import user_emails

__all__ = ["ActorName", "actor_names"]

# Kinds whose name is the text after the colon as it is (a job, a channel code, a login).
_LITERAL_KINDS = frozenset({"system", "channel", "cli", "gateway"})


@dataclass(frozen=True, slots=True)
class ActorName:
    """``kind`` is worded by the page (``user``, ``apikey``, ``system``, …); ``name`` as is."""

    kind: str
    name: str


def actor_names(
    db: Database, tenant_id: str, principals: Iterable[str | None]
) -> dict[str, ActorName]:
    """Each distinct principal → its display name; two lookups whatever the number."""
    split = {p: p.partition(":") for p in set(principals) if p}
    ids = {
        kind: [rest for k, _, rest in split.values() if k == kind] for kind in ("user", "apikey")
    }
    emails = user_emails(db, tenant_id, ids["user"])
    keys = api_key_names(db, tenant_id, ids["apikey"])
    return {p: _name(kind, rest, emails, keys) for p, (kind, _, rest) in split.items()}


def _name(kind: str, rest: str, emails: dict[str, str], keys: dict[str, str]) -> ActorName:
    if kind == "user":
        return ActorName("user", emails.get(rest) or "?")
    if kind == "apikey":
        return ActorName("apikey", keys.get(rest) or "?")
    if kind in _LITERAL_KINDS and rest:
        return ActorName(kind, rest)
    return ActorName("other", f"{kind}:{rest}" if rest else kind)
