"""False alarms of stall detection on a seeded month: learned thresholds vs a plain 4 h rule.

    .venv/bin/python -m bench.stall_bench [--seed 20260101] [--parcels-per-day 400]

The month is drawn from how parcels move in the outside world, not from the detector's
keys: a leg that leaves between 22:00 and 06:00 is a night trunk of 6 to 10 h, a day leg
takes 1 to 3 h, and a few parcels (3 %) really stall once for 12 to 48 h. Carriers differ a
little in pace. The first 14 days are the tenant's history (what the learned thresholds are
learned from, oms.fulfilment.tracking.thresholds); days 15 to 30 are judged, gap by gap: a
rule fires on a gap longer than its threshold. A firing on a normal gap is a false alarm; a
firing on a real stall is a detection, and its delay is the threshold it waited.
"""

from __future__ import annotations

import argparse
import random
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from oms.fulfilment.tracking.thresholds import DEFAULT, Gap, learn

# The outside world's shape (hours), written apart from the detector.
NIGHT_HOURS = (22, 6)
NIGHT_LEG = (6.0, 10.0)
DAY_LEG = (1.0, 3.0)
STALL = (12.0, 48.0)
STALL_SHARE = 0.03
CARRIERS = {"shunfeng": 0.85, "zhongtong": 1.0, "yunda": 1.1}  # pace multipliers
DAYS, TRAIN_DAYS = 30, 14


@dataclass(frozen=True, slots=True)
class Leg:
    carrier: str
    status: str  # the status of the scan the leg starts from
    start: datetime  # local (China) time
    hours: float
    day: int
    is_stall: bool


def _is_night(when: datetime) -> bool:
    return when.hour >= NIGHT_HOURS[0] or when.hour < NIGHT_HOURS[1]


def _parcel(rng: random.Random, day: int, base: datetime) -> list[Leg]:
    carrier = rng.choice(list(CARRIERS))
    pace = CARRIERS[carrier]
    at = base + timedelta(days=day, hours=rng.uniform(8, 20))
    hops = rng.randint(3, 6)
    statuses = ["in_transit"] + ["at_hub" if i % 2 else "in_transit" for i in range(hops)]
    statuses += ["out_for_delivery"]
    stall_at = rng.randrange(len(statuses)) if rng.random() < STALL_SHARE else -1
    legs = []
    for index, status in enumerate(statuses):
        if index == stall_at:
            hours = rng.uniform(*STALL)
        elif _is_night(at):
            hours = rng.uniform(*NIGHT_LEG) * pace
        else:
            hours = rng.uniform(*DAY_LEG) * pace
        legs.append(Leg(carrier, status, at, hours, day, index == stall_at))
        at += timedelta(hours=hours)
    return legs


def generate(seed: int, per_day: int) -> list[Leg]:
    rng = random.Random(seed)
    base = datetime(2026, 1, 1)
    return [leg for day in range(DAYS) for _ in range(per_day) for leg in _parcel(rng, day, base)]


def _report(name: str, fired: list[tuple[Leg, float]], normal: int, stalls: int) -> None:
    false = [leg for leg, _ in fired if not leg.is_stall]
    caught = [(leg, limit) for leg, limit in fired if leg.is_stall]
    delay = statistics.median(limit for _, limit in caught) if caught else float("nan")
    per_gap = 100 * len(false) / normal
    per_alarm = 100 * len(false) / max(1, len(fired))
    print(
        f"{name:<10} false alarms {len(false):>6} of {normal} normal gaps ({per_gap:5.1f} %), "
        f"{per_alarm:5.1f} % of its alarms; "
        f"stalls caught {len(caught)}/{stalls}, median wait {delay:.1f} h"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--parcels-per-day", type=int, default=400)
    args = parser.parse_args()
    legs = generate(args.seed, args.parcels_per_day)
    history = [leg for leg in legs if leg.day < TRAIN_DAYS]
    judged = [leg for leg in legs if leg.day >= TRAIN_DAYS]
    thresholds = learn(Gap(g.carrier, g.status, g.start.hour, g.hours * 3600) for g in history)
    plain = [
        (leg, DEFAULT.total_seconds() / 3600)
        for leg in judged
        if leg.hours * 3600 > DEFAULT.total_seconds()
    ]
    learned = []
    for leg in judged:
        limit = thresholds.for_scan(leg.carrier, leg.status, leg.start.hour).limit.total_seconds()
        if leg.hours * 3600 > limit:
            learned.append((leg, limit / 3600))
    normal = sum(not leg.is_stall for leg in judged)
    stalls = len(judged) - normal
    print(
        f"seed {args.seed}: {len(legs)} gaps, {len(judged)} judged (days {TRAIN_DAYS + 1}-{DAYS})"
    )
    _report("plain 4 h", plain, normal, stalls)
    _report("learned", learned, normal, stalls)


if __name__ == "__main__":
    main()
