"""Generic channel: Standard Webhooks signatures, or GitHub-style ``X-Hub-Signature-256``.

Standard Webhooks goes through ``core.standard_webhooks`` (the maintained library, its ±5
minute tolerance measured against the Database clock). GitHub-style carries no timestamp:
no replay protection beyond the inbox's dedupe on the delivery id (``X-GitHub-Delivery``,
or ``X-Delivery-Id``).
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook

from oms.channels.connectors import Credentials, Delivery, Identity, parse_json_object
from oms.channels.errors import (
    SecretInvalid,
    SignatureInvalid,
    SignatureMissing,
    TimestampOutOfTolerance,
)
from oms.core import standard_webhooks
from oms.core.standard_webhooks import TOLERANCE, TimestampSkew, WebhookVerificationError

__all__ = ["TOLERANCE", "GenericConnector", "hub_signature"]

_DELIVERY_HEADERS = ("webhook-id", "x-github-delivery", "x-delivery-id")
_TOPIC_HEADERS = ("x-github-event", "x-webhook-topic")


def hub_signature(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256>`` of the raw body, keyed with the secret's UTF-8 bytes."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class GenericConnector:
    name = "generic"

    def identify(self, headers: Mapping[str, str], body: bytes) -> Identity:
        message_id = next((headers[h] for h in _DELIVERY_HEADERS if headers.get(h)), None)
        topic = next((headers[h] for h in _TOPIC_HEADERS if headers.get(h)), None)
        return Identity(message_id=message_id, topic=topic)

    def verify(
        self, credentials: Credentials, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> None:
        if headers.get("webhook-signature"):
            self._verify_standard(credentials.secret, headers, body, now)
        elif headers.get("x-hub-signature-256"):
            expected = hub_signature(credentials.secret, body)
            received = headers["x-hub-signature-256"].strip().lower()
            if not hmac.compare_digest(expected.encode(), received.encode()):
                raise SignatureInvalid("X-Hub-Signature-256 does not match the raw body")
        else:
            raise SignatureMissing("send webhook-signature or X-Hub-Signature-256")

    def _verify_standard(
        self, secret: str, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> None:
        if not headers.get("webhook-timestamp"):
            raise SignatureMissing("Standard Webhooks needs webhook-timestamp")
        try:
            standard_webhooks.verify(secret, headers, body, now=now)
        except TimestampSkew as skew:
            raise TimestampOutOfTolerance(
                timestamp=skew.timestamp.isoformat(), server_time=skew.server_time.isoformat()
            ) from None
        except (WebhookVerificationError, ValueError) as error:
            # ValueError covers a signature list without "v1," and non-base64 entries.
            raise SignatureInvalid(f"webhook-signature does not verify: {error}") from None

    def parse(self, headers: Mapping[str, str], body: bytes) -> Delivery:
        document = parse_json_object(body)
        topic = document.get("type") if isinstance(document.get("type"), str) else None
        return Delivery(topic=topic or self.identify(headers, body).topic, document=document)

    def ack(self, result: dict[str, Any]) -> dict[str, Any]:
        return result

    def check_secret(self, secret: str) -> None:
        if len(secret) < 8:
            raise SecretInvalid("use a secret of at least 8 characters")
        if secret.startswith("whsec_"):
            try:
                Webhook(secret)
            except (binascii.Error, ValueError, EmptyWebhookSecretError) as error:
                raise SecretInvalid(f"whsec_ secret is not base64: {error}") from None
