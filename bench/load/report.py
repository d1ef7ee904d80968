"""The text report (per kind, per fault window, resources, verdicts) and the PNG plot."""

from __future__ import annotations

import csv
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from bench.load.faults import WINDOW_SECONDS, FaultLog
from bench.load.generator import OK, Sample
from bench.load.messages import KINDS
from bench.load.procs import ResourceSample
from bench.load.verify import Verdict

__all__ = ["plot", "samples_csv", "text_report"]

BUCKET_SECONDS = 10.0


def _ms(latencies: Sequence[float], q: int) -> float:
    if len(latencies) < 2:
        return latencies[0] * 1000 if latencies else 0.0
    return statistics.quantiles(latencies, n=100, method="inclusive")[q - 1] * 1000


def _errors(samples: Sequence[Sample]) -> str:
    counts = Counter(s.outcome for s in samples if s.outcome != OK)
    return ", ".join(f"{code} {n}" for code, n in counts.most_common()) or "-"


def _kind_table(samples: Sequence[Sample], seconds: float) -> list[str]:
    head = f"{'kind':<20}{'count':>8}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}  by code"
    lines = [head, "-" * len(head)]
    for kind in (*KINDS, "all"):
        mine = [s for s in samples if kind in ("all", s.kind)]
        if not mine:
            continue
        latencies = [s.latency for s in mine]
        failed = sum(s.outcome != OK for s in mine)
        lines.append(
            f"{kind:<20}{len(mine):>8}{len(mine) / seconds:>8.1f}{_ms(latencies, 50):>9.1f}"
            f"{_ms(latencies, 99):>9.1f}{failed / len(mine):>8.1%}  {_errors(mine)}"
        )
    return lines


def _fault_lines(samples: Sequence[Sample], faults: Sequence[FaultLog]) -> list[str]:
    lines = [f"faults (what clients saw in the {WINDOW_SECONDS:.0f} s after each)"]
    for fault in faults:
        window = [s for s in samples if fault.at <= s.started < fault.at + WINDOW_SECONDS]
        transport = sum(s.outcome.startswith("transport:") for s in window)
        lines.append(f"  t={fault.at:6.1f}s {fault.name}: {fault.note}")
        lines.append(
            f"      {len(window)} requests, {transport} transport errors; errors: {_errors(window)}"
        )
    return lines


def _resource_lines(resources: Sequence[ResourceSample]) -> list[str]:
    if not resources:
        return ["resources: no samples"]

    def stat(values: list[float]) -> str:
        return f"mean {statistics.fmean(values):.2f} max {max(values):.2f}"

    return [
        "resources (sampled each second from /proc)",
        f"  server CPU cores {stat([r.server_cpu for r in resources])}",
        f"  worker CPU cores {stat([r.worker_cpu for r in resources])}",
        f"  server RSS MB    {stat([r.server_rss_mb for r in resources])}",
        f"  worker RSS MB    {stat([r.worker_rss_mb for r in resources])}",
    ]


def text_report(
    header: Sequence[str],
    samples: Sequence[Sample],
    seconds: float,
    faults: Sequence[FaultLog],
    resources: Sequence[ResourceSample],
    verdicts: Sequence[Verdict],
) -> str:
    lines = [*header, "", *_kind_table(samples, seconds), ""]
    lines += [*_fault_lines(samples, faults), "", *_resource_lines(resources), "", "verdicts"]
    lines += [f"  {'PASS' if v.ok else 'FAIL'} {v.name}: {v.detail}" for v in verdicts]
    return "\n".join(lines) + "\n"


def samples_csv(path: Path, samples: Sequence[Sample]) -> None:
    """Every request (kind, start and latency in seconds, outcome, ref) for a later look."""
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(("kind", "started", "latency", "outcome", "ref"))
        for s in samples:
            writer.writerow((s.kind, f"{s.started:.3f}", f"{s.latency:.4f}", s.outcome, s.ref))


def _buckets(samples: Sequence[Sample]) -> dict[int, list[Sample]]:
    found: dict[int, list[Sample]] = defaultdict(list)
    for sample in samples:
        found[int(sample.started // BUCKET_SECONDS)].append(sample)
    return found


def plot(
    path: Path,
    samples: Sequence[Sample],
    faults: Sequence[FaultLog],
    resources: Sequence[ResourceSample],
) -> None:
    """Throughput and p99 per 10 s window, CPU and RSS per second; faults as vertical lines."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    buckets = _buckets(samples)
    starts = sorted(buckets)
    x = [b * BUCKET_SECONDS for b in starts]
    rate = [len(buckets[b]) / BUCKET_SECONDS for b in starts]
    p99 = [_ms([s.latency for s in buckets[b]], 99) for b in starts]
    figure, (top, middle, bottom) = plt.subplots(3, 1, sharex=True, figsize=(10, 9))
    middle_x = [start + BUCKET_SECONDS / 2 for start in x]
    top.bar(x, rate, width=BUCKET_SECONDS, align="edge", alpha=0.6, label="requests/s (all)")
    top.set_ylabel("req/s per 10 s")
    middle.plot(middle_x, p99, "o-", color="tab:red", label="p99 latency (all kinds)")
    middle.set_ylabel("p99 ms per 10 s")
    at = [r.at for r in resources]
    bottom.plot(at, [r.server_cpu for r in resources], label="server CPU (cores)")
    bottom.plot(at, [r.worker_cpu for r in resources], label="worker CPU (cores)")
    bottom.set_ylabel("CPU cores")
    rss = bottom.twinx()
    rss.plot(at, [r.server_rss_mb for r in resources], "--", label="server RSS MB")
    rss.plot(at, [r.worker_rss_mb for r in resources], ":", label="worker RSS MB")
    rss.set_ylabel("RSS MB")
    for axis in (top, middle, bottom):
        for fault in faults:
            axis.axvline(fault.at, color="grey", linewidth=0.8)
    for fault in faults:
        top.annotate(fault.name, (fault.at, 0), rotation=90, fontsize=7, va="bottom")
    bottom.set_xlabel("seconds since start")
    for axis in (top, middle, bottom):
        axis.legend(loc="upper right", fontsize=7)
    rss.legend(loc="upper left", fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
