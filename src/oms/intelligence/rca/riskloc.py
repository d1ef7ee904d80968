"""RiskLoc (Kalander, 2022) on excess refunds, for several simultaneous causes.

RiskLoc scores every leaf by its deviation from the forecast, splits the leaves into normal
and abnormal with a cutoff taken from the other side of the distribution (the largest fall
bounds what noise does, since noise is symmetric), weighs them, and gives each element (a
cell of one or two attributes) a risk score: how purely abnormal its leaves are plus how much
of the abnormal excess it covers. The riskiest significant element is a cause; its leaves are
taken out and the search runs again, so independent causes are found one after the other.

Here a leaf's deviation is its excess refunds in standard deviations, ``(a − e)/√e``, which
only means something for leaves with enough expected refunds: sparser leaves take no part in
the split or the scores (a diffuse cause over sparse leaves is R-Adtributor's to find), but
every leaf counts when a chosen element's rise is tested.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from oms.intelligence.rca.cells import Mask, cause_mask, group_sums, significant
from oms.intelligence.rca.cube import Cube, Floats

__all__ = ["riskloc"]

# A leaf takes part with at least this many expected refunds; the cutoff is at least this many
# standard deviations; an element needs this purity; at most this many causes.
MIN_EXPECTED = 5.0
_MIN_CUTOFF = 3.0
_MIN_PURITY = 0.5
_MAX_CAUSES = 5


def riskloc(cube: Cube, *, tested: int) -> list[dict[str, str]]:
    """The causes RiskLoc names, one after the other; ``tested`` sets the Bonferroni bound."""
    active = np.ones(len(cube.actual), dtype=bool)
    dense = cube.expected >= MIN_EXPECTED
    deviation = np.zeros(len(cube.actual))
    deviation[dense] = (cube.actual[dense] - cube.expected[dense]) / np.sqrt(cube.expected[dense])
    causes: list[dict[str, str]] = []
    while len(causes) < _MAX_CAUSES:
        found = _riskiest(cube, active & dense, deviation, tested=tested, active=active)
        if found is None:
            break
        causes.append(found)
        active &= ~cause_mask(cube, found)
    return causes


def _riskiest(
    cube: Cube, scored: Mask, deviation: Floats, *, tested: int, active: Mask
) -> dict[str, str] | None:
    if not scored.any():
        return None
    cutoff = max(-float(deviation[scored].min()), _MIN_CUTOFF)
    abnormal = scored & (deviation > cutoff)
    if not abnormal.any():
        return None
    excess = np.where(abnormal, cube.actual - cube.expected, 0.0)
    total_excess = float(excess.sum())
    weight = np.where(abnormal, deviation, -np.abs(deviation))
    best: tuple[float, dict[str, str]] | None = None
    for dims in _elements(cube):
        risk, attributes = _best_element(cube, dims, scored, weight, excess, total_excess)
        if attributes is None or (best is not None and risk <= best[0]):
            continue
        inside = cause_mask(cube, attributes, active)
        if significant(float(cube.actual[inside].sum()), float(cube.expected[inside].sum()), tested):
            best = (risk, attributes)
    return None if best is None else best[1]


def _elements(cube: Cube) -> list[tuple[str, ...]]:
    """The cuboids searched: every dimension, then every pair not tied by a dependency."""
    pairs = [
        (a, b)
        for a, b in combinations(cube.dims, 2)
        if (a, b) not in cube.determines and (b, a) not in cube.determines
    ]
    return [(d,) for d in cube.dims] + pairs


def _best_element(
    cube: Cube,
    dims: tuple[str, ...],
    scored: Mask,
    weight: Floats,
    excess: Floats,
    total_excess: float,
) -> tuple[float, dict[str, str] | None]:
    """The riskiest cell of one cuboid among the scored leaves: purity plus coverage."""
    sums = [np.maximum(weight, 0.0), np.maximum(-weight, 0.0), excess]
    codes, (abnormal_weight, normal_weight, covered) = group_sums(cube, dims, sums, scored)
    purity = abnormal_weight / np.maximum(abnormal_weight + normal_weight, 1e-9)
    risk = np.where(
        (abnormal_weight > 0) & (purity >= _MIN_PURITY),
        purity + covered / max(total_excess, 1e-9),
        -1.0,
    )
    index = int(np.argmax(risk))
    if risk[index] < 0:
        return -1.0, None
    return float(risk[index]), {d: cube.labels[d][int(codes[d][index])] for d in dims}
