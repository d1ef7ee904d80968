"""Sign-in throttling with the ``limits`` library: per client IP, and lock-out bookkeeping for
e-mail addresses that have no account.

Two holes this closes. Per IP: every sign-in attempt is one hit in a moving window
(``OMS_LOGIN_RATE_LIMIT``, 20 a minute by default); past it the answer is 429 before any
password is checked, so one client can neither guess quickly nor lock accounts for free.
Unknown addresses: they fail, count and lock exactly like real accounts (four 401s with the
attempts left, then 423 with the time the lock ends), so the answers do not tell which
addresses have accounts. Real accounts keep their count in the database (``users``); unknown
ones live here, keyed by the address's SHA-256, never the address itself.

Storage is ``OMS_RATE_LIMIT_STORAGE_URL`` (``core.rate_limits``): ``database://`` (default; the
application's database, so every ``oms serve`` process shares one count), ``redis://host:6379/0``
(needs the ``redis`` extra) or ``memory://`` (each process counts on its own). Windows are
moving where the storage supports them (memory, Redis), fixed in the database.
"""

from __future__ import annotations

import hashlib
import math
import time
from datetime import UTC, datetime, timedelta

from limits import RateLimitItem, RateLimitItemPerDay, RateLimitItemPerSecond, parse_many
from limits.storage import MovingWindowSupport, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter, RateLimiter

from oms.users.errors import LoginThrottled

__all__ = ["LoginThrottle", "UnknownAddressFailure"]


class UnknownAddressFailure:
    """What a failed sign-in to an address without an account amounts to."""

    __slots__ = ("attempts_left", "locked_until")

    def __init__(self, attempts_left: int, locked_until: datetime | None) -> None:
        self.attempts_left = attempts_left
        self.locked_until = locked_until


class LoginThrottle:
    """Per-IP attempt limit and unknown-address lock-outs, in one ``limits`` storage."""

    def __init__(
        self,
        *,
        storage_url: str = "memory://",
        storage: Storage | None = None,
        per_ip: str = "20/minute",
        max_failures: int = 5,
        lockout: timedelta = timedelta(minutes=15),
    ) -> None:
        counts = storage if storage is not None else storage_from_string(storage_url)
        assert isinstance(counts, Storage)
        self._limiter: RateLimiter = (
            MovingWindowRateLimiter(counts)
            if isinstance(counts, MovingWindowSupport)
            else FixedWindowRateLimiter(counts)
        )
        # "20/minute" or several windows at once, "20/minute;200/day": each must allow it.
        self._per_ip: list[RateLimitItem] = parse_many(per_ip)
        # Real accounts count consecutive failures until a success or a lock; a day's window
        # stands in for "until" here, and the count is cleared when it locks.
        self._failures: RateLimitItem = RateLimitItemPerDay(max_failures)
        self._lock: RateLimitItem = RateLimitItemPerSecond(1, int(lockout.total_seconds()))
        self._lockout = lockout

    def admit(self, client_ip: str | None) -> None:
        """Count one sign-in attempt from ``client_ip``. Raises: ERR_AUTH_RATE_LIMITED."""
        ip = client_ip or "unknown"
        refused = [item for item in self._per_ip if not self._limiter.hit(item, "login-ip", ip)]
        if not refused:
            return
        reset = max(self._limiter.get_window_stats(i, "login-ip", ip).reset_time for i in refused)
        retry_after = max(1, math.ceil(reset - time.time()))
        raise LoginThrottled(
            f"too many sign-in attempts from this address; wait {retry_after} s",
            retry_after=retry_after,
        )

    def unknown_locked_until(self, address: str) -> datetime | None:
        """When the lock on an address without an account ends, if it is locked."""
        key = _digest(address)
        if self._limiter.test(self._lock, "login-lock", key):
            return None
        reset = self._limiter.get_window_stats(self._lock, "login-lock", key).reset_time
        return datetime.fromtimestamp(reset, UTC)

    def unknown_failure(self, address: str, now: datetime) -> UnknownAddressFailure:
        """Count a failure for an address without an account, locking it on the last one."""
        key = _digest(address)
        self._limiter.hit(self._failures, "login-fail", key)
        left = self._limiter.get_window_stats(self._failures, "login-fail", key).remaining
        if left > 0:
            return UnknownAddressFailure(left, None)
        self._limiter.clear(self._failures, "login-fail", key)
        self._limiter.hit(self._lock, "login-lock", key)
        return UnknownAddressFailure(0, now + self._lockout)

    def reset(self) -> None:
        """Forget every count (tests)."""
        self._limiter.storage.reset()


def _digest(address: str) -> str:
    return hashlib.sha256(address.encode()).hexdigest()
