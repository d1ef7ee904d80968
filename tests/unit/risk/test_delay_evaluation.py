"""The model card's figures, on hand-checkable numbers."""

from __future__ import annotations

import numpy as np
import pytest

from oms.risk.delay.evaluation import evaluate, expected_calibration_error, precision_at_capacity


def test_ece_uses_equal_mass_bins() -> None:
    # Two bins of two parcels: predicted 0.1 vs observed 0.5, predicted 0.9 vs observed 0.5.
    y = np.array([0, 1, 1, 0], dtype=np.int8)
    p = np.array([0.1, 0.1, 0.9, 0.9])
    assert expected_calibration_error(y, p, bins=2) == pytest.approx(0.4)
    assert expected_calibration_error(y, np.full(4, 0.5), bins=2) == pytest.approx(0.0)


def test_precision_at_capacity_reads_the_riskiest_share() -> None:
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0], dtype=np.int8)
    p = np.linspace(0.9, 0.0, 10)
    assert precision_at_capacity(y, p, share=0.2) == 0.5
    assert precision_at_capacity(y, p, share=0.1) == 1.0


def test_the_base_rate_brier_is_the_windows_own_rate() -> None:
    y = np.array([1, 0, 0, 0], dtype=np.int8)
    p = np.array([0.8, 0.3, 0.1, 0.1])
    figures = evaluate(y, p, capacity_share=0.25, threshold=0.5)
    assert figures.base_rate_brier == pytest.approx(0.25 * 0.75)
    assert figures.brier == pytest.approx((0.04 + 0.09 + 0.01 + 0.01) / 4)
    assert figures.auc == 1.0
    assert figures.flagged_share_at_threshold == 0.25
    assert figures.precision_at_threshold == 1.0
