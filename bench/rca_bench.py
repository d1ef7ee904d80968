"""Root-cause benchmark: F1 per planted kind and seconds per case (issue 14).

Run ``python -m bench.rca_bench [--cases N] [--seed S]``. A seeded generator builds a shop in
the shape of a Chinese multi-channel merchant (5 channels, 2,000 SKUs in 40 categories with
Zipf popularity, 300 courier outlets in 30 provinces served by 6 carriers), gives every leaf
(channel x SKU x outlet) a refund rate (category base rate times channel, SKU and outlet
factors), draws a 7-day baseline and one current day with Poisson orders and binomial refunds,
and plants causes in the current day: one SKU, one outlet, channel x SKU, SKU x outlet, or two
independent causes of those kinds, each multiplying its cell's refund rate by 2-4 on a cell
with at least 0.05 % of the day's orders. The generator knows nothing of the method: it only
writes the two tables the ``oms analytics rca`` contract reads.

A case is right when the causes named are exactly the planted ones (attributes compared
whole: ``{"sku": X}`` is not ``{"sku": X, "category": C}``). Printed: F1 per kind with its
ratio to the 0.9 target at 2,000,000 orders/day, the same as figures at 200,000, and seconds
per case (``localise_tables`` on in-memory tables: everything but reading files and CLI
start-up) with its ratio to the 1 s target.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from oms.intelligence.rca.cube import Measure
from oms.intelligence.rca.localise import localise_tables

KINDS = ("sku", "outlet", "channelxsku", "skuxoutlet", "two causes")
SINGLE = KINDS[:4]
HIGH, LOW = 2_000_000, 200_000
F1_TARGET, SECONDS_TARGET = 0.9, 1.0
DIMENSIONS = ("channel", "sku", "category", "outlet", "province", "carrier")
CHANNELS = ("taobao", "jd", "douyin", "pinduoduo", "wechat")
CHANNEL_SHARE = np.array([0.38, 0.24, 0.18, 0.12, 0.08])
CARRIERS = ("SF", "ZTO", "YTO", "STO", "YUNDA", "JDL")
N_SKUS, N_CATEGORIES, N_OUTLETS, N_PROVINCES = 2000, 40, 300, 30
BASELINE_DAYS = 7
MIN_CAUSE_SHARE = 0.0005


@dataclass(frozen=True)
class Shop:
    """Who sells what where: volume shares and refund rates of every leaf."""

    volume: np.ndarray  # (channel, sku, outlet) share of the day's orders
    rate: np.ndarray  # (channel, sku, outlet) refund rate
    category: np.ndarray  # sku -> category
    province: np.ndarray  # outlet -> province
    carrier: np.ndarray  # outlet -> carrier


def make_shop(rng: np.random.Generator) -> Shop:
    """Zipf SKUs (each channel its own mix around it), Zipf outlets, multiplicative rates."""
    sku_pop = 1 / np.arange(1, N_SKUS + 1) ** 1.0
    rng.shuffle(sku_pop)
    per_channel = sku_pop[None, :] * rng.lognormal(0, 0.5, (len(CHANNELS), N_SKUS))
    per_channel /= per_channel.sum(axis=1, keepdims=True)
    outlet_pop = 1 / np.arange(1, N_OUTLETS + 1) ** 0.8
    rng.shuffle(outlet_pop)
    outlet_pop /= outlet_pop.sum()
    volume = CHANNEL_SHARE[:, None, None] * per_channel[:, :, None] * outlet_pop[None, None, :]
    category = rng.integers(0, N_CATEGORIES, N_SKUS)
    category_rate = np.exp(rng.uniform(np.log(0.02), np.log(0.10), N_CATEGORIES))
    channel_factor = rng.uniform(0.8, 1.3, len(CHANNELS))
    sku_factor = rng.lognormal(0, 0.3, N_SKUS)
    outlet_factor = rng.lognormal(0, 0.2, N_OUTLETS)
    rate = (
        channel_factor[:, None, None]
        * (category_rate[category] * sku_factor)[None, :, None]
        * outlet_factor[None, None, :]
    )
    return Shop(
        volume=volume,
        rate=np.minimum(rate, 0.5),
        category=category,
        province=rng.integers(0, N_PROVINCES, N_OUTLETS),
        carrier=rng.integers(0, len(CARRIERS), N_OUTLETS),
    )


def plant(rng: np.random.Generator, shop: Shop, kind: str, taken: set[str]) -> list[dict[str, str]]:
    """The causes of one case as attribute dicts (the truth the answer is scored against)."""
    if kind == "two causes":
        first = plant(rng, shop, str(rng.choice(SINGLE)), taken)
        return first + plant(rng, shop, str(rng.choice(SINGLE)), taken)
    volume = {
        "sku": shop.volume.sum(axis=(0, 2)),
        "outlet": shop.volume.sum(axis=(0, 1)),
        "channelxsku": shop.volume.sum(axis=2),
        "skuxoutlet": shop.volume.sum(axis=0),
    }[kind]
    while True:
        flat = rng.choice(np.flatnonzero(volume.ravel() >= MIN_CAUSE_SHARE))
        cell = np.unravel_index(flat, volume.shape)
        names = {"sku": ["sku"], "outlet": ["outlet"], "channelxsku": ["channel", "sku"]}
        dims = names.get(kind, ["sku", "outlet"])
        attributes = {d: _label(d, int(i)) for d, i in zip(dims, cell, strict=True)}
        values = {v for d, v in attributes.items() if d != "channel"}
        if not values & taken:
            taken |= values
            return [attributes]


def _label(dim: str, index: int) -> str:
    return {"channel": CHANNELS[index % len(CHANNELS)], "sku": f"SKU-{index:04d}"}.get(
        dim, f"OUT-{index:03d}"
    )


def _select(causes: list[dict[str, str]]) -> list[tuple[slice | int, ...]]:
    out: list[tuple[slice | int, ...]] = []
    for cause in causes:
        index: list[slice | int] = [slice(None)] * 3
        if "channel" in cause:
            index[0] = CHANNELS.index(cause["channel"])
        if "sku" in cause:
            index[1] = int(cause["sku"][4:])
        if "outlet" in cause:
            index[2] = int(cause["outlet"][4:])
        out.append(tuple(index))
    return out


def draw(rng: np.random.Generator, shop: Shop, orders: float, rate: np.ndarray) -> pa.Table:
    """One row per leaf with orders: Poisson orders, binomial refunds."""
    counts = rng.poisson(shop.volume * orders)
    where = np.flatnonzero(counts)
    n = counts.ravel()[where]
    refunds = rng.binomial(n, rate.ravel()[where])
    channel, sku, outlet = np.unravel_index(where, counts.shape)
    return pa.table(
        {
            "channel": _dictionary(channel, list(CHANNELS)),
            "sku": _dictionary(sku, [f"SKU-{i:04d}" for i in range(N_SKUS)]),
            "category": _dictionary(shop.category[sku], [f"CAT-{i:02d}" for i in range(40)]),
            "outlet": _dictionary(outlet, [f"OUT-{i:03d}" for i in range(N_OUTLETS)]),
            "province": _dictionary(shop.province[outlet], [f"P{i:02d}" for i in range(30)]),
            "carrier": _dictionary(shop.carrier[outlet], list(CARRIERS)),
            "orders": pa.array(n, pa.int64()),
            "refunds": pa.array(refunds, pa.int64()),
        }
    )


def _dictionary(indices: np.ndarray, labels: list[str]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()), pa.array(labels))


def run_case(rng: np.random.Generator, kind: str, volume: int) -> tuple[int, int, int, float]:
    """True positives, false positives, false negatives and seconds of one case."""
    shop = make_shop(rng)
    truth = plant(rng, shop, kind, set())
    rate = shop.rate.copy()
    for index in _select(truth):
        rate[index] = np.minimum(rate[index] * rng.uniform(2.0, 4.0), 0.9)
    baseline = draw(rng, shop, volume * BASELINE_DAYS, shop.rate)
    facts = draw(rng, shop, volume, rate)
    started = time.perf_counter()
    found = localise_tables(facts, baseline, DIMENSIONS, Measure("refunds", "orders"))
    seconds = time.perf_counter() - started
    named = {frozenset(f.attributes.items()) for f in found}
    planted = {frozenset(c.items()) for c in truth}
    return len(named & planted), len(named - planted), len(planted - named), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10, help="cases per kind and volume")
    parser.add_argument("--seed", type=int, default=20260514)
    parser.add_argument("--volumes", default=f"{HIGH},{LOW}", help="orders/day, comma-separated")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    for volume in (int(v) for v in args.volumes.split(",")):
        print(f"== {volume:,} orders/day, {args.cases} cases per kind ==")
        seconds: list[float] = []
        for kind in KINDS:
            tp = fp = fn = 0
            for _ in range(args.cases):
                a, b, c, s = run_case(rng, kind, volume)
                tp, fp, fn, seconds = tp + a, fp + b, fn + c, [*seconds, s]
            f1 = 2 * tp / max(2 * tp + fp + fn, 1)
            target = f"  ratio to target {f1 / F1_TARGET:.2f}" if volume >= HIGH else ""
            print(f"{kind:12s} F1 {f1:.3f} (tp {tp}, fp {fp}, fn {fn}){target}")
        mean, worst = float(np.mean(seconds)), float(np.max(seconds))
        print(
            f"seconds per case: mean {mean:.3f}, max {worst:.3f}"
            f"  ratio to the {SECONDS_TARGET:.0f} s target {mean / SECONDS_TARGET:.2f}"
        )


if __name__ == "__main__":
    main()
