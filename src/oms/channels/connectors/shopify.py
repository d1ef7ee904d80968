"""Shopify: ``X-Shopify-Hmac-Sha256`` = base64 HMAC-SHA256 of the raw body with the app secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from oms.channels.connectors import Credentials, Delivery, Identity, parse_json_object
from oms.channels.errors import SecretInvalid, SignatureInvalid, SignatureMissing

__all__ = ["ShopifyConnector", "sign"]


def sign(secret: str, body: bytes) -> str:
    """The header value Shopify sends for ``body``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class ShopifyConnector:
    name = "shopify"

    def identify(self, headers: Mapping[str, str], body: bytes) -> Identity:
        return Identity(
            message_id=headers.get("x-shopify-webhook-id"),
            topic=headers.get("x-shopify-topic"),
            event_id=headers.get("x-shopify-event-id"),
        )

    def verify(
        self, credentials: Credentials, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> None:
        received = headers.get("x-shopify-hmac-sha256")
        if not received:
            raise SignatureMissing("send X-Shopify-Hmac-Sha256")
        expected = sign(credentials.secret, body)
        if not hmac.compare_digest(expected.encode(), received.strip().encode()):
            raise SignatureInvalid("X-Shopify-Hmac-Sha256 does not match the raw body")

    def parse(self, headers: Mapping[str, str], body: bytes) -> Delivery:
        return Delivery(topic=headers.get("x-shopify-topic"), document=parse_json_object(body))

    def ack(self, result: dict[str, Any]) -> dict[str, Any]:
        return result

    def check_secret(self, secret: str) -> None:
        if len(secret) < 8:
            raise SecretInvalid("a Shopify client secret is longer than 8 characters")
