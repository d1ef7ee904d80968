"""The ETA estimator: transit-time windows learned from a tenant's own deliveries. Pure Python.

A sample is one delivered parcel: its carrier, its route (origin province → destination
province), the hour of day it shipped (tenant's zone) and the hours from shipping to the
delivered scan. The estimator is conformalised quantile regression over grouped empirical
quantiles:

1. **Groups with backoff.** Each key keeps a quantile grid (every 2.5 %) of its transit hours:
   (carrier, route, hour), (carrier, route, 4-hour band), (carrier, route), (carrier), all.
   A prediction uses the finest key with at least ``MIN_SAMPLES`` samples.
2. **Split-conformal calibration.** The newest ``CALIBRATION_SHARE`` of the samples is held
   out; the grids are learned on the rest; the conformity score of a held-out parcel is how far
   it falls outside its ``[LOW, HIGH]`` quantile window (negative inside). The
   ``COVERAGE``-quantile of the scores (finite-sample corrected) widens (or narrows) every window
   by that many hours, so the window covers ``COVERAGE`` of new parcels from the same history.
   The grids are then relearned on every sample; the margin is kept.
3. **Hour-level windows.** ``from`` is floored and ``to`` ceiled to the hour.
4. **Not delivered yet.** When a parcel has been on the way longer than the window's start, the
   window is the conditional one: the quantiles of the key's transit times longer than the time
   elapsed (from the grid), so a late parcel gets a fresh window rather than one in the past.

Fewer than ``MIN_HISTORY`` samples in all: no model, the ``DEFAULT_WINDOW`` applies (12 to 72 h
after shipping, the planner's promise with room), basis ``default``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CALIBRATION_SHARE",
    "COVERAGE",
    "DEFAULT_WINDOW",
    "HIGH",
    "LOW",
    "MIN_HISTORY",
    "MIN_SAMPLES",
    "EtaModel",
    "Sample",
    "Window",
    "default_window",
    "learn",
]

COVERAGE = 0.90
LOW, HIGH = 0.05, 0.95
MIN_SAMPLES = 30
MIN_HISTORY = 100
CALIBRATION_SHARE = 0.2
DEFAULT_WINDOW = (12.0, 72.0)
_GRID = tuple(i / 40 for i in range(41))  # 0, 2.5 %, …, 100 %
_BAND_HOURS = 4


@dataclass(frozen=True, slots=True)
class Sample:
    carrier: str
    route: str  # "浙江省>上海市"; "?" when a province is unknown
    hour: int  # hour of day of shipping, tenant's zone
    hours: float  # shipping → delivered scan
    at: float = 0.0  # shipping time (epoch seconds), orders the calibration split


@dataclass(frozen=True, slots=True)
class Window:
    """Hours after shipping between which the parcel should arrive, and what that rests on."""

    from_hours: float
    to_hours: float
    basis: str  # carrier_route_hour, carrier_route_band, carrier_route, carrier, all, default
    samples: int

    @property
    def width(self) -> float:
        return self.to_hours - self.from_hours


def default_window() -> Window:
    """The documented window when there is too little history."""
    return Window(DEFAULT_WINDOW[0], DEFAULT_WINDOW[1], "default", 0)


def _keys(carrier: str, route: str, hour: int) -> list[tuple[str, str]]:
    band = hour // _BAND_HOURS
    return [
        ("carrier_route_hour", f"{carrier}|{route}|h{hour}"),
        ("carrier_route_band", f"{carrier}|{route}|b{band}"),
        ("carrier_route", f"{carrier}|{route}"),
        ("carrier", carrier),
        ("all", "*"),
    ]


def _quantile(ordered: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile of sorted values."""
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _grid_of(values: list[float]) -> list[float]:
    ordered = sorted(values)
    return [round(_quantile(ordered, q), 3) for q in _GRID]


def _at(grid: Sequence[float], q: float) -> float:
    """The grid's quantile function at ``q`` (linear between grid points)."""
    return _quantile(grid, q)


def _cdf(grid: Sequence[float], hours: float) -> float:
    """The share of transit times at or below ``hours``, read off the grid."""
    if hours <= grid[0]:
        return 0.0
    if hours >= grid[-1]:
        return 1.0
    for i in range(1, len(grid)):
        if hours <= grid[i]:
            span = grid[i] - grid[i - 1]
            part = (hours - grid[i - 1]) / span if span > 0 else 1.0
            return (i - 1 + part) / (len(grid) - 1)
    return 1.0  # pragma: no cover - the loop always returns


@dataclass(frozen=True)
class EtaModel:
    """Quantile grids per key, the conformal margin, and the calibration figures."""

    grids: dict[str, tuple[int, list[float]]]
    margin_hours: float
    samples: int
    calibration_coverage: float  # on the held-out share, after the margin

    def window(self, carrier: str, route: str, hour: int, *, elapsed_hours: float = 0.0) -> Window:
        """The window for a parcel of ``carrier`` on ``route`` shipped at ``hour``; with
        ``elapsed_hours`` past the window's start, conditional on not having arrived yet."""
        for basis, key in _keys(carrier, route, hour):
            found = self.grids.get(key)
            if found is not None and found[0] >= MIN_SAMPLES:
                return self._window(found[1], basis, found[0], elapsed_hours)
        return default_window()

    def _window(self, grid: list[float], basis: str, n: int, elapsed: float) -> Window:
        low, high = LOW, HIGH
        if elapsed > max(0.0, _at(grid, LOW) - self.margin_hours):
            passed = min(_cdf(grid, elapsed), 0.99)
            low, high = passed + LOW * (1 - passed), passed + HIGH * (1 - passed)
        start = max(0.0, _at(grid, low) - self.margin_hours, elapsed)
        end = max(start + 1.0, _at(grid, high) + self.margin_hours)
        return Window(float(math.floor(start)), float(math.ceil(end)), basis, n)

    def to_json(self) -> dict[str, Any]:
        return {
            "grids": {key: [n, grid] for key, (n, grid) in self.grids.items()},
            "margin_hours": self.margin_hours,
            "samples": self.samples,
            "calibration_coverage": self.calibration_coverage,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EtaModel:
        grids = {
            key: (int(n), [float(v) for v in grid]) for key, (n, grid) in data["grids"].items()
        }
        return cls(
            grids,
            float(data["margin_hours"]),
            int(data["samples"]),
            float(data["calibration_coverage"]),
        )


def _grids(samples: Iterable[Sample]) -> dict[str, tuple[int, list[float]]]:
    grouped: dict[str, list[float]] = defaultdict(list)
    for s in samples:
        for _, key in _keys(s.carrier, s.route, s.hour):
            grouped[key].append(s.hours)
    # Keys too thin to be used are not stored: the model stays small.
    return {
        key: (len(values), _grid_of(values))
        for key, values in grouped.items()
        if len(values) >= MIN_SAMPLES
    }


def _margin(fit: dict[str, tuple[int, list[float]]], held_out: list[Sample]) -> float:
    """Split-conformal margin (hours) so ``[LOW - m, HIGH + m]`` covers ``COVERAGE``."""
    bare = EtaModel(fit, 0.0, 0, 0.0)
    scores = []
    for s in held_out:
        for _, key in _keys(s.carrier, s.route, s.hour):
            found = bare.grids.get(key)
            if found is not None:
                grid = found[1]
                scores.append(max(_at(grid, LOW) - s.hours, s.hours - _at(grid, HIGH)))
                break
    if not scores:
        return 0.0
    scores.sort()
    rank = min(len(scores), math.ceil((len(scores) + 1) * COVERAGE))
    return scores[rank - 1]


def _covered(model: EtaModel, held_out: list[Sample]) -> float:
    hits = 0
    for s in held_out:
        w = model.window(s.carrier, s.route, s.hour)
        hits += w.from_hours <= s.hours <= w.to_hours
    return hits / len(held_out) if held_out else 0.0


def learn(samples: Iterable[Sample]) -> EtaModel | None:
    """The model of a tenant's delivered parcels; None with fewer than ``MIN_HISTORY``."""
    ordered = sorted(samples, key=lambda s: s.at)
    if len(ordered) < MIN_HISTORY:
        return None
    cut = int(len(ordered) * (1 - CALIBRATION_SHARE))
    fit, held_out = ordered[:cut], ordered[cut:]
    margin = _margin(_grids(fit), held_out)
    calibrated = _covered(EtaModel(_grids(fit), margin, len(fit), 0.0), held_out)
    return EtaModel(_grids(ordered), round(margin, 3), len(ordered), round(calibrated, 4))
