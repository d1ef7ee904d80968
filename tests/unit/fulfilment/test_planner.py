"""The planner's choices on constructed cases: hard constraints, holds, splits, cost and SLA."""

from __future__ import annotations

from oms.console.i18n import PLAN_REASON_LABELS, plan_reason_text, translations
from oms.fulfilment.carriers import DEFAULT_CARRIERS, spec_of
from oms.fulfilment.planning.planner import (
    CarrierSpec,
    Item,
    PlanRequest,
    ServiceSpec,
    WarehouseSpec,
    plan_fulfilment,
)


def _carrier(code: str, *caps: str, hours: int = 48, fee: int = 500, **kw: object) -> CarrierSpec:
    service = ServiceSpec("standard", hours, 1000, fee, 200)
    return CarrierSpec(
        code,
        int(kw.get("tier", 2)),  # type: ignore[call-overload]
        frozenset(caps),
        frozenset(kw.get("regions", ())),  # type: ignore[arg-type]
        int(kw.get("max_weight", 30_000)),  # type: ignore[call-overload]
        (service,),
    )


def _wh(code: str, province: str = "浙江省", priority: int = 0, **stock: int) -> WarehouseSpec:
    return WarehouseSpec(
        code, province, priority, {k.replace("_", "-"): v for k, v in stock.items()}
    )


CHEAP = _carrier("yunda", fee=400)
COLD = _carrier("shunfeng", "cold_chain", fee=1200, tier=1)
INSTALL = _carrier("jd", "installation", "bulky", fee=1000)


def _request(
    items: list[Item], warehouses: list[WarehouseSpec], carriers: list[CarrierSpec], **kw: object
) -> PlanRequest:
    return PlanRequest(
        items=items,
        warehouses=warehouses,
        carriers=carriers,
        destination=kw.pop("destination", "浙江省"),  # type: ignore[arg-type]
        promise_hours=kw.pop("promise_hours", 72),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def _codes(reasons: object) -> list[str]:
    return [r.code for r in reasons]  # type: ignore[attr-defined]


def test_a_cold_chain_item_never_goes_with_a_non_cold_carrier() -> None:
    items = [Item("BEEF-1", 1, frozenset({"cold_chain"}), 2000), Item("TEA-1", 1)]
    plan = plan_fulfilment(_request(items, [_wh("hz", BEEF_1=5, TEA_1=5)], [CHEAP, COLD]))
    assert plan.is_complete
    assert [p.carrier for p in plan.parcels] == ["shunfeng"]
    assert "carrier_lacks" in _codes(plan.parcels[0].reasons)
    assert "requires" in _codes(plan.parcels[0].reasons)


def test_an_item_needing_installation_goes_with_a_carrier_that_installs() -> None:
    items = [Item("SOFA", 1, frozenset({"installation", "bulky"}), 25_000)]
    plan = plan_fulfilment(_request(items, [_wh("hz", SOFA=1)], [CHEAP, COLD, INSTALL]))
    assert plan.parcels[0].carrier == "jd"


def test_lines_no_single_carrier_takes_split_by_handling_need() -> None:
    items = [
        Item("BEEF", 1, frozenset({"cold_chain"})),
        Item("SOFA", 1, frozenset({"installation"})),
    ]
    plan = plan_fulfilment(_request(items, [_wh("hz", BEEF=1, SOFA=1)], [CHEAP, COLD, INSTALL]))
    assert sorted(p.carrier or "" for p in plan.parcels) == ["jd", "shunfeng"]
    assert all("split_by_handling" in _codes(p.reasons) for p in plan.parcels)


def test_the_order_splits_only_when_no_single_warehouse_has_every_line() -> None:
    items = [Item("A", 2), Item("B", 1)]
    one = plan_fulfilment(
        _request(items, [_wh("hz", A=2), _wh("sh", "上海市", 1, A=2, B=1)], [CHEAP])
    )
    assert [(p.warehouse, p.lines) for p in one.parcels] == [("sh", (("A", 2), ("B", 1)))]
    assert "single_warehouse" in _codes(one.parcels[0].reasons)
    split = plan_fulfilment(_request(items, [_wh("hz", A=2), _wh("sh", "上海市", 1, B=1)], [CHEAP]))
    assert sorted((p.warehouse, p.lines) for p in split.parcels) == [
        ("hz", (("A", 2),)),
        ("sh", (("B", 1),)),
    ]
    assert all("split_no_single_warehouse" in _codes(p.reasons) for p in split.parcels)


def test_held_units_ship_from_the_reservations_warehouse() -> None:
    items = [Item("A", 1)]
    warehouses = [_wh("hz", A=10), _wh("gz", "广东省", 5, A=10)]
    plan = plan_fulfilment(_request(items, warehouses, [CHEAP], holds={"A": {"gz": 1}}))
    assert plan.parcels[0].warehouse == "gz"
    assert _codes(plan.parcels[0].reasons)[0] == "follows_reservation"


def test_the_cheapest_service_within_the_promised_hours_wins() -> None:
    slow_cheap = _carrier("jtexpress", hours=96, fee=300)
    fast_dear = _carrier("shunfeng", hours=24, fee=2300)
    mid = _carrier("zhongtong", hours=48, fee=600)
    request = _request([Item("A", 1)], [_wh("hz", A=1)], [slow_cheap, fast_dear, mid])
    plan = plan_fulfilment(request)
    assert plan.parcels[0].carrier == "zhongtong"
    assert plan.parcels[0].reasons[-1].code == "cheapest_within_sla"
    assert {a["shipments"][0]["carrier"] for a in plan.alternatives} >= {"shunfeng"}
    relaxed = plan_fulfilment(
        _request([Item("A", 1)], [_wh("hz", A=1)], [slow_cheap, mid], promise_hours=200)
    )
    assert relaxed.parcels[0].carrier == "jtexpress"


def test_leaving_the_province_adds_a_day_to_the_promise() -> None:
    fast = _carrier("shunfeng", hours=24, fee=2300)
    slow = _carrier("yunda", hours=60, fee=400)
    local = plan_fulfilment(_request([Item("A", 1)], [_wh("hz", A=1)], [fast, slow]))
    far = plan_fulfilment(
        _request([Item("A", 1)], [_wh("hz", A=1)], [fast, slow], destination="四川省")
    )
    assert (local.parcels[0].carrier, far.parcels[0].carrier) == ("yunda", "shunfeng")


def test_a_region_a_carrier_does_not_serve_excludes_it() -> None:
    local = _carrier("yunda", fee=300, regions={"浙江省"})
    plan = plan_fulfilment(
        _request([Item("A", 1)], [_wh("hz", A=1)], [local, COLD], destination="西藏自治区")
    )
    assert plan.parcels[0].carrier == "shunfeng"
    assert "carrier_region_not_served" in _codes(plan.parcels[0].reasons)


def test_no_possible_carrier_gives_an_incomplete_plan_with_a_reason() -> None:
    items = [Item("GAS", 1, frozenset({"hazardous"}), 500)]
    plan = plan_fulfilment(_request(items, [_wh("hz", GAS=1)], [CHEAP, COLD]))
    assert not plan.is_complete
    assert plan.parcels[0].carrier is None
    assert plan.parcels[0].reasons[-1].code == "no_carrier"
    assert _codes(plan.reasons) == ["incomplete_plan"]


def test_an_over_weight_parcel_is_refused_by_the_carrier_with_the_limit() -> None:
    plan = plan_fulfilment(_request([Item("A", 1, weight_grams=40_000)], [_wh("hz", A=1)], [CHEAP]))
    assert plan.parcels[0].carrier is None
    assert "carrier_over_weight" in _codes(plan.parcels[0].reasons)


def test_no_warehouse_is_a_plan_with_a_reason_not_a_crash() -> None:
    plan = plan_fulfilment(_request([Item("A", 1)], [], [CHEAP]))
    assert (plan.parcels, _codes(plan.reasons)) == ((), ["no_warehouse"])


def test_short_stock_still_plans_from_the_first_warehouse() -> None:
    plan = plan_fulfilment(
        _request([Item("A", 5)], [_wh("hz", A=2), _wh("sh", "上海市", 1)], [CHEAP])
    )
    assert plan.is_complete
    assert sorted((p.warehouse, p.lines) for p in plan.parcels) == [("hz", (("A", 5),))]


def test_weight_prices_by_started_kilogram() -> None:
    service = ServiceSpec("standard", 48, 1000, 500, 200)
    assert [service.cost(g) for g in (0, 1000, 1001, 2000, 2500)] == [500, 500, 700, 700, 900]


def test_every_reason_code_the_planner_gives_has_words() -> None:
    defaults = [spec_of(c) for c in DEFAULT_CARRIERS]
    items = [Item("BEEF", 1, frozenset({"cold_chain"})), Item("GAS", 1, frozenset({"hazardous"}))]
    plan = plan_fulfilment(_request(items, [_wh("hz", BEEF=1, GAS=1)], defaults))
    codes = {r.code for p in plan.parcels for r in p.reasons} | set(_codes(plan.reasons))
    assert codes <= set(PLAN_REASON_LABELS)
    params = {"carrier": "yunda", "needs": ["cold_chain", "fragile"]}
    zh = plan_reason_text("carrier_lacks", params, translations("zh-CN").gettext)
    en = plan_reason_text("carrier_lacks", params, translations("en").gettext)
    assert (zh, en) == (
        "yunda 不支持 cold_chain, fragile",
        "yunda cannot handle cold_chain, fragile",
    )


def test_units_beyond_the_hold_join_the_held_units_of_the_same_warehouse() -> None:
    """3 ordered, 1 held in hz; no warehouse has the other 2 and B together: a split."""
    items = [Item("A", 3), Item("B", 1)]
    warehouses = [_wh("hz", A=2), _wh("sh", "上海市", 1, B=1)]
    plan = plan_fulfilment(_request(items, warehouses, [CHEAP], holds={"A": {"hz": 1}}))
    assert sorted((p.warehouse, p.lines) for p in plan.parcels) == [
        ("hz", (("A", 3),)),
        ("sh", (("B", 1),)),
    ]
