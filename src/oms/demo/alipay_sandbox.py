"""A stand-in for Alipay while the demo is written: it signs notifications and answers
``alipay.trade.query`` on 127.0.0.1, so every demo payment goes through the payments domain's
real path (RSA2-verified notification, then double confirmation by query) as in production.

The sandbox lives only while ``create_demo`` runs; the tenant's Alipay configuration keeps its
address, so nothing after the demo reaches it (real gateway calls then fail and are retried,
as they would against an unreachable gateway).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from oms.payments.gateways.alipay import signing_string
from oms.payments.gateways.base import rsa_sign

__all__ = ["AlipaySandbox", "Trade"]

_BEIJING = ZoneInfo("Asia/Shanghai")
APP_ID = "2021000000000001"


@dataclass(frozen=True, slots=True)
class Trade:
    """What the buyer paid at the gateway for one order."""

    out_trade_no: str
    trade_no: str
    amount: int  # fen
    paid_at: datetime


def _private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _public_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _beijing(when: datetime) -> str:
    return when.astimezone(_BEIJING).strftime("%Y-%m-%d %H:%M:%S")


class AlipaySandbox:
    """Gateway keys, the trades it has seen, and a query endpoint on a free local port."""

    def __init__(self) -> None:
        self.gateway_private_key = _private_pem()
        self.gateway_public_key = _public_pem(self.gateway_private_key)
        self.merchant_private_key = _private_pem()
        self._trades: dict[str, Trade] = {}
        self._server: ThreadingHTTPServer | None = None

    def config(self) -> dict[str, str]:
        """The tenant's Alipay configuration (``AlipayConfigIn`` fields)."""
        return {
            "app_id": APP_ID,
            "gateway_public_key": self.gateway_public_key,
            "merchant_private_key": self.merchant_private_key,
            "base_url": self.base_url,
        }

    @property
    def origin(self) -> str:
        assert self._server is not None, "start the sandbox first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/gateway.do"

    def start(self) -> AlipaySandbox:
        sandbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                sent = self.rfile.read(length)
                if self.path.startswith("/hooks/"):
                    # The demo's webhook receivers: the ERP takes everything, BI is down.
                    self.send_response(200 if self.path == "/hooks/erp" else 503)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                body = sandbox._query_answer(dict(parse_qsl(sent.decode()))).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json;charset=utf-8")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def pay(self, trade: Trade) -> bytes:
        """The buyer pays: remember the trade and return Alipay's signed notification body."""
        self._trades[trade.out_trade_no] = trade
        params = {
            "app_id": APP_ID,
            "charset": "utf-8",
            "notify_id": f"demo-{trade.trade_no}",
            "notify_time": _beijing(trade.paid_at),
            "notify_type": "trade_status_sync",
            "out_trade_no": trade.out_trade_no,
            "trade_no": trade.trade_no,
            "trade_status": "TRADE_SUCCESS",
            "total_amount": _yuan(trade.amount),
            "gmt_payment": _beijing(trade.paid_at),
            "sign_type": "RSA2",
            "version": "1.0",
        }
        params["sign"] = rsa_sign(self.gateway_private_key, signing_string(params).encode())
        return urlencode(params).encode()

    def _query_answer(self, params: dict[str, str]) -> str:
        biz = json.loads(params.get("biz_content", "{}"))
        trade = self._trades.get(str(biz.get("out_trade_no")))
        if trade is None:
            inner: dict[str, Any] = {
                "code": "40004",
                "msg": "Business Failed",
                "sub_code": "ACQ.TRADE_NOT_EXIST",
            }
        else:
            inner = {
                "code": "10000",
                "msg": "Success",
                "out_trade_no": trade.out_trade_no,
                "trade_no": trade.trade_no,
                "trade_status": "TRADE_SUCCESS",
                "total_amount": _yuan(trade.amount),
                "send_pay_date": _beijing(trade.paid_at),
            }
        text = json.dumps(inner, ensure_ascii=False, separators=(",", ":"))
        sign = rsa_sign(self.gateway_private_key, text.encode())
        return f'{{"alipay_trade_query_response":{text},"sign":"{sign}"}}'
