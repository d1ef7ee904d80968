"""R-Adtributor (Persson & Rudis, 2018) on the ratio cube, made robust to sparse cells.

Adtributor (Bhagwan et al., NSDI 2014) explains a change of a measure dimension by dimension:
each value's *explanatory power* is its share of the change, its *surprise* the Jensen-Shannon
divergence between its expected and actual share; a dimension's explanation is the few most
surprising values that together explain most of the change, and the most surprising dimension
wins. For a ratio (refunds/orders) with the orders taken as they came, a value's explanatory
power reduces to its share of the excess refunds. The revised algorithm recurses into each
chosen value over the remaining dimensions, so a cause may be a combination (channel x SKU).

Robust here means: a value takes part only when its rise is significant (Poisson LLR with a
Bonferroni bound over every value looked at), and a recursion refines a value into its
children only when the rest of the value (the value minus the children) shows no rise of its
own; otherwise the value as a whole is the cause.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from oms.intelligence.rca.cells import (
    MIN_EXCESS,
    Cells,
    Mask,
    cause_mask,
    group,
    llr,
    significant,
    threshold,
)
from oms.intelligence.rca.cube import Cube, Floats

__all__ = ["r_adtributor"]

# A value explains at least this share of its parent's excess, the explanation of a dimension
# stops at this share or this many values, and recursion at this depth.
_T_EEP = 0.05
_T_EP = 0.67
_MAX_ELEMENTS = 3
_MAX_DEPTH = 3
# The rest of a refined value is "no rise of its own" below this single-test level.
_REST_ALPHA = 0.05


def r_adtributor(cube: Cube, within: Mask | None = None) -> list[dict[str, str]]:
    """The causes R-Adtributor names for the rise in the leaves ``within`` (all by default)."""
    mask = np.ones(len(cube.actual), dtype=bool) if within is None else within
    return _explain(cube, mask, cube.dims, depth=0)


def _explain(cube: Cube, mask: Mask, dims: Sequence[str], *, depth: int) -> list[dict[str, str]]:
    if not dims or not mask.any():
        return []
    actual, expected = float(cube.actual[mask].sum()), float(cube.expected[mask].sum())
    per_dim = {d: group(cube, (d,), mask) for d in dims}
    level = threshold(sum(len(c) for c in per_dim.values()))
    best: tuple[float, str, list[int]] | None = None
    for d, cells in per_dim.items():
        chosen, score = _explanation(cells, actual, expected, level)
        if chosen and (best is None or score > best[0]):
            best = (score, d, chosen)
    if best is None:
        return []
    _, dim, chosen = best
    causes: list[dict[str, str]] = []
    for index in chosen:
        attributes = per_dim[dim].attributes(cube, index)
        causes.extend(_refine(cube, mask, dims, attributes, depth=depth))
    return causes


def _explanation(
    cells: Cells, actual: float, expected: float, level: float
) -> tuple[list[int], float]:
    """The most surprising significant values explaining most of the excess, and their surprise.

    The excess is that of the values that rise significantly, not the net change of the whole:
    noise elsewhere (or a fall) may cancel a real rise in the total, and the rise is still
    there to explain.
    """
    excess = cells.actual - cells.expected
    rising = (llr(cells.actual, cells.expected) >= level) & (excess >= MIN_EXCESS)
    if not rising.any():
        return [], 0.0
    power = excess / float(excess[rising].sum())
    surprise = _surprise(cells.expected / max(expected, 1e-9), cells.actual / max(actual, 1e-9))
    candidates = np.flatnonzero(rising & (power >= _T_EEP))
    chosen: list[int] = []
    explained = 0.0
    for index in candidates[np.argsort(-surprise[candidates], kind="stable")]:
        chosen.append(int(index))
        explained += float(power[index])
        if explained >= _T_EP or len(chosen) == _MAX_ELEMENTS:
            break
    return chosen, float(surprise[chosen].sum()) if chosen else 0.0


def _refine(
    cube: Cube, mask: Mask, dims: Sequence[str], attributes: dict[str, str], *, depth: int
) -> list[dict[str, str]]:
    """The value itself, or its children when they carry the whole rise of the value."""
    inside = cause_mask(cube, attributes, mask)
    if depth + 1 >= _MAX_DEPTH:
        return [attributes]
    fixed = set(attributes)
    rest_dims = [
        d for d in dims if d not in fixed and not any((f, d) in cube.determines for f in fixed)
    ]
    children = _explain(cube, inside, rest_dims, depth=depth + 1)
    if not children:
        return [attributes]
    rest = inside.copy()
    for child in children:
        rest &= ~cause_mask(cube, child, inside)
    rest_actual, rest_expected = float(cube.actual[rest].sum()), float(cube.expected[rest].sum())
    if significant(rest_actual, rest_expected, 1, alpha=_REST_ALPHA):
        return [attributes]
    return [attributes | child for child in children]


def _surprise(p: Floats, q: Floats) -> Floats:
    """Jensen-Shannon divergence of each value's expected share ``p`` and actual share ``q``."""
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(p > 0, p * np.log(np.where(p > 0, p, 1) / m), 0.0)
        right = np.where(q > 0, q * np.log(np.where(q > 0, q, 1) / m), 0.0)
    return np.asarray(0.5 * (left + right), dtype=np.float64)
