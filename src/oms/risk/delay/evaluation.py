"""The model card's figures on an evaluated window: discrimination, calibration, precision.

The base-rate Brier score is the Brier score of always answering the window's own late rate,
so "better than the base rate" is judged against the window's mix, not the training years'.
The calibration error uses equal-mass bins (each holds the same number of parcels), which
keeps bins meaningful where predictions crowd near zero.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

__all__ = ["Evaluation", "evaluate", "expected_calibration_error", "precision_at_capacity"]

ECE_BINS = 15


@dataclass(frozen=True)
class Evaluation:
    """Figures on one window of parcels (the latest ones by promised time)."""

    rows: int
    late_rate: float
    auc: float
    pr_auc: float
    brier: float
    base_rate_brier: float
    brier_skill: float
    ece: float
    ece_bins: int
    capacity_share: float
    precision_at_capacity: float
    flagged_share_at_threshold: float
    precision_at_threshold: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        """The figures as JSON-ready numbers."""
        return asdict(self)


def evaluate(
    y: NDArray[np.int8], p: NDArray[np.float64], *, capacity_share: float, threshold: float
) -> Evaluation:
    """Every figure of the card for labels ``y`` and predicted probabilities ``p``."""
    rate = float(y.mean())
    brier = float(brier_score_loss(y, p))
    base = rate * (1 - rate)  # Brier of answering `rate` to every parcel
    flagged = p > threshold
    both = len(np.unique(y)) == 2
    return Evaluation(
        rows=len(y),
        late_rate=rate,
        auc=float(roc_auc_score(y, p)) if both else float("nan"),
        pr_auc=float(average_precision_score(y, p)) if both else float("nan"),
        brier=brier,
        base_rate_brier=base,
        brier_skill=1 - brier / base if base > 0 else float("nan"),
        ece=expected_calibration_error(y, p),
        ece_bins=ECE_BINS,
        capacity_share=capacity_share,
        precision_at_capacity=precision_at_capacity(y, p, share=capacity_share),
        flagged_share_at_threshold=float(flagged.mean()),
        precision_at_threshold=float(y[flagged].mean()) if flagged.any() else None,
    )


def expected_calibration_error(
    y: NDArray[np.int8], p: NDArray[np.float64], *, bins: int = ECE_BINS
) -> float:
    """Mass-weighted mean |mean predicted - observed rate| over equal-mass bins."""
    order = np.argsort(p, kind="stable")
    total = 0.0
    for chunk in np.array_split(order, min(bins, len(order))):
        total += len(chunk) * abs(float(p[chunk].mean()) - float(y[chunk].mean()))
    return total / len(order)


def precision_at_capacity(y: NDArray[np.int8], p: NDArray[np.float64], *, share: float) -> float:
    """Late share among the ``share`` of parcels with the highest risk (what a team can act on)."""
    k = max(1, round(share * len(p)))
    top = np.argsort(-p, kind="stable")[:k]
    return float(y[top].mean())
