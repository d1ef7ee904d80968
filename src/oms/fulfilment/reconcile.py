"""Compare what a warehouse shipped with what the order still needs. Pure Python."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Difference", "compare"]


@dataclass(frozen=True, slots=True)
class Difference:
    """One way a shipment disagrees with its order.

    kind: ``missing_line`` (ordered, absent from a final shipment), ``extra_line`` (shipped,
    never ordered: with a missing line this is a wrong SKU), ``wrong_quantity`` (more than
    still due, or less than due in a final shipment).
    """

    kind: str
    sku: str
    expected: int
    shipped: int


def compare(
    ordered: Iterable[tuple[str, int]],
    already_shipped: Iterable[tuple[str, int]],
    shipped_now: Iterable[tuple[str, int]],
    *,
    is_final: bool,
) -> list[Difference]:
    """Differences between this shipment and what the order still needs, SKU by SKU."""
    ordered_total = _sum(ordered)
    due = ordered_total - _sum(already_shipped)
    now = _sum(shipped_now)
    differences = []
    for sku in sorted(set(ordered_total) | set(now)):
        expected, shipped = due.get(sku, 0), now.get(sku, 0)
        if sku not in ordered_total:
            differences.append(Difference("extra_line", sku, 0, shipped))
        elif shipped > expected or (is_final and 0 < shipped < expected):
            differences.append(Difference("wrong_quantity", sku, expected, shipped))
        elif is_final and shipped == 0 and expected > 0:
            differences.append(Difference("missing_line", sku, expected, 0))
    return differences


def _sum(lines: Iterable[tuple[str, int]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for sku, qty in lines:
        total[sku] += qty
    return total
