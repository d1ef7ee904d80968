"""Fulfilment plans per second, in memory, for orders of 1-20 lines over 10 warehouses and
8 carriers. The baseline is the 1-line order: each row prints its rate as a ratio to it.

    .venv/bin/python -m bench.plans_bench [--orders 2000] [--seed 7]

The generator below knows nothing of the planner: it draws plain records (real province
names, real Kuaidi100 codes, typical prices) and ``_request`` converts them at the boundary.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from typing import Any

from oms.fulfilment.planning.planner import (
    CarrierSpec,
    Item,
    PlanRequest,
    ServiceSpec,
    WarehouseSpec,
    plan_fulfilment,
)

PROVINCES = ["浙江省", "上海市", "江苏省", "广东省", "北京市", "四川省", "湖北省", "山东省",
             "河南省", "福建省", "陕西省", "辽宁省", "云南省", "新疆维吾尔自治区"]  # fmt: skip
CARRIERS = [  # code, tier, capabilities, hours, first fee, per kg, max kg, regions
    ("shunfeng", 1, ["cold_chain", "fragile", "bulky"], 24, 2300, 1000, 50, []),
    ("jd", 1, ["cold_chain", "installation", "bulky", "fragile"], 48, 1000, 500, 100, []),
    ("ems", 2, ["fragile"], 60, 1000, 600, 40, []),
    ("zhongtong", 2, ["bulky"], 48, 480, 280, 50, []),
    ("yuantong", 2, [], 48, 500, 300, 30, []),
    ("yunda", 3, [], 60, 450, 250, 30, ["浙江省", "上海市", "江苏省", "安徽省"]),
    ("shentong", 3, [], 60, 420, 250, 30, []),
    ("jtexpress", 3, [], 72, 400, 200, 30, []),
]
NEEDS = ["cold_chain", "installation", "bulky", "fragile"]
SIZES = (1, 2, 5, 10, 20)


def generate(rng: random.Random, lines: int) -> dict[str, Any]:
    """One order with its world: 10 warehouses with stock, holds for some lines."""
    skus = [f"SKU-{rng.randrange(10_000):05d}" for _ in range(lines)]
    warehouses = [
        {
            "code": f"WH{n:02d}",
            "province": rng.choice(PROVINCES),
            "priority": n,
            "stock": {s: rng.choice([0, 0, 3, 50]) for s in skus},
        }
        for n in range(10)
    ]
    order_lines = [
        {
            "sku": s,
            "qty": rng.randint(1, 3),
            "grams": rng.choice([200, 500, 1500, 8000]),
            "needs": [n for n in NEEDS if rng.random() < 0.08],
            "held_in": rng.choice(warehouses)["code"] if rng.random() < 0.3 else None,
        }
        for s in skus
    ]
    return {"lines": order_lines, "warehouses": warehouses, "to": rng.choice(PROVINCES)}


def _request(order: dict[str, Any]) -> PlanRequest:
    carriers = [
        CarrierSpec(code, tier, frozenset(caps), frozenset(regions), kg * 1000,
                    (ServiceSpec("standard", hours, 1000, fee, per_kg),))
        for code, tier, caps, hours, fee, per_kg, kg, regions in CARRIERS
    ]  # fmt: skip
    items = [
        Item(ln["sku"], ln["qty"], frozenset(ln["needs"]), ln["grams"]) for ln in order["lines"]
    ]
    warehouses = [
        WarehouseSpec(w["code"], w["province"], w["priority"], w["stock"])
        for w in order["warehouses"]
    ]
    holds = {ln["sku"]: {ln["held_in"]: ln["qty"]} for ln in order["lines"] if ln["held_in"]}
    return PlanRequest(items, warehouses, carriers, order["to"], 72, holds)


def _rate(requests: list[PlanRequest]) -> tuple[float, float]:
    started = time.perf_counter()
    complete = sum(plan_fulfilment(r).is_complete for r in requests)
    return len(requests) / (time.perf_counter() - started), complete / len(requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(
        f"{args.orders} orders per size, 10 warehouses, {len(CARRIERS)} carriers, seed {args.seed}"
    )
    print("lines  plans/s  vs 1-line  complete")
    baseline = None
    for size in SIZES:
        requests = [_request(generate(rng, size)) for _ in range(args.orders)]
        rates = [_rate(requests) for _ in range(3)]
        rate = statistics.median(r for r, _ in rates)
        baseline = baseline or rate
        print(f"{size:5d}  {rate:7.0f}  {rate / baseline:9.2f}  {rates[0][1]:8.1%}")


if __name__ == "__main__":
    main()
