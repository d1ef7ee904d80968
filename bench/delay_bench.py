"""Delay risk on a seeded 12-month history: calibration, AUC vs the Bayes ceiling, training time.

    python -m bench.delay_bench --rows 1000000

Generates the history (bench/delay_data.py, which knows each parcel's true probability), runs
``oms risk delay train`` on it, then ``oms risk delay predict`` on the latest 20 % of parcels
(the window the model never trained on, with ``delivered_at`` removed) and scores the answers
here, independently of the model card: ECE over 15 equal-mass bins (target ≤ 0.03), the gap
between the generator's Bayes AUC on that window and the model's AUC (target ≤ 0.05), and the
wall time of ``train`` from reading the CSV to the written model directory (target < 120 s).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from bench.delay_data import bayes_auc, generate
from oms.risk.delay import service

ECE_TARGET = 0.03
AUC_GAP_TARGET = 0.05
TRAIN_SECONDS_TARGET = 120.0


def _ece(y: np.ndarray, p: np.ndarray, bins: int = 15) -> float:
    order = np.argsort(p, kind="stable")
    chunks = np.array_split(order, bins)
    return float(sum(len(c) * abs(p[c].mean() - y[c].mean()) for c in chunks) / len(p))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20260601)
    args = parser.parse_args()
    started = time.perf_counter()
    history = generate(args.rows, seed=args.seed)
    print(f"generated {args.rows} parcels in {time.perf_counter() - started:.1f} s")
    frame = history.frame
    late = (
        pd.to_datetime(frame["delivered_at"], utc=True)
        > pd.to_datetime(frame["promised_at"], utc=True)
    ).to_numpy()
    with tempfile.TemporaryDirectory(prefix="delay-bench-") as tmp:
        root = Path(tmp)
        frame.to_csv(root / "history.csv", index=False)
        started = time.perf_counter()
        card = service.train(root / "history.csv", root / "model")
        train_seconds = time.perf_counter() - started
        window = np.arange(len(frame)) >= round(
            0.8 * len(frame)
        )  # generator rows are in time order
        frame[window].drop(columns=["delivered_at"]).to_csv(root / "x.csv", index=False)
        service.predict(root / "model", root / "x.csv", root / "p.csv")
        answers = pd.read_csv(root / "p.csv", dtype={"parcel_id": str})
    p = answers["p_late"].to_numpy()
    assert (answers["parcel_id"].to_numpy() == frame.loc[window, "parcel_id"].to_numpy()).all()
    y = late[window].astype(int)
    ece = _ece(y, p)
    auc = float(roc_auc_score(y, p))
    bayes = bayes_auc(history.p_true[window])
    gap = bayes - auc
    print(f"evaluation window: {window.sum()} parcels, late rate {y.mean():.4f}")
    print(
        f"ECE (15 equal-mass bins) {ece:.4f}  target <= {ECE_TARGET}  ratio {ece / ECE_TARGET:.2f}"
    )
    print(
        f"AUC {auc:.4f} vs Bayes AUC {bayes:.4f}: gap {gap:.4f}   target <= {AUC_GAP_TARGET}"
        f"  ratio {gap / AUC_GAP_TARGET:.2f}"
    )
    print(
        f"train {args.rows} rows: {train_seconds:.1f} s   target < {TRAIN_SECONDS_TARGET:.0f} s"
        f"  ratio {train_seconds / TRAIN_SECONDS_TARGET:.2f}"
    )
    print("model card evaluation:", json.dumps(card["evaluation"]))


if __name__ == "__main__":
    main()
