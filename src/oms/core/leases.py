"""Cluster-wide leases: one row of ``sweep_leases`` per job that one process runs at a time.

A periodic sweep (``core.jobs``) and the event relay (``oms relay``) both take a named lease
with one conditional UPDATE — of N processes asking at once exactly one gets the row — and
give it back when done; a holder that died is presumed gone when its lease runs out.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, update

from oms.core.models import SweepLease
from oms.core.repo import insert_ignore
from oms.core.uow import Database

__all__ = ["release_lease", "renew_lease", "take_lease"]


def take_lease(
    db: Database,
    name: str,
    holder: str,
    *,
    duration: timedelta,
    not_started_within: timedelta | None = None,
) -> bool:
    """Take lease ``name`` if nobody holds it (and, for a sweep, its interval has passed since
    it last started anywhere). True when ``holder`` got it."""
    with db.uow() as uow:
        now = uow.clock.now()
        insert_ignore(uow, SweepLease, {"name": name, "runs": 0})
        conditions = [
            SweepLease.name == name,
            or_(SweepLease.leased_until.is_(None), SweepLease.leased_until < now),
        ]
        if not_started_within is not None:
            conditions.append(
                or_(
                    SweepLease.last_started_at.is_(None),
                    SweepLease.last_started_at <= now - not_started_within,
                )
            )
        result = uow.session.execute(
            update(SweepLease)
            .where(*conditions)
            .values(
                holder=holder,
                leased_until=now + duration,
                last_started_at=now,
                runs=SweepLease.runs + 1,
            )
        )
        uow.commit()
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def renew_lease(db: Database, name: str, holder: str, *, duration: timedelta) -> bool:
    """Extend a lease ``holder`` still holds; False when it was lost (taken by another)."""
    with db.uow() as uow:
        result = uow.session.execute(
            update(SweepLease)
            .where(SweepLease.name == name, SweepLease.holder == holder)
            .values(leased_until=uow.clock.now() + duration)
        )
        uow.commit()
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def release_lease(db: Database, name: str, holder: str) -> None:
    """Give the lease back at once (a clean finish); a lease held by another is untouched."""
    with db.uow() as uow:
        uow.session.execute(
            update(SweepLease)
            .where(SweepLease.name == name, SweepLease.holder == holder)
            .values(leased_until=None, last_finished_at=uow.clock.now())
        )
        uow.commit()
