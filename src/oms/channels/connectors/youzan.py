"""Youzan (有赞) pushes, per protocols.md 5.1.

Classic push: a JSON envelope whose ``msg`` is URL-encoded JSON, signed
``sign = hex(MD5(client_id + msg + client_secret))`` over ``msg`` exactly as received.
Youzan Cloud (有赞云): ``Event-Sign = hex(MD5(client_id + raw_body + client_secret))``, the
client id being the configured one. Not confirmed (see docs/channels.md): the current Cloud
header set, reply format and retry policy, and the meaning of the legacy ``mode`` field
(ignored).
The delivery id is ``msg_id`` (V3), else ``type:id:status:version`` (``version`` alone is a
timestamp and not unique). ``test: true`` marks a health probe: recorded, not processed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote_plus

from oms.channels.connectors import Credentials, Delivery, Identity, parse_json_object
from oms.channels.errors import MalformedPayload, SecretInvalid, SignatureInvalid, SignatureMissing

__all__ = ["ACK", "YouzanConnector", "sign"]

ACK = {"code": 0, "msg": "success"}


def sign(client_id: str, signed: str, secret: str) -> str:
    """hex MD5 of client_id + the signed text + secret (MD5 is the protocol's choice)."""
    return hashlib.md5((client_id + signed + secret).encode()).hexdigest()  # noqa: S324


def _envelope(body: bytes) -> dict[str, Any] | None:
    try:
        return parse_json_object(body)
    except MalformedPayload:
        return None


class YouzanConnector:
    name = "youzan"

    def identify(self, headers: Mapping[str, str], body: bytes) -> Identity:
        envelope = _envelope(body)
        if envelope is None:
            return Identity(message_id=None, topic=headers.get("event-type"))
        topic = envelope.get("type")
        message_id = envelope.get("msg_id")
        if not message_id and envelope.get("id") is not None:
            parts = (envelope.get(k) for k in ("type", "id", "status", "version"))
            message_id = ":".join("" if p is None else str(p) for p in parts)
        return Identity(
            message_id=None if message_id is None else str(message_id),
            topic=None if topic is None else str(topic),
        )

    def verify(
        self, credentials: Credentials, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> None:
        if headers.get("event-sign"):
            client_id = credentials.client_id or ""
            expected = sign(client_id, body.decode("utf-8", "replace"), credentials.secret)
            self._compare(expected, headers["event-sign"])
            return
        envelope = parse_json_object(body)
        received, msg = envelope.get("sign"), envelope.get("msg")
        if not isinstance(received, str) or not received:
            raise SignatureMissing("send sign in the body (or the Event-Sign header)")
        if not isinstance(msg, str):
            raise SignatureInvalid("the push has no msg to check the sign against")
        client_id = str(envelope.get("client_id") or "")
        if credentials.client_id and client_id != credentials.client_id:
            raise SignatureInvalid("client_id is not the configured one", client_id=client_id)
        self._compare(sign(client_id, msg, credentials.secret), received)

    @staticmethod
    def _compare(expected: str, received: str) -> None:
        if not hmac.compare_digest(expected.encode(), received.strip().lower().encode()):
            raise SignatureInvalid("the sign does not match client_id + msg + client_secret")

    def parse(self, headers: Mapping[str, str], body: bytes) -> Delivery:
        envelope = parse_json_object(body)
        topic = None if envelope.get("type") is None else str(envelope["type"])
        if envelope.get("test") is True:
            return Delivery(topic=topic, document=None, is_probe=True)
        raw = envelope.pop("msg", None)
        if not isinstance(raw, str):
            raise MalformedPayload("the push has no msg")
        try:
            msg = json.loads(unquote_plus(raw), parse_float=Decimal)
        except ValueError:
            raise MalformedPayload("msg is not URL-encoded JSON") from None
        document = {"envelope": envelope, "msg": msg}
        return Delivery(topic=topic, document=document)

    def ack(self, result: dict[str, Any]) -> dict[str, Any]:
        return dict(ACK)  # anything else makes Youzan push again

    def check_secret(self, secret: str) -> None:
        if len(secret) < 8:
            raise SecretInvalid("a Youzan client_secret is longer than 8 characters")
