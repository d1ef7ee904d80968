"""RiskLoc (Kalander, 2022) on excess refunds, for several simultaneous causes.

RiskLoc scores every leaf by its deviation from the forecast, splits the leaves into normal
and abnormal with a cutoff taken from the other side of the distribution (the largest fall
bounds what noise does, since noise is symmetric), weighs them, and gives each element (a
cell of one or two attributes) a risk score: how purely abnormal its leaves are plus how much
of the abnormal excess it covers. The riskiest significant element is a cause; its leaves are
taken out and the search runs again, so independent causes are found one after the other.

Here a leaf's deviation is its excess refunds in standard deviations, ``(a - e)/√e``, which
only means something for leaves with enough expected refunds: sparser leaves take no part in
the split or the scores (a diffuse cause over sparse leaves is R-Adtributor's to find), but
every leaf counts when a chosen element's rise is tested.
"""

from __future__ import annotations

from dataclasses import replace
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
    causes: list[dict[str, str]] = []
    while len(causes) < _MAX_CAUSES:
        found = _first_significant(cube, active, tested)
        if found is None:
            break
        causes.append(found)
        active &= ~cause_mask(cube, found)
    return causes


def _first_significant(cube: Cube, active: Mask, tested: int) -> dict[str, str] | None:
    """The riskiest element of any leaf set whose rise is significant over every leaf."""
    ranked = [found for leaves in _leaf_sets(cube, active) for found in _ranked(leaves)]
    for _, attributes in sorted(ranked, key=lambda found: -found[0]):
        inside = cause_mask(cube, attributes, active)
        actual, expected = float(cube.actual[inside].sum()), float(cube.expected[inside].sum())
        if significant(actual, expected, tested):
            return attributes
    return None


def _leaf_sets(cube: Cube, active: Mask) -> list[Cube]:
    """The leaves, and the cells of every pair of independent dimensions taken as leaves.

    A leaf of the full cube is often too sparse to have a deviation of its own; the cells of
    a pair (SKU x outlet over every channel) pool it with its siblings, so a cause confined to
    a pair is scored on leaves with enough expected refunds.
    """
    # Only leaves with enough expected refunds are scored, so only they are kept.
    kept = active & (cube.expected >= MIN_EXPECTED)
    sets = [
        replace(
            cube,
            codes={d: c[kept] for d, c in cube.codes.items()},
            actual=cube.actual[kept],
            expected=cube.expected[kept],
            denominator=cube.denominator[kept],
        )
    ]
    for pair in combinations(cube.independent(), 2):
        sums = [cube.actual, cube.expected, cube.denominator]
        codes, (actual, expected, denominator) = group_sums(cube, pair, sums, active)
        sets.append(
            replace(
                cube,
                dims=pair,
                codes=codes,
                actual=actual,
                expected=expected,
                denominator=denominator,
                determines=frozenset(),
            )
        )
    return sets


def _ranked(leaves: Cube) -> list[tuple[float, dict[str, str]]]:
    """The riskiest element of each cuboid of these leaves, with its risk (none when no leaf
    is abnormal)."""
    scored = leaves.expected >= MIN_EXPECTED
    if not scored.any():
        return []
    deviation = np.zeros(len(leaves.actual))
    deviation[scored] = (leaves.actual[scored] - leaves.expected[scored]) / np.sqrt(
        leaves.expected[scored]
    )
    cutoff = max(-float(deviation[scored].min()), _MIN_CUTOFF)
    abnormal = scored & (deviation > cutoff)
    if not abnormal.any():
        return []
    excess = np.where(abnormal, leaves.actual - leaves.expected, 0.0)
    total_excess = float(excess.sum())
    weight = np.where(abnormal, deviation, -np.abs(deviation))
    ranked: list[tuple[float, dict[str, str]]] = []
    for dims in _elements(leaves):
        risk, attributes = _best_element(leaves, dims, scored, weight, excess, total_excess)
        if attributes is not None:
            ranked.append((risk, attributes))
    return ranked


def _elements(cube: Cube) -> list[tuple[str, ...]]:
    """The cuboids searched: every dimension, then every pair not tied by a dependency."""
    singles: list[tuple[str, ...]] = [(d,) for d in cube.dims]
    pairs: list[tuple[str, ...]] = [
        (a, b)
        for a, b in combinations(cube.dims, 2)
        if (a, b) not in cube.determines and (b, a) not in cube.determines
    ]
    return singles + pairs


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
