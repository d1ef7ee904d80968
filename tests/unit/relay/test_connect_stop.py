"""A stop while the relay is still connecting ends the relay, whatever the client does with
the cancel (the NATS client swallows one that lands while it closes a failed attempt)."""

from __future__ import annotations

import asyncio
from typing import cast

from oms.core.uow import Database
from oms.relay.broker import Broker
from oms.relay.relay import Relay
from tests.fixtures.nats import run_async


class SwallowingConnect:
    """A connect that retries a dead server for ever and, like ``nats.aio.Client._close``,
    swallows the first cancellation that reaches it."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.swallowed = 0

    async def __call__(self) -> Broker:
        self.started.set()
        while True:
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                if self.swallowed:
                    raise
                self.swallowed += 1


def test_a_stop_ends_a_connect_that_swallows_the_first_cancel() -> None:
    connect = SwallowingConnect()
    relay = Relay(cast(Database, None), connect, subject_prefix="oms")

    async def scenario() -> Broker | None:
        stop = asyncio.Event()
        connecting = asyncio.ensure_future(relay._connect(stop))
        await connect.started.wait()
        stop.set()
        # The bound only turns a hang into a failure; the relay returns within 0.2 s. Not
        # wait_for: its own cancel on timeout would end the hang and hide it.
        await asyncio.wait({connecting}, timeout=30)
        assert connecting.done(), "the relay kept connecting after the stop"
        return connecting.result()

    assert run_async(scenario()) is None
    assert connect.swallowed == 1
