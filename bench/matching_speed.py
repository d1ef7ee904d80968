"""Speed of the matching engine in memory: 100,000 statement lines against 1,000,000 open
expected movements (target: under 30 s on this machine).

    .venv/bin/python -m bench.matching_speed [--lines 100000] [--movements 1000000]

Generating the data is timed and printed but not counted; building the reference index and
matching are counted, as wall-clock and as this process's CPU time.
"""

from __future__ import annotations

import argparse
import time

from bench.statement_data import generate
from oms.finance.matching import MatchSettings, MovementIndex, match_lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--movements", type=int, default=1_000_000)
    args = parser.parse_args()
    started = time.perf_counter()
    movements, labelled = generate(args.seed, movement_count=args.movements, line_count=args.lines)
    lines = [item.line for item in labelled]
    generated = time.perf_counter() - started
    print(f"generated {len(lines)} lines and {len(movements)} movements in {generated:.1f} s")
    started, cpu = time.perf_counter(), time.process_time()
    index = MovementIndex(movements)
    indexed = time.perf_counter() - started
    started = time.perf_counter()
    proposals = match_lines(lines, index, MatchSettings())
    matched = time.perf_counter() - started
    cpu = time.process_time() - cpu
    auto = sum(1 for p in proposals if p.is_auto)
    print(f"index built in {indexed:.2f} s, matched in {matched:.2f} s")
    # On a shared machine the wall clock counts other people's work; CPU time does not.
    print(f"engine total {indexed + matched:.2f} s wall, {cpu:.2f} s CPU (target < 30 s)")
    print(f"{auto} auto-confirmed, {len(proposals) - auto} for review")
    print(f"{len(lines) / matched:,.0f} lines/s")


if __name__ == "__main__":
    main()
