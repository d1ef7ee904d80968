"""The order the benchmark places: realistic size, unique external id per order."""

from __future__ import annotations

from typing import Any

from oms.core.context import Actor

__all__ = ["CHANNEL", "SKUS", "USER_AGENT", "bench_actor", "order_payload"]

CHANNEL = "shop.web"
USER_AGENT = "oms-bench/1"
_SKUS = (
    ("SKU-TEA-250G", "Longjing green tea 250 g", 2, 12_800),
    ("SKU-CUP-SET", "Celadon cup set (4 pieces)", 1, 25_900),
    ("SKU-KETTLE-1L", "Cast iron kettle 1 l", 1, 39_900),
)

SKUS = tuple(sku for sku, _, _, _ in _SKUS)


def order_payload(external_id: str, seq: int) -> dict[str, Any]:
    """A JSON-ready order with 2 or 3 lines, a buyer with a phone and a shipping address."""
    lines = [
        {"sku": sku, "name": name, "qty": qty, "unit_price": price}
        for sku, name, qty, price in _SKUS[: 2 + seq % 2]
    ]
    return {
        "channel": CHANNEL,
        "external_id": external_id,
        "buyer": {"id": f"buyer-{seq % 997}", "name": "Li Wei", "phone": "+86 138 0013 8000"},
        "shipping_address": {
            "name": "Li Wei",
            "phone": "+86 138 0013 8000",
            "country": "CN",
            "province": "Zhejiang",
            "city": "Hangzhou",
            "district": "Xihu",
            "line1": "18 Longjing Road",
            "postal_code": "310013",
        },
        "lines": lines,
        "currency": "CNY",
        "shipping_fee": 1_000,
        "discount": 500,
        "note": "leave at the door",
    }


def bench_actor(tenant_id: str, key_id: str) -> Actor:
    """The actor the service and raw modes write into the audit entry."""
    return Actor(
        tenant_id=tenant_id,
        principal=f"apikey:{key_id}",
        role="admin",
        client_ip="127.0.0.1",
        user_agent=USER_AGENT,
    )
