"""Platform connectors: how each platform names, signs and shapes its deliveries."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from oms.channels.errors import MalformedPayload

__all__ = [
    "Connector",
    "Credentials",
    "Delivery",
    "Identity",
    "connector_for",
    "known_channels",
    "parse_json_object",
]


@dataclass(frozen=True, slots=True)
class Identity:
    """What can be read before anything is verified: the delivery id and the topic."""

    message_id: str | None
    topic: str | None
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class Credentials:
    secret: str
    client_id: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """A verified delivery, parsed: the document the mapping reads (None for a probe)."""

    topic: str | None
    document: dict[str, Any] | None
    is_probe: bool = False


class Connector(Protocol):
    name: str

    def identify(self, headers: Mapping[str, str], body: bytes) -> Identity:
        """Read the delivery id and topic; never raises."""

    def verify(
        self, credentials: Credentials, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> None:
        """Check the signature in constant time. Raises ERR_CHANNEL_SIGNATURE_*."""

    def parse(self, headers: Mapping[str, str], body: bytes) -> Delivery:
        """Parse the verified body. Raises ERR_CHANNEL_MALFORMED_PAYLOAD."""

    def ack(self, result: dict[str, Any]) -> dict[str, Any]:
        """The body the platform expects for a delivery it should not retry."""

    def check_secret(self, secret: str) -> None:
        """Refuse a secret the signatures cannot use. Raises ERR_CHANNEL_SECRET_INVALID."""


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, decimals kept exact. Raises ERR_CHANNEL_MALFORMED_PAYLOAD."""
    try:
        parsed = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedPayload(f"the body is not valid JSON: {error}") from None
    if not isinstance(parsed, dict):
        raise MalformedPayload("the body is not a JSON object")
    return parsed


def known_channels() -> list[str]:
    return sorted(_registry())


def connector_for(channel: str) -> Connector | None:
    """The connector of a channel name, or None for an unknown one."""
    return _registry().get(channel)


def _registry() -> dict[str, Connector]:
    from oms.channels.connectors import generic, shopify, youzan

    return {
        "shopify": shopify.ShopifyConnector(),
        "youzan": youzan.YouzanConnector(),
        "generic": generic.GenericConnector(),
    }
