"""The local fake Alipay / WeChat Pay of the tests, told by the fault script to be slow or fail."""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler

from tests.fixtures.gateways import FakeGateway, Trade

__all__ = ["FaultyGateway", "Trade"]


class FaultyGateway(FakeGateway):
    """Answers queries and refunds like the real gateways; ``slow_seconds`` delays every
    answer and ``failing`` makes every answer a bare HTTP 500 (an outage at the gateway)."""

    slow_seconds: float = 0.0
    failing: bool = False

    def _answer(self, handler: BaseHTTPRequestHandler, kind: str, body: bytes) -> None:
        if self.slow_seconds:
            time.sleep(self.slow_seconds)
        if not self.failing:
            super()._answer(handler, kind, body)
            return
        try:
            handler.send_response(500)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        except (BrokenPipeError, ConnectionResetError):
            pass
