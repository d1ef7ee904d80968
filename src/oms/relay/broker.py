"""Brokers the relay publishes to. NATS JetStream is the one there is; a Kafka adapter would
implement the same :class:`Broker` protocol."""

from __future__ import annotations

from typing import Protocol

import nats
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError

from oms.relay.messages import EventMessage

__all__ = ["Broker", "JetStreamBroker"]

log = structlog.get_logger(__name__)

# JetStream drops a message whose Nats-Msg-Id it has stored within this window: a relay that
# dies between the broker's ack and its own mark re-publishes harmlessly if it (or a
# standby) is back within it.
DUPLICATE_WINDOW_SECONDS = 120.0
PUBLISH_TIMEOUT_SECONDS = 5.0


class Broker(Protocol):
    async def publish(self, message: EventMessage) -> bool:
        """Publish and wait for the broker's ack; True when it was a dropped duplicate.
        Raises when there is no ack (the caller publishes again later)."""
        ...

    async def close(self) -> None: ...


class JetStreamBroker:
    """Publishes to one JetStream stream; the stream is created if it is missing."""

    def __init__(self, nc: Client, js: JetStreamContext, stream: str) -> None:
        self.nc = nc
        self.js = js
        self.stream = stream

    @classmethod
    async def connect(cls, url: str, *, stream: str, subject_prefix: str) -> JetStreamBroker:
        """Connect (reconnecting for ever once connected) and make sure the stream exists."""
        nc = await nats.connect(
            [server.strip() for server in url.split(",")],
            name="oms-relay",
            connect_timeout=5,
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
        )
        js = nc.jetstream(timeout=PUBLISH_TIMEOUT_SECONDS)
        try:
            await ensure_stream(js, stream, subject_prefix)
        except BaseException:
            await nc.close()
            raise
        return cls(nc, js, stream)

    async def publish(self, message: EventMessage) -> bool:
        ack = await self.js.publish(
            message.subject,
            message.body,
            timeout=PUBLISH_TIMEOUT_SECONDS,
            # The expected-stream header makes a publish that no stream of that name would
            # store fail instead of landing in another stream.
            stream=self.stream,
            headers={"Nats-Msg-Id": message.msg_id, "Content-Type": "application/json"},
        )
        return bool(ack.duplicate)

    async def close(self) -> None:
        if not self.nc.is_closed:
            await self.nc.drain()


async def ensure_stream(js: JetStreamContext, stream: str, subject_prefix: str) -> None:
    """Create ``stream`` on ``<prefix>.>`` unless it exists; an existing one is left as the
    operator configured it (retention, replicas, limits)."""
    try:
        info = await js.stream_info(stream)
    except NotFoundError:
        config = StreamConfig(
            name=stream,
            description="oms domain events (oms relay)",
            subjects=[f"{subject_prefix}.>"],
            storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
        )
        info = await js.add_stream(config)
        log.info("relay.stream_created", stream=stream, subjects=info.config.subjects)
        return
    log.info("relay.stream_found", stream=stream, subjects=info.config.subjects)
