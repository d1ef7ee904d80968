"""A unit of work that loses a race is run again: unique-key races and PostgreSQL deadlocks."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from oms.core.models import Tenant
from oms.core.repo import is_lock_conflict, retry_on_race
from oms.core.uow import Database
from tests.fixtures.tenants import make_tenant


def test_an_error_that_is_no_race_is_raised_at_once() -> None:
    calls: list[int] = []

    def broken() -> None:
        calls.append(1)
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    with pytest.raises(OperationalError):
        retry_on_race(broken)
    assert calls == [1]


def test_a_unique_race_lost_every_time_raises_the_last_failure() -> None:
    calls: list[int] = []

    def always_taken() -> None:
        calls.append(1)
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    with pytest.raises(IntegrityError):
        retry_on_race(always_taken, attempts=3)
    assert len(calls) == 3


@pytest.mark.postgres
def test_two_transactions_that_deadlock_both_commit_when_retried(pg_db: Database) -> None:
    """Each locks the two rows in the opposite order; PostgreSQL kills one, the retry wins."""
    first, second = make_tenant(pg_db).tenant_id, make_tenant(pg_db, name="B").tenant_id
    both_hold_one = threading.Barrier(2, timeout=30)
    seen_conflicts: list[bool] = []

    def lock_in_order(order: tuple[str, str]) -> str:
        attempt = {"n": 0}

        def once() -> str:
            attempt["n"] += 1
            try:
                with pg_db.uow() as uow:
                    for n, tenant_id in enumerate(order):
                        stmt = select(Tenant).where(Tenant.id == tenant_id).with_for_update()
                        uow.session.scalars(stmt).one()
                        if n == 0 and attempt["n"] == 1:
                            both_hold_one.wait()  # the first try of each deadlocks for sure
                    uow.commit()
            except OperationalError as error:
                seen_conflicts.append(is_lock_conflict(error))
                raise
            return f"committed after {attempt['n']}"

        return retry_on_race(once)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lock_in_order, [(first, second), (second, first)]))
    assert all(r.startswith("committed") for r in results)
    # At least one was rolled back, and every rollback was a deadlock. Usually one; under load
    # a retry can take the freed row before the survivor and deadlock with it once more.
    assert seen_conflicts and all(seen_conflicts)
