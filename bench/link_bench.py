"""Key-pattern linking: precision, recall and time of one ``oms link learn`` call.

    .venv/bin/python -m bench.link_bench [--records 1000000] [--seed 20261202]

The records come from ``bench.link_data`` (platform key shapes, every key variant, decoys;
it imports nothing of the linker). The call is timed from reading the files to the renamed
LINKS.csv, learning included. Precision: links right / links made. Recall: records of a
linkable kind linked right / all of them. Seed records are left out of both (they were given).
Targets (issue 14): precision ≥ 99.5 %, recall ≥ 98 %, 1,000,000 records in < 60 s.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.link_data import LINKABLE, SEED, Dataset, generate
from oms.intelligence.linking.service import LearnPaths, learn_links

PRECISION_TARGET = 0.995
RECALL_TARGET = 0.98
SECONDS_TARGET = 60.0
FULL_SIZE = 1_000_000


def _write(folder: Path, data: Dataset) -> LearnPaths:
    paths = LearnPaths(
        pairs=folder / "pairs.csv",
        records=folder / "records.csv",
        oms_keys=folder / "keys.csv",
        out=folder / "links.csv",
    )
    with paths.oms_keys.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("oms_key", "external_id", "channel"))
        writer.writerows((o.oms_key, o.external_id, o.channel) for o in data.orders)
    with paths.records.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("source_key", "remarks"))
        writer.writerows((r.source_key, r.remarks) for r in data.records)
    with paths.pairs.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("source_key", "oms_key"))
        writer.writerows((r.source_key, r.truth) for r in data.pairs)
    return paths


def _score(data: Dataset, out: Path) -> None:
    with out.open(newline="") as handle:
        predicted = [row["oms_key"] for row in csv.DictReader(handle)]
    seeds = {r.source_key for r in data.pairs}
    outcome: Counter[tuple[str, str]] = Counter()
    for record, got in zip(data.records, predicted, strict=True):
        if record.source_key in seeds:
            continue
        verdict = "empty" if not got else ("right" if got == record.truth else "wrong")
        outcome[(record.kind, verdict)] += 1
    right = sum(n for (_, v), n in outcome.items() if v == "right")
    made = right + sum(n for (_, v), n in outcome.items() if v == "wrong")
    linkable = sum(n for (k, _), n in outcome.items() if k in LINKABLE)
    print(f"{'kind':<22}{'records':>9}{'right':>9}{'wrong':>7}{'empty':>8}")
    for kind in sorted({k for k, _ in outcome}):
        counts = [outcome[(kind, v)] for v in ("right", "wrong", "empty")]
        flag = "" if kind in LINKABLE else "  (decoy: must stay empty)"
        print(f"{kind:<22}{sum(counts):>9}{counts[0]:>9}{counts[1]:>7}{counts[2]:>8}{flag}")
    precision = right / made if made else 0.0
    recall = right / linkable if linkable else 0.0
    print(
        f"precision {precision:.4%} (target ≥ {PRECISION_TARGET:.1%}, "
        f"ratio {precision / PRECISION_TARGET:.4f})"
    )
    print(
        f"recall    {recall:.4%} (target ≥ {RECALL_TARGET:.0%}, ratio {recall / RECALL_TARGET:.4f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=FULL_SIZE)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    began = time.perf_counter()
    data = generate(args.records, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="link-bench-") as folder:
        paths = _write(Path(folder), data)
        print(
            f"generated {len(data.records):,} records, {len(data.orders):,} known orders, "
            f"{len(data.pairs)} seed pairs in {time.perf_counter() - began:.1f} s"
        )
        started, cpu = time.perf_counter(), time.process_time()
        summary = learn_links("bench", paths)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        for grammar in summary["learned"]:
            print(f"learned {grammar['grammar']}: {grammar['seeds_explained']} seeds")
        for item in summary["patterns"]:
            print(f"  {item['pattern']:<48}{item['records']:>9,} records {item['coverage']:.2%}")
        print(
            f"ambiguous {summary['ambiguous']:,}, unlinked {summary['unlinked']:,}, "
            f"merge candidates {summary['merge_candidates']:,}"
        )
        _score(data, paths.out)
    per_million = seconds * FULL_SIZE / len(data.records)
    print(
        f"time {seconds:.2f} s for {len(data.records):,} records; {per_million:.1f} s per "
        f"1,000,000 (target < {SECONDS_TARGET:.0f} s, ratio {per_million / SECONDS_TARGET:.3f}); "
        f"{cpu:.2f} s CPU"
    )


if __name__ == "__main__":
    main()
