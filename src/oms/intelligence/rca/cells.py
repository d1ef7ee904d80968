"""Cells of the cube (one or more attributes fixed), their excess and its significance.

A cell's refunds are Poisson around its expected refunds when nothing is wrong; the one-sided
log-likelihood ratio ``a·ln(a/e) - (a - e)`` scores a rise (Kulldorff's scan statistic), and
``P(A ≥ a) ≤ exp(-llr)`` (Chernoff), so a cell among ``m`` tested is significant at ``alpha``
when ``llr ≥ ln(m / alpha)``: a Bonferroni bound that holds however sparse the cells are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from oms.intelligence.rca.cube import Cube, Floats, Ints

__all__ = [
    "ALPHA",
    "MIN_EXCESS",
    "Cells",
    "Mask",
    "cause_mask",
    "group",
    "group_sums",
    "llr",
    "significant",
    "threshold",
]

Mask = npt.NDArray[np.bool_]

ALPHA = 0.01
# A cause explains at least this many refunds beyond the expected ones.
MIN_EXCESS = 3.0
# Cuboids wider than this many cells are grouped by sorting instead of by counting.
_DENSE_CELLS = 4_000_000
# A mask with more than 1/_GATHER_SHARE of the leaves is applied by zeroing, not gathering.
_GATHER_SHARE = 4


@dataclass(frozen=True, slots=True)
class Cells:
    """The non-empty cells of one cuboid: each one's codes, actual and expected counts."""

    dims: tuple[str, ...]
    codes: Mapping[str, Ints]
    actual: Floats
    expected: Floats
    denominator: Floats

    def __len__(self) -> int:
        return len(self.actual)

    def attributes(self, cube: Cube, index: int) -> dict[str, str]:
        """The attributes of cell ``index``."""
        return {d: cube.labels[d][int(self.codes[d][index])] for d in self.dims}


def llr(actual: Floats | float, expected: Floats | float) -> Floats:
    """The one-sided Poisson log-likelihood ratio of a rise (0 where there is none)."""
    a = np.asarray(actual, dtype=np.float64)
    e = np.maximum(np.asarray(expected, dtype=np.float64), 1e-9)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(a > 0, a * np.log(np.maximum(a, 1e-300) / e), 0.0) - (a - e)
    return np.where(a > e, score, 0.0)


def threshold(tested: int, alpha: float = ALPHA) -> float:
    """The LLR a cell needs when ``tested`` cells were looked at."""
    return math.log(max(tested, 1) / alpha)


def significant(actual: float, expected: float, tested: int, *, alpha: float = ALPHA) -> bool:
    """Is the rise of this cell beyond chance and beyond a handful of refunds?"""
    if actual - expected < MIN_EXCESS:
        return False
    return float(llr(actual, expected)) >= threshold(tested, alpha)


def group(cube: Cube, dims: Sequence[str], mask: Mask | None = None) -> Cells:
    """Sum the leaves (those in ``mask``) by the values of ``dims``."""
    codes, totals = group_sums(cube, dims, [cube.actual, cube.expected, cube.denominator], mask)
    return Cells(tuple(dims), codes, totals[0], totals[1], totals[2])


def group_sums(
    cube: Cube, dims: Sequence[str], sums: Sequence[Floats], mask: Mask | None = None
) -> tuple[dict[str, Ints], list[Floats]]:
    """Sum per-leaf ``sums`` (of the leaves in ``mask``) by the values of ``dims``: the codes
    of the cells where some sum is not zero, and each sum per cell."""
    codes: list[Ints] = [cube.codes[d] for d in dims]
    values = list(sums)
    if mask is not None:
        if mask.sum() * _GATHER_SHARE > len(mask):
            # Most leaves are in: zeroing the others is cheaper than gathering these.
            values = [np.where(mask, v, 0.0) for v in values]
        else:
            codes, values = [c[mask] for c in codes], [v[mask] for v in values]
    key = codes[0]
    width = cube.cardinality(dims[0])
    for d, c in zip(dims[1:], codes[1:], strict=True):
        key = key * cube.cardinality(d) + c
        width *= cube.cardinality(d)
    if width <= _DENSE_CELLS:
        full = [
            np.bincount(key, weights=v, minlength=width).astype(np.float64, copy=False)
            for v in values
        ]
        present = np.flatnonzero(np.logical_or.reduce([t != 0 for t in full]))
        totals = [t[present] for t in full]
    else:
        present, inverse = np.unique(key, return_inverse=True)
        totals = [
            np.bincount(inverse, weights=v, minlength=len(present)).astype(np.float64, copy=False)
            for v in values
        ]
    cell_codes: dict[str, Ints] = {}
    rest = present
    for d in reversed(dims):
        rest, cell_codes[d] = np.divmod(rest, cube.cardinality(d))
    return cell_codes, totals


def cause_mask(cube: Cube, attributes: Mapping[str, str], within: Mask | None = None) -> Mask:
    """The leaves of the cell the attributes name (within ``within``)."""
    mask = np.ones(len(cube.actual), dtype=bool) if within is None else within.copy()
    for d, value in attributes.items():
        try:
            code = cube.labels[d].index(value)
        except ValueError:
            return np.zeros(len(cube.actual), dtype=bool)
        mask &= cube.codes[d] == code
    return mask
