"""Verifying Standard Webhooks (spec v1) against the Database clock, for every intake.

Goes through the maintained ``standardwebhooks`` library; only its timestamp check is ours,
measured against the injected clock (not the wall clock), so tests and a server with a
corrected clock agree. Channels and carrier tracking both verify with :func:`verify`.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook, WebhookVerificationError

__all__ = [
    "TOLERANCE",
    "TimestampSkew",
    "WebhookVerificationError",
    "check_secret",
    "signed_headers",
    "verify",
]

TOLERANCE = timedelta(minutes=5)  # the reference libraries' choice; the spec names none


class TimestampSkew(Exception):
    """The signed timestamp is further from our clock than :data:`TOLERANCE`."""

    def __init__(self, timestamp: datetime, server_time: datetime) -> None:
        super().__init__(f"webhook-timestamp {timestamp.isoformat()} is out of tolerance")
        self.timestamp = timestamp
        self.server_time = server_time


class _ClockedWebhook(Webhook):
    """The library's verifier with its timestamp check against our clock.

    Overrides the private ``__verify_timestamp`` of standardwebhooks 1.1.0 (pinned); a test
    signs at a clock far from the wall clock, so a library change that bypasses this fails.
    """

    def __init__(self, secret: str, now: datetime) -> None:
        super().__init__(secret)
        self._now = now

    def _Webhook__verify_timestamp(self, timestamp_header: str) -> datetime:
        try:
            timestamp = datetime.fromtimestamp(float(timestamp_header), tz=UTC)
        except (ValueError, OverflowError, OSError):
            raise WebhookVerificationError("webhook-timestamp is not a Unix time") from None
        if abs(timestamp - self._now) > TOLERANCE:
            raise TimestampSkew(timestamp, self._now)
        return timestamp


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: datetime) -> None:
    """Check ``webhook-signature`` over id, timestamp and the raw body.

    Raises: WebhookVerificationError (no match; also ValueError for a signature list without
    ``v1,`` or with non-base64 entries) and TimestampSkew.
    """
    _ClockedWebhook(secret, now).verify(body, dict(headers), json_parse=False)


def check_secret(secret: str) -> None:
    """Raise ValueError unless ``secret`` is a usable ``whsec_`` secret."""
    if not secret.startswith("whsec_"):
        raise ValueError("a Standard Webhooks secret starts with whsec_")
    try:
        Webhook(secret)
    except (binascii.Error, ValueError, EmptyWebhookSecretError) as error:
        raise ValueError(f"the whsec_ secret is not base64: {error}") from None


def signed_headers(
    secret: str, *, message_id: str, timestamp: datetime, body: str
) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt of ``body`` (every sender)."""
    signature = Webhook(secret).sign(msg_id=message_id, timestamp=timestamp, data=body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }
