"""The one entry point: localise a rate's rise, combining R-Adtributor and RiskLoc.

Both methods propose causes. R-Adtributor runs in passes (each pass on the leaves the causes
so far leave unexplained), RiskLoc takes causes out one by one. The combiner then

1. writes every proposal without its implied attributes (``{"sku", "category"}`` is ``sku``),
2. settles nested proposals (a SKU and that SKU at one outlet): the narrower one stands only
   when the rest of the wider one shows no rise of its own,
3. accepts proposals by strength, each only if it is still significant on the leaves the
   accepted ones leave, and gives each its share of the excess refunds and its evidence.

The hourly alert and ``oms analytics rca`` both call :func:`localise`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
from scipy.stats import poisson

from oms.intelligence.rca.adtributor import r_adtributor
from oms.intelligence.rca.cells import Mask, cause_mask, llr, significant
from oms.intelligence.rca.cube import Cube, Measure, build_cube
from oms.intelligence.rca.riskloc import riskloc

__all__ = ["Finding", "localise", "localise_tables"]

_PASSES = 5
# The rest of a wider proposal "rises of its own" at this single-test level.
_REST_ALPHA = 0.05


@dataclass(frozen=True, slots=True)
class Finding:
    """One cause: its attributes, its share of the excess, the evidence."""

    attributes: dict[str, str]
    share: float
    evidence: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The cause as the CLI and the alert print it."""
        return {"attributes": self.attributes, "share": self.share, "evidence": self.evidence}


@dataclass(slots=True)
class _Proposal:
    attributes: dict[str, str]
    mask: Mask
    methods: set[str]


def localise_tables(
    facts: pa.Table, baseline: pa.Table, dims: Sequence[str], measure: Measure
) -> list[Finding]:
    """Build the cube from the two tables and localise. Raises: ERR_RCA_INPUT_INVALID."""
    return localise(build_cube(facts, baseline, dims, measure), measure)


def localise(cube: Cube, measure: Measure) -> list[Finding]:
    """The causes of the rise of ``measure`` in the cube, largest share first."""
    tested = len(cube.actual) + sum(cube.cardinality(d) for d in cube.dims)
    proposals: dict[frozenset[tuple[str, str]], _Proposal] = {}
    for attributes in _adtributor_passes(cube, tested):
        _propose(cube, proposals, attributes, "r-adtributor")
    for attributes in riskloc(cube, tested=tested):
        _propose(cube, proposals, attributes, "riskloc")
    accepted = _accept(cube, _settle(cube, list(proposals.values())), tested)
    return _findings(cube, measure, accepted)


def _adtributor_passes(cube: Cube, tested: int) -> list[dict[str, str]]:
    active = np.ones(len(cube.actual), dtype=bool)
    found: list[dict[str, str]] = []
    for _ in range(_PASSES):
        fresh = []
        for attributes in r_adtributor(cube, active):
            inside = cause_mask(cube, attributes, active)
            actual, expected = float(cube.actual[inside].sum()), float(cube.expected[inside].sum())
            if significant(actual, expected, tested):
                fresh.append(attributes)
                active &= ~inside
        if not fresh:
            break
        found.extend(fresh)
    return found


def _propose(
    cube: Cube,
    proposals: dict[frozenset[tuple[str, str]], _Proposal],
    attributes: dict[str, str],
    method: str,
) -> None:
    implied = cube.implied(list(attributes))
    kept = {d: v for d, v in attributes.items() if d not in implied}
    key = frozenset(kept.items())
    if key in proposals:
        proposals[key].methods.add(method)
    else:
        proposals[key] = _Proposal(kept, cause_mask(cube, kept), {method})


def _settle(cube: Cube, proposals: list[_Proposal]) -> list[_Proposal]:
    """Of two nested proposals keep the narrower only when the wider's rest does not rise."""
    dropped: set[int] = set()
    for i, wide in enumerate(proposals):
        for j, narrow in enumerate(proposals):
            if i == j or i in dropped or j in dropped or (narrow.mask & ~wide.mask).any():
                continue
            rest = wide.mask & ~narrow.mask
            actual, expected = float(cube.actual[rest].sum()), float(cube.expected[rest].sum())
            if significant(actual, expected, 1, alpha=_REST_ALPHA):
                dropped.add(j)
                wide.methods |= narrow.methods
            else:
                dropped.add(i)
                narrow.methods |= wide.methods
    return [p for k, p in enumerate(proposals) if k not in dropped]


def _accept(cube: Cube, proposals: list[_Proposal], tested: int) -> list[tuple[_Proposal, Mask]]:
    """Strongest first; each must still rise on the leaves the earlier ones leave."""
    strength = [
        float(llr(cube.actual[p.mask].sum(), cube.expected[p.mask].sum())) for p in proposals
    ]
    active = np.ones(len(cube.actual), dtype=bool)
    accepted: list[tuple[_Proposal, Mask]] = []
    for index in np.argsort(strength, kind="stable")[::-1]:
        proposal = proposals[int(index)]
        own = proposal.mask & active
        if significant(float(cube.actual[own].sum()), float(cube.expected[own].sum()), tested):
            accepted.append((proposal, own))
            active &= ~own
    return accepted


def _findings(
    cube: Cube, measure: Measure, accepted: list[tuple[_Proposal, Mask]]
) -> list[Finding]:
    total_excess = float(cube.actual.sum() - cube.expected.sum())
    own_excess = [float(cube.actual[own].sum() - cube.expected[own].sum()) for _, own in accepted]
    scale = max(total_excess, sum(own_excess), 1e-9)
    findings = [
        Finding(
            attributes=dict(sorted(proposal.attributes.items())),
            share=round(excess / scale, 4),
            evidence=_evidence(cube, measure, proposal),
        )
        for (proposal, _), excess in zip(accepted, own_excess, strict=True)
    ]
    return sorted(findings, key=lambda f: -f.share)


def _evidence(cube: Cube, measure: Measure, proposal: _Proposal) -> dict[str, Any]:
    mask = proposal.mask
    actual, expected = float(cube.actual[mask].sum()), float(cube.expected[mask].sum())
    denominator = float(cube.denominator[mask].sum())
    num, den = measure.numerator, measure.denominator
    return {
        den: _number(denominator),
        num: _number(actual),
        f"expected_{num}": round(expected, 2),
        f"excess_{num}": round(actual - expected, 2),
        "rate": round(actual / denominator, 6) if denominator else None,
        "baseline_rate": round(expected / denominator, 6) if denominator else None,
        "rate_ratio": round(actual / expected, 3) if expected > 0 else None,
        "p_value": float(poisson.sf(math.ceil(actual) - 1, max(expected, 1e-9))),
        "methods": sorted(proposal.methods),
    }


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 2)
