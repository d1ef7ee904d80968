"""The ratio cube RCA works on: the current window's leaves with actual and expected counts.

A leaf is one combination of dimension values (channel, SKU, outlet, …) with a numerator
(``refunds``) and a denominator (``orders``). The baseline says what rate each leaf should
have: a leaf's expected numerator is its current denominator times that rate, so a change in
volume alone is never a cause. The baseline may cover any number of days: only its rates are
used. Most leaves are far too sparse for a rate of their own, so the rate is a main-effects
model of the baseline (one factor per value of each independent dimension, fitted by iterative
proportional fitting and shrunk towards 1 for values with few baseline refunds).

Dimensions implied by another (category by SKU, carrier and province by outlet) are found from
the data: ``a`` determines ``b`` when every value of ``a`` meets one value of ``b``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from oms.intelligence.rca.errors import RcaInputInvalid

__all__ = ["Cube", "Measure", "build_cube", "parse_measure"]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

# Rounds of proportional fitting of the baseline's factors, and the refunds a value's factor
# is shrunk with (a value with few baseline refunds keeps a factor near 1).
_FIT_ROUNDS = 2
_PRIOR_REFUNDS = 5.0
# Rows a candidate dependency is first checked on, before the full check.
_FD_SAMPLE = 50_000


@dataclass(frozen=True, slots=True)
class Measure:
    """``refunds/orders``: the numerator and denominator count columns."""

    numerator: str
    denominator: str


def parse_measure(text: str) -> Measure:
    """``NUMERATOR/DENOMINATOR``. Raises: ERR_RCA_INPUT_INVALID."""
    parts = [part.strip() for part in text.split("/")]
    if len(parts) != 2 or not all(parts) or parts[0] == parts[1]:
        raise RcaInputInvalid(
            "the measure is two count columns, NUMERATOR/DENOMINATOR", measure=text
        )
    return Measure(parts[0], parts[1])


@dataclass(frozen=True, slots=True)
class Cube:
    """The current leaves: one code per dimension, actual and expected numerator, denominator."""

    dims: tuple[str, ...]
    labels: Mapping[str, list[str]]
    codes: Mapping[str, Ints]
    actual: Floats
    expected: Floats
    denominator: Floats
    baseline_rate: float
    # (a, b): every value of a meets one value of b (a SKU has one category).
    determines: frozenset[tuple[str, str]]

    def cardinality(self, dim: str) -> int:
        """How many values the dimension has (current and baseline together)."""
        return len(self.labels[dim])

    def independent(self) -> tuple[str, ...]:
        """The dimensions no other dimension implies."""
        implied = {b for _, b in self.determines}
        return tuple(d for d in self.dims if d not in implied)

    def implied(self, dims: Sequence[str]) -> set[str]:
        """The members of ``dims`` another member implies (left out of a cause)."""
        return {b for a in dims for b in dims if (a, b) in self.determines}


def build_cube(facts: pa.Table, baseline: pa.Table, dims: Sequence[str], measure: Measure) -> Cube:
    """Validate both tables and build the cube. Raises: ERR_RCA_INPUT_INVALID."""
    dims = tuple(dims)
    if not dims or len(set(dims)) != len(dims):
        raise RcaInputInvalid("name one or more distinct dimensions", dimensions=list(dims))
    counts = (measure.numerator, measure.denominator)
    facts_counts = _counts(facts, "facts", dims, counts)
    base_counts = _counts(baseline, "baseline", dims, counts)
    base_num, base_den = base_counts
    if base_den.sum() <= 0:
        raise RcaInputInvalid("the baseline has no " + measure.denominator)
    p0 = float(base_num.sum() / base_den.sum())
    labels, codes = _encode(facts, baseline, dims)
    split = facts.num_rows
    determines = _dependencies(dims, codes, {d: len(labels[d]) for d in dims})
    implied = {b for _, b in determines}
    independent = [d for d in dims if d not in implied]
    base_codes = {d: codes[d][split:] for d in independent}
    factors = _fit(base_codes, {d: len(labels[d]) for d in independent}, base_num, base_den, p0)
    rate = np.full(split, p0)
    for d in independent:
        rate *= factors[d][codes[d][:split]]
    return Cube(
        dims=dims,
        labels=labels,
        codes={d: codes[d][:split] for d in dims},
        actual=facts_counts[0],
        expected=facts_counts[1] * rate,
        denominator=facts_counts[1],
        baseline_rate=p0,
        determines=frozenset(determines),
    )


def _counts(
    table: pa.Table, name: str, dims: tuple[str, ...], counts: tuple[str, str]
) -> tuple[Floats, Floats]:
    missing = [c for c in (*dims, *counts) if c not in table.column_names]
    if missing:
        raise RcaInputInvalid(f"the {name} lack columns: {', '.join(missing)}", missing=missing)
    for d in dims:
        if table.column(d).null_count:
            raise RcaInputInvalid(f"the {name} have empty values of {d}", column=d)
    out = []
    for column in counts:
        values = table.column(column)
        if not (pa.types.is_integer(values.type) or pa.types.is_floating(values.type)):
            raise RcaInputInvalid(f"the {name}' {column} are not numbers", column=column)
        array = values.to_numpy().astype(np.float64)
        if values.null_count or not np.isfinite(array).all():
            raise RcaInputInvalid(f"the {name} have empty {column}", column=column)
        if (array < 0).any():
            raise RcaInputInvalid(f"the {name} have negative {column}", column=column)
        out.append(array)
    return out[0], out[1]


def _encode(
    facts: pa.Table, baseline: pa.Table, dims: tuple[str, ...]
) -> tuple[dict[str, list[str]], dict[str, Ints]]:
    """One dictionary per dimension over both tables; leaf codes index it."""
    labels: dict[str, list[str]] = {}
    codes: dict[str, Ints] = {}
    for d in dims:
        chunks = [
            *_as_dictionary(facts.column(d)).chunks,
            *_as_dictionary(baseline.column(d)).chunks,
        ]
        both = pa.chunked_array(chunks, type=chunks[0].type if chunks else None)
        unified = both.unify_dictionaries() if both.num_chunks else both
        if unified.num_chunks == 0:
            labels[d], codes[d] = [], np.zeros(0, np.int64)
            continue
        labels[d] = [str(v) for v in unified.chunk(0).dictionary.to_pylist()]
        codes[d] = np.concatenate(
            [c.indices.to_numpy(zero_copy_only=False) for c in unified.chunks]
        ).astype(np.int64)
    return labels, codes


def _as_dictionary(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(column.type):
        value_type = column.type.value_type
        if pa.types.is_string(value_type):
            return column.cast(pa.dictionary(pa.int32(), pa.string()))
        column = column.cast(value_type)
    if not pa.types.is_string(column.type):
        column = column.cast(pa.string())
    encoded = pc.dictionary_encode(column)
    return encoded.cast(pa.dictionary(pa.int32(), pa.string()))


def _dependencies(
    dims: tuple[str, ...], codes: Mapping[str, Ints], cards: Mapping[str, int]
) -> set[tuple[str, str]]:
    """Every (a, b) with a determining b; of two dimensions that determine each other, only
    the first named determines the second, so one of them stays independent."""
    found: set[tuple[str, str]] = set()
    for a in dims:
        for b in dims:
            if a == b or cards[a] < cards[b] or (b, a) in found:
                continue
            step = max(len(codes[a]) // _FD_SAMPLE, 1)
            if _determines(codes[a][::step], codes[b][::step], cards[a]) and (
                _determines(codes[a], codes[b], cards[a])
            ):
                found.add((a, b))
    return found


def _determines(a: Ints, b: Ints, card_a: int) -> bool:
    seen = np.full(card_a, -1, dtype=np.int64)
    seen[a] = b
    return bool(np.array_equal(seen[a], b))


def _fit(
    codes: Mapping[str, Ints],
    cards: Mapping[str, int],
    numerator: Floats,
    denominator: Floats,
    p0: float,
) -> dict[str, Floats]:
    """Main-effects rate factors of the baseline by iterative proportional fitting."""
    factors = {d: np.ones(cards[d]) for d in codes}
    predicted = denominator * p0
    for _ in range(_FIT_ROUNDS):
        for d, c in codes.items():
            observed = np.bincount(c, weights=numerator, minlength=cards[d])
            expected = np.bincount(c, weights=predicted, minlength=cards[d])
            adjust = (observed + _PRIOR_REFUNDS) / (expected + _PRIOR_REFUNDS)
            factors[d] *= adjust
            predicted = predicted * adjust[c]
    return factors
