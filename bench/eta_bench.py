"""ETA windows on a seeded LaDe-shaped data set: coverage and width against a fixed window.

``python -m bench.eta_bench [--seed N] [--parcels N] [--weeks N] [--train-weeks N]`` draws
parcels from ``bench.lade_data`` (its own seed), learns the estimator
(``oms.fulfilment.eta.estimator``) from the parcels shipped in the first weeks, and judges the
windows it gives the parcels of the remaining weeks: the share delivered inside their window
(target ≥ 90 %) and the mean width in hours. The baseline is one fixed window for every parcel:
the training set's global 5-95 % transit quantiles (hour-rounded), and the documented default
(12-72 h) beside it.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from datetime import timedelta

from bench.lade_data import LadeRow, generate
from oms.fulfilment.eta.estimator import DEFAULT_WINDOW, Sample, Window, learn


def _sample(row: LadeRow) -> Sample:
    hours = (row.delivered_at - row.ship_time).total_seconds() / 3600
    route = f"{row.from_province}>{row.city_province}"
    return Sample(row.carrier, route, row.ship_time.hour, hours, row.ship_time.timestamp())


def _judge(samples: list[Sample], window: Callable[[Sample], Window]) -> tuple[float, float]:
    hits, width = 0, 0.0
    for s in samples:
        w = window(s)
        hits += w.from_hours <= s.hours <= w.to_hours
        width += w.width
    return hits / len(samples), width / len(samples)


def _fixed(low: float, high: float) -> Callable[[Sample], Window]:
    fixed = Window(low, high, "fixed", 0)
    return lambda _s: fixed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--parcels", type=int, default=40_000)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--train-weeks", type=int, default=6)
    args = parser.parse_args(argv)
    rows = generate(seed=args.seed, parcels=args.parcels, days=args.weeks * 7)
    cut = rows[0].ship_time.replace(hour=0, minute=0) + timedelta(weeks=args.train_weeks)
    train = [_sample(r) for r in rows if r.ship_time < cut]
    test = [_sample(r) for r in rows if r.ship_time >= cut]
    model = learn(train)
    assert model is not None
    ordered = sorted(s.hours for s in train)
    low = math.floor(ordered[int(0.05 * (len(ordered) - 1))])
    high = math.ceil(ordered[int(0.95 * (len(ordered) - 1))])
    learned = _judge(test, lambda s: model.window(s.carrier, s.route, s.hour))
    baseline = _judge(test, _fixed(low, high))
    default = _judge(test, _fixed(*DEFAULT_WINDOW))
    print(
        f"seed {args.seed}: {len(train)} parcels learned (weeks 1-{args.train_weeks}), "
        f"{len(test)} judged (weeks {args.train_weeks + 1}-{args.weeks}); "
        f"conformal margin {model.margin_hours:+.2f} h, "
        f"calibration coverage {model.calibration_coverage:.1%}"
    )
    print("| window | coverage | mean width (h) |")
    print("| --- | --: | --: |")
    table = [
        ("learned (carrier, route, hour; conformal)", learned),
        (f"fixed global {low:.0f}-{high:.0f} h (baseline)", baseline),
        (f"default {DEFAULT_WINDOW[0]:.0f}-{DEFAULT_WINDOW[1]:.0f} h", default),
    ]
    for name, (coverage, width) in table:
        print(f"| {name} | {coverage:.1%} | {width:.1f} |")
    print(
        f"width ratio learned / baseline: {learned[1] / baseline[1]:.2f} "
        f"(coverage {learned[0]:.1%} vs {baseline[0]:.1%}; target ≥ 90 %)"
    )


if __name__ == "__main__":
    main()
