"""The round-robin of fair claims, without a database."""

from __future__ import annotations

from oms.core.claims import Rotation, fair_order


def test_a_rotation_starts_each_window_after_the_tenant_it_served_last() -> None:
    rotation = Rotation()
    tenants = ["a", "b", "c", "d", "e"]
    windows = [rotation.window(tenants, 2) for _ in range(3)]
    assert windows == [["a", "b"], ["c", "d"], ["e", "a"]]


def test_a_rotation_serves_every_tenant_when_the_batch_has_room_for_all() -> None:
    rotation = Rotation(last="b")
    assert rotation.window(["a", "b", "c"], 10) == ["c", "a", "b"]
    assert rotation.window([], 10) == []
    assert rotation.window(["a"], 0) == []


def test_a_rotation_whose_last_tenant_has_no_more_work_goes_on_with_the_next_one() -> None:
    rotation = Rotation(last="bb")
    assert rotation.window(["a", "c"], 1) == ["c"]


def test_fair_order_takes_one_message_of_each_tenant_in_turn() -> None:
    queues = [["a1", "a2", "a3"], ["b1"], ["c1", "c2"]]
    assert fair_order(queues) == ["a1", "b1", "c1", "a2", "c2", "a3"]  # type: ignore[arg-type]
