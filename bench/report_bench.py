"""How long the monthly fulfilment report's figures take on a seeded month, and its PDF.

    .venv/bin/python -m bench.report_bench [--seed 20260101] [--parcels 100000]

A month of parcels (paid, shipped 0.5 to 6 h later, four to eight scans at one of 40 sites,
3 % stalled, 1 % in exception) goes through ``month_figures``, the pure function the report
runs after its reads; the PDF (five matplotlib charts, four pages) is rendered once. The
baseline is the budget an interactive page can afford: 1 s for the figures of 100,000 parcels.
Reads from the database are not in this figure.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from oms.fulfilment.report.figures import Incident, ParcelRow, ScanRow, Targets, month_figures
from oms.fulfilment.report.pdf import report_pdf
from oms.fulfilment.report.service import FulfilmentReport, improvements, trend

BUDGET_SECONDS = 1.0
START = datetime(2025, 12, 31, 16, 0, tzinfo=UTC)
CARRIERS = ("shunfeng", "zhongtong", "yuantong", "yunda", "jd", "ems")
SITES = tuple(f"站点{n:02d}" for n in range(40))


def _month(
    rng: random.Random, count: int
) -> tuple[list[ParcelRow], list[Incident], list[Incident]]:
    parcels, stalls, exceptions = [], [], []
    for n in range(count):
        paid = START + timedelta(minutes=rng.randrange(31 * 24 * 60))
        shipped = paid + timedelta(hours=rng.uniform(0.5, 6))
        at, scans = shipped, []
        for _ in range(rng.randint(4, 8)):
            at += timedelta(hours=rng.uniform(1, 10))
            scans.append(ScanRow(at, "in_transit", rng.choice(SITES)))
        scans.append(ScanRow(at + timedelta(hours=2), "delivered", rng.choice(SITES)))
        parcels.append(ParcelRow(f"s{n}", f"o{n}", rng.choice(CARRIERS), shipped, paid, scans))
        if rng.random() < 0.03:
            stalls.append(Incident(f"s{n}", "stalled", scans[1].at))
        if rng.random() < 0.01:
            exceptions.append(Incident(f"s{n}", rng.choice(("damaged", "lost", "refused"))))
    return parcels, stalls, exceptions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--parcels", type=int, default=100_000)
    args = parser.parse_args()
    parcels, stalls, exceptions = _month(random.Random(args.seed), args.parcels)
    now = START + timedelta(days=33)
    began = time.perf_counter()
    figures = month_figures(
        "2026-01",
        parcels,
        stalls=stalls,
        exceptions=exceptions,
        promise=timedelta(hours=72),
        now=now,
    )
    seconds = time.perf_counter() - began
    report = FulfilmentReport(
        "bench",
        "2026-01",
        "Asia/Shanghai",
        START,
        START + timedelta(days=31),
        now,
        72,
        Targets(),
        figures,
        figures,
        trend(figures, figures),
        improvements(figures, Targets(), now=now.astimezone(ZoneInfo("Asia/Shanghai"))),
    )
    began = time.perf_counter()
    pdf = report_pdf(report)
    pdf_seconds = time.perf_counter() - began
    scale = 100_000 / args.parcels
    print(
        f"figures of {args.parcels} parcels: {seconds:.2f} s "
        f"({seconds * scale / BUDGET_SECONDS:.2f}x the {BUDGET_SECONDS:g} s budget per 100,000)"
    )
    print(f"PDF (4 pages, 5 charts): {pdf_seconds:.2f} s, {len(pdf) // 1024} KiB")


if __name__ == "__main__":
    main()
