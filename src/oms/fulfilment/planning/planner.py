"""The fulfilment planner: which warehouse ships which lines with which carrier. Pure Python.

Order of decisions (each leaves a machine-readable reason on the parcel):
1. where from: the reservation's warehouse for held units; for the rest, one warehouse that
   has them all, else a split (fewest warehouses win: split only when no single one can);
2. with whom: hard constraints first (handling needs such as cold chain, region served, weight
   limit), then the cheapest carrier service that meets the promised hours, then the tier;
   when no carrier takes the whole parcel, its lines are split by handling need;
3. nothing possible: the parcel keeps ``carrier = None`` and a ``no_carrier`` reason, and the
   plan is incomplete (the job opens a ticket) — never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CROSS_PROVINCE_HOURS",
    "NEEDS",
    "CarrierSpec",
    "Item",
    "Parcel",
    "Plan",
    "PlanRequest",
    "Reason",
    "ServiceSpec",
    "WarehouseSpec",
    "plan_fulfilment",
]

NEEDS = ("cold_chain", "installation", "bulky", "fragile", "hazardous")
# A parcel leaving its province takes a day longer than the service's own (local) hours.
CROSS_PROVINCE_HOURS = 24
MAX_ALTERNATIVES = 5


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}


@dataclass(frozen=True, slots=True)
class Item:
    sku: str
    qty: int
    needs: frozenset[str] = frozenset()
    weight_grams: int = 0  # per unit


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    code: str
    sla_hours: int
    first_weight_grams: int
    first_fee: int  # fen
    additional_fee_per_kg: int  # fen per started kilogram

    def cost(self, weight_grams: int) -> int:
        extra = max(0, weight_grams - self.first_weight_grams)
        return self.first_fee + -(-extra // 1000) * self.additional_fee_per_kg


@dataclass(frozen=True, slots=True)
class CarrierSpec:
    code: str
    tier: int
    capabilities: frozenset[str]
    regions: frozenset[str]  # empty: nationwide
    max_weight_grams: int
    services: tuple[ServiceSpec, ...]


@dataclass(frozen=True, slots=True)
class WarehouseSpec:
    code: str
    province: str | None
    priority: int
    available: Mapping[str, int]  # sku -> units free to ship


@dataclass(frozen=True, slots=True)
class PlanRequest:
    items: Sequence[Item]
    warehouses: Sequence[WarehouseSpec]
    carriers: Sequence[CarrierSpec]
    destination: str | None  # province, normalised
    promise_hours: int
    holds: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # sku -> wh -> qty
    untracked: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Parcel:
    warehouse: str
    carrier: str | None
    service: str | None
    lines: tuple[tuple[str, int], ...]
    cost: int
    hours: int | None
    reasons: tuple[Reason, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "warehouse": self.warehouse,
            "carrier": self.carrier,
            "service": self.service,
            "lines": [{"sku": sku, "qty": qty} for sku, qty in self.lines],
            "cost": self.cost,
            "hours": self.hours,
            "reasons": [r.as_dict() for r in self.reasons],
        }


@dataclass(frozen=True, slots=True)
class Option:
    """One way to ship the whole order, ranked by :func:`_rank`."""

    parcels: tuple[Parcel, ...]
    warehouses: int

    @property
    def is_complete(self) -> bool:
        return all(p.carrier is not None for p in self.parcels)

    @property
    def cost(self) -> int:
        return sum(p.cost for p in self.parcels)

    @property
    def hours(self) -> int:
        return max((p.hours or 0 for p in self.parcels), default=0)


@dataclass(frozen=True, slots=True)
class Plan:
    parcels: tuple[Parcel, ...]
    alternatives: tuple[dict[str, Any], ...]
    reasons: tuple[Reason, ...]
    is_complete: bool
    total_cost: int


Lines = dict[str, dict[str, int]]  # warehouse -> sku -> qty


def plan_fulfilment(request: PlanRequest) -> Plan:
    """The plan for ``request``, its alternatives and reasons (see the module docstring)."""
    if not request.warehouses:
        return _empty(Reason("no_warehouse"))
    if not request.items:
        return _empty(Reason("nothing_to_ship"))
    options = [_option(request, a, why) for a, why in _assignments(request)]
    options.sort(key=lambda o: _rank(o, request.promise_hours))
    best = options[0]
    reasons = () if best.is_complete else (Reason("incomplete_plan"),)
    alternatives = _alternatives(request, best, options[1:])
    return Plan(best.parcels, alternatives, reasons, best.is_complete, best.cost)


def _empty(reason: Reason) -> Plan:
    return Plan((), (), (reason,), False, 0)


def _rank(option: Option, promise: int) -> tuple[Any, ...]:
    return (
        not option.is_complete,
        option.warehouses,
        option.hours > promise,
        option.cost,
        option.hours,
        len(option.parcels),
    )


# --- where from -------------------------------------------------------------------------


def _assignments(request: PlanRequest) -> list[tuple[Lines, dict[str, Reason]]]:
    """Candidate (warehouse -> lines) splits, each with the reason per warehouse."""
    held, rest = _held(request)
    why: dict[str, Reason] = {w: Reason("follows_reservation", {"warehouse": w}) for w in held}
    if not rest:
        return [(held, why)]
    found = []
    for warehouse in sorted(request.warehouses, key=lambda w: (w.priority, w.code)):
        if all(_free(request, warehouse, sku) >= qty for sku, qty in rest.items()):
            lines = _merge(held, {warehouse.code: dict(rest)})
            reason = Reason("single_warehouse", {"warehouse": warehouse.code})
            found.append((lines, {warehouse.code: reason} | why))
    if found:
        return found
    return [_split(request, held, rest, why)]


def _held(request: PlanRequest) -> tuple[Lines, dict[str, int]]:
    held: Lines = {}
    rest: dict[str, int] = {}
    for item in request.items:
        left = item.qty
        for warehouse, qty in sorted(request.holds.get(item.sku, {}).items()):
            take = min(left, qty)
            if take > 0:
                held.setdefault(warehouse, {})
                held[warehouse][item.sku] = held[warehouse].get(item.sku, 0) + take
                left -= take
        if left > 0:
            rest[item.sku] = rest.get(item.sku, 0) + left
    return held, rest


def _free(request: PlanRequest, warehouse: WarehouseSpec, sku: str) -> int:
    return 1 << 62 if sku in request.untracked else warehouse.available.get(sku, 0)


def _split(
    request: PlanRequest, held: Lines, rest: dict[str, int], why: dict[str, Reason]
) -> tuple[Lines, dict[str, Reason]]:
    """No warehouse has every unheld line: each goes where it is, warehouses in use first."""
    used = set(held)
    ordered = sorted(request.warehouses, key=lambda w: (w.code not in used, w.priority, w.code))
    lines: Lines = {w: dict(s) for w, s in held.items()}
    waiting: dict[str, int] = {}
    for sku, qty in sorted(rest.items()):
        for warehouse in ordered:
            take = min(qty, _free(request, warehouse, sku))
            if take > 0:
                skus = lines.setdefault(warehouse.code, {})
                skus[sku] = skus.get(sku, 0) + take  # held units of the SKU may be there too
                qty -= take
            if qty == 0:
                break
        if qty:
            waiting[sku] = qty
    if waiting:  # short: ship from the first warehouse once stock arrives there
        first = ordered[0].code
        for sku, qty in waiting.items():
            lines.setdefault(first, {})[sku] = lines.get(first, {}).get(sku, 0) + qty
    reason = Reason("split_no_single_warehouse", {"waiting": waiting})
    return lines, {w: why.get(w, reason) for w in lines}


def _merge(a: Lines, b: Lines) -> Lines:
    out: Lines = {w: dict(s) for w, s in a.items()}
    for warehouse, skus in b.items():
        for sku, qty in skus.items():
            out.setdefault(warehouse, {})[sku] = out.get(warehouse, {}).get(sku, 0) + qty
    return out


# --- with whom ----------------------------------------------------------------------------


def _option(request: PlanRequest, lines: Lines, why: dict[str, Reason]) -> Option:
    by_code = {w.code: w for w in request.warehouses}
    items = {i.sku: i for i in request.items}
    parcels: list[Parcel] = []
    for code, skus in sorted(lines.items()):
        group = [(items[sku], qty) for sku, qty in sorted(skus.items())]
        origin = by_code[code].province if code in by_code else None
        parcels += _parcels(request, code, origin, group, why[code])
    return Option(tuple(parcels), len(lines))


Group = list[tuple[Item, int]]


def _parcels(
    request: PlanRequest, warehouse: str, origin: str | None, group: Group, why: Reason
) -> list[Parcel]:
    whole = _best_parcel(request, warehouse, origin, group, (why,))
    if whole.carrier is not None:
        return [whole]
    by_needs: dict[frozenset[str], Group] = {}
    for item, qty in group:
        by_needs.setdefault(item.needs, []).append((item, qty))
    if len(by_needs) == 1:
        return [whole]
    split = Reason("split_by_handling", {"groups": len(by_needs)})
    parts = [
        _best_parcel(request, warehouse, origin, part, (why, split))
        for _, part in sorted(by_needs.items(), key=lambda kv: sorted(kv[0]))
    ]
    return parts if all(p.carrier for p in parts) else [whole]


def _best_parcel(
    request: PlanRequest,
    warehouse: str,
    origin: str | None,
    group: Group,
    reasons: tuple[Reason, ...],
) -> Parcel:
    options = _carrier_options(request, origin, group)
    return _parcel(request, warehouse, origin, group, reasons, options, 0)


def _parcel(
    request: PlanRequest,
    warehouse: str,
    origin: str | None,
    group: Group,
    reasons: tuple[Reason, ...],
    options: list[tuple[CarrierSpec, ServiceSpec, int, int]],
    index: int,
) -> Parcel:
    needs = sorted(set().union(*(item.needs for item, _ in group)))
    lines = tuple((item.sku, qty) for item, qty in group)
    head = reasons + ((Reason("requires", {"needs": needs}),) if needs else ())
    excluded = tuple(_exclusions(request, group))
    if index >= len(options):
        weight = _weight(group)
        stop = Reason("no_carrier", {"needs": needs, "weight_grams": weight})
        return Parcel(warehouse, None, None, lines, 0, None, (*head, *excluded, stop))
    carrier, service, cost, hours = options[index]
    promise = request.promise_hours
    choice = (
        Reason("cheapest_within_sla", {"cost": cost, "hours": hours, "promise_hours": promise})
        if hours <= promise
        else Reason("sla_not_met", {"hours": hours, "promise_hours": promise})
    )
    return Parcel(
        warehouse, carrier.code, service.code, lines, cost, hours, (*head, *excluded, choice)
    )


def _weight(group: Group) -> int:
    return sum(item.weight_grams * qty for item, qty in group)


def _carrier_options(
    request: PlanRequest, origin: str | None, group: Group
) -> list[tuple[CarrierSpec, ServiceSpec, int, int]]:
    """Every (carrier, service, cost, hours) that may carry the group, best first."""
    weight = _weight(group)
    extra = 0 if origin and origin == request.destination else CROSS_PROVINCE_HOURS
    options = [
        (carrier, service, service.cost(weight), service.sla_hours + extra)
        for carrier in request.carriers
        if not _why_not(request, carrier, group, weight)
        for service in carrier.services
    ]
    promise = request.promise_hours
    options.sort(key=lambda o: (o[3] > promise, o[2], o[0].tier, o[3], o[0].code, o[1].code))
    return options


def _why_not(
    request: PlanRequest, carrier: CarrierSpec, group: Group, weight: int
) -> Reason | None:
    """The hard constraint ``carrier`` breaks for the group, if any."""
    missing = sorted(set().union(*(i.needs for i, _ in group)) - carrier.capabilities)
    if missing:
        return Reason("carrier_lacks", {"carrier": carrier.code, "needs": missing})
    if request.destination and carrier.regions and request.destination not in carrier.regions:
        region = {"carrier": carrier.code, "province": request.destination}
        return Reason("carrier_region_not_served", region)
    if weight > carrier.max_weight_grams:
        limit = {"carrier": carrier.code, "weight_grams": weight, "max": carrier.max_weight_grams}
        return Reason("carrier_over_weight", limit)
    return None


def _exclusions(request: PlanRequest, group: Group) -> list[Reason]:
    weight = _weight(group)
    found = (_why_not(request, c, group, weight) for c in request.carriers)
    return [r for r in found if r is not None]


# --- alternatives -------------------------------------------------------------------------


def _alternatives(
    request: PlanRequest, best: Option, others: list[Option]
) -> tuple[dict[str, Any], ...]:
    """Other warehouse splits, then the chosen split with a parcel's runner-up carrier."""
    found = [_alternative(best, other, request.promise_hours) for other in others]
    for n, parcel in enumerate(best.parcels):
        if parcel.carrier is None:
            continue
        group = _group_of(request, parcel)
        origin = next((w.province for w in request.warehouses if w.code == parcel.warehouse), None)
        options = _carrier_options(request, origin, group)
        for index in range(1, min(len(options), 3)):
            runner = _parcel(
                request, parcel.warehouse, origin, group, parcel.reasons[:1], options, index
            )
            parcels = (*best.parcels[:n], runner, *best.parcels[n + 1 :])
            found.append(
                _alternative(best, Option(parcels, best.warehouses), request.promise_hours)
            )
    return tuple(found[:MAX_ALTERNATIVES])


def _group_of(request: PlanRequest, parcel: Parcel) -> Group:
    items = {i.sku: i for i in request.items}
    return [(items[sku], qty) for sku, qty in parcel.lines]


def _alternative(best: Option, other: Option, promise: int) -> dict[str, Any]:
    why: list[Reason] = []
    if not other.is_complete:
        why.append(Reason("alternative_incomplete"))
    if other.warehouses > best.warehouses:
        why.append(Reason("alternative_more_warehouses", {"warehouses": other.warehouses}))
    if other.hours > promise >= best.hours:
        why.append(
            Reason("alternative_misses_sla", {"hours": other.hours, "promise_hours": promise})
        )
    if other.cost > best.cost:
        why.append(Reason("alternative_costlier", {"extra_cost": other.cost - best.cost}))
    if not why:
        why.append(Reason("alternative_ranked_lower"))
    return {
        "shipments": [p.as_dict() for p in other.parcels],
        "total_cost": other.cost,
        "hours": other.hours,
        "reasons": [r.as_dict() for r in why],
    }
