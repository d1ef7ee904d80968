"""Comparing a shipment with what its order still needs."""

from __future__ import annotations

from oms.fulfilment.reconcile import compare

ORDER = [("TEA", 2), ("CUP", 1)]


def _kinds(
    shipped: list[tuple[str, int]], *, final: bool = True, before=()
) -> list[tuple[str, str, int, int]]:  # type: ignore[no-untyped-def]
    return [
        (d.kind, d.sku, d.expected, d.shipped)
        for d in compare(ORDER, before, shipped, is_final=final)
    ]


def test_a_shipment_of_everything_matches() -> None:
    assert _kinds([("TEA", 2), ("CUP", 1)]) == []


def test_two_lines_of_one_sku_count_together() -> None:
    assert _kinds([("TEA", 1), ("TEA", 1), ("CUP", 1)]) == []


def test_a_line_left_out_of_a_final_shipment_is_missing() -> None:
    assert _kinds([("TEA", 2)]) == [("missing_line", "CUP", 1, 0)]


def test_a_partial_shipment_that_is_not_final_matches() -> None:
    assert _kinds([("TEA", 1)], final=False) == []


def test_the_last_parcel_completes_what_earlier_ones_shipped() -> None:
    assert _kinds([("TEA", 1), ("CUP", 1)], before=[("TEA", 1)]) == []


def test_shipping_more_than_is_due_is_a_wrong_quantity_even_when_not_final() -> None:
    assert _kinds([("TEA", 3)], final=False) == [("wrong_quantity", "TEA", 2, 3)]
    assert _kinds([("TEA", 1)], before=[("TEA", 2)], final=False) == [
        ("wrong_quantity", "TEA", 0, 1)
    ]


def test_shipping_less_than_due_in_a_final_shipment_is_a_wrong_quantity() -> None:
    assert _kinds([("TEA", 1), ("CUP", 1)]) == [("wrong_quantity", "TEA", 2, 1)]


def test_a_wrong_sku_shows_as_an_extra_line_and_a_missing_one() -> None:
    assert _kinds([("TEA", 2), ("MUG", 1)]) == [
        ("missing_line", "CUP", 1, 0),
        ("extra_line", "MUG", 0, 1),
    ]
