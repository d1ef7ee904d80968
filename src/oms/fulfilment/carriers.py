"""Carriers per tenant (Kuaidi100 codes) and SKU attributes: what the planner plans with.

A tenant without carrier rows reads the built-in defaults; its first write copies them in and
applies on top, so what it removed stays removed. Removing a carrier keeps its row
(``disabled_at``): shipments and plans name it.
"""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from oms.core.context import Actor
from oms.core.errors import Conflict
from oms.core.paging import Page, PageRequest, decode_cursor, encode_cursor, fetch_items
from oms.core.uow import Database, UnitOfWork
from oms.fulfilment.carrier_models import Carrier, SkuAttributes
from oms.fulfilment.carrier_schemas import CarrierIn, CarrierOut, SkuAttributesIn, SkuAttributesOut
from oms.fulfilment.errors import CarrierExists, CarrierNotFound, UnknownRegion
from oms.fulfilment.planning.planner import CarrierSpec, Item, ServiceSpec
from oms.fulfilment.planning.regions import normalise_province

__all__ = [
    "DEFAULT_CARRIERS",
    "carrier_page",
    "carrier_specs",
    "create_carrier",
    "disable_carrier",
    "get_carrier",
    "get_sku_attributes",
    "items_with_attributes",
    "replace_carrier",
    "set_sku_attributes",
    "spec_of",
]


def _svc(
    code: str, name: str, hours: int, first: int, per_kg: int, grams: int = 1000
) -> dict[str, object]:
    return dict(
        code=code,
        name=name,
        sla_hours=hours,
        first_weight_grams=grams,
        first_fee=first,
        additional_fee_per_kg=per_kg,
    )


# Typical 2026 list prices for a merchant account (fen); hours are same-province door to door.
DEFAULT_CARRIERS: tuple[CarrierOut, ...] = tuple(
    CarrierOut(version=0, **c)
    for c in (
        dict(code="shunfeng", name="顺丰速运", tier=1,
             capabilities=["cold_chain", "fragile", "bulky"], max_weight_grams=50_000,
             services=[_svc("express", "顺丰特快", 24, 2300, 1000),
                       _svc("standard", "顺丰标快", 36, 1200, 500)]),
        dict(code="jd", name="京东物流", tier=1,
             capabilities=["cold_chain", "installation", "bulky", "fragile"],
             max_weight_grams=100_000,
             services=[_svc("express", "特快送", 24, 1800, 800),
                       _svc("standard", "特惠送", 48, 1000, 500)]),
        dict(code="debangwuliu", name="德邦快递", tier=2,
             capabilities=["installation", "bulky"], max_weight_grams=500_000,
             services=[_svc("heavy", "大件快递", 72, 1500, 300, grams=3000)]),
        dict(code="ems", name="中国邮政EMS", tier=2, capabilities=["fragile"],
             max_weight_grams=40_000, services=[_svc("standard", "EMS标准", 60, 1000, 600)]),
        dict(code="zhongtong", name="中通快递", tier=2, capabilities=["bulky"],
             max_weight_grams=50_000, services=[_svc("standard", "标快", 48, 480, 280)]),
        dict(code="yuantong", name="圆通速递", tier=2, max_weight_grams=30_000,
             services=[_svc("standard", "标快", 48, 500, 300)]),
        dict(code="yunda", name="韵达快递", tier=3, max_weight_grams=30_000,
             services=[_svc("standard", "标快", 60, 450, 250)]),
        dict(code="shentong", name="申通快递", tier=3, max_weight_grams=30_000,
             services=[_svc("standard", "标快", 60, 420, 250)]),
        dict(code="jtexpress", name="极兔速递", tier=3, max_weight_grams=30_000,
             services=[_svc("standard", "标快", 72, 400, 200)]),
    )
)  # fmt: skip
_SCOPE = "carriers"


def carrier_page(
    db: Database, tenant_id: str, *, page: PageRequest = PageRequest()
) -> Page[CarrierOut]:
    """One page of the tenant's carriers (best tier first), the defaults until it writes."""
    stmt = select(Carrier).where(Carrier.tenant_id == tenant_id, Carrier.disabled_at.is_(None))
    with db.reader() as session:
        if _has_rows(session, tenant_id):
            keys = (Carrier.tier, Carrier.code)
            return fetch_items(session, stmt, keys, page, _out, scope=_SCOPE)
    return _defaults_page(page)


def get_carrier(db: Database, tenant_id: str, code: str) -> CarrierOut:
    """One carrier. Raises: ERR_CARRIER_NOT_FOUND."""
    with db.reader() as session:
        for carrier in _active(session, tenant_id):
            if carrier.code == code:
                return carrier
    raise CarrierNotFound("no such carrier", carrier=code)


def create_carrier(db: Database, actor: Actor, data: CarrierIn) -> CarrierOut:
    """Add a carrier. Raises: ERR_CARRIER_EXISTS, ERR_CARRIER_UNKNOWN_REGION."""
    data = _normalised(data)
    with db.uow() as uow:
        row = _materialised(uow, actor.tenant_id).get(data.code)
        if row is not None and row.disabled_at is None:
            raise CarrierExists("a carrier with this code exists", carrier=data.code)
        out = _write(uow, actor.tenant_id, data, row)
        uow.commit()
    return out


def replace_carrier(db: Database, actor: Actor, code: str, data: CarrierIn) -> CarrierOut:
    """Replace a carrier's settings. Raises: ERR_CARRIER_NOT_FOUND, ERR_VALIDATION (code
    differs from the path), ERR_CARRIER_UNKNOWN_REGION."""
    data = _normalised(data.model_copy(update={"code": code}))
    with db.uow() as uow:
        row = _materialised(uow, actor.tenant_id).get(code)
        if row is None or row.disabled_at is not None:
            raise CarrierNotFound("no such carrier", carrier=code)
        out = _write(uow, actor.tenant_id, data, row)
        uow.commit()
    return out


def disable_carrier(db: Database, actor: Actor, code: str) -> None:
    """Stop planning with a carrier (its row stays). Raises: ERR_CARRIER_NOT_FOUND."""
    with db.uow() as uow:
        row = _materialised(uow, actor.tenant_id).get(code)
        if row is None or row.disabled_at is not None:
            raise CarrierNotFound("no such carrier", carrier=code)
        now = uow.clock.now()
        row.disabled_at, row.updated_at, row.version = now, now, row.version + 1
        uow.commit()


def carrier_specs(session: Session, tenant_id: str) -> list[CarrierSpec]:
    """The tenant's active carriers as the planner takes them."""
    return [spec_of(c) for c in _active(session, tenant_id)]


def set_sku_attributes(
    db: Database, actor: Actor, sku: str, data: SkuAttributesIn
) -> SkuAttributesOut:
    """Say how a SKU must be handled (cold chain, installation, …) and what a unit weighs."""
    needs: list[str] = sorted(set(data.needs))
    with db.uow() as uow:
        now = uow.clock.now()
        row = uow.session.get(SkuAttributes, (actor.tenant_id, sku))
        if row is None:
            row = SkuAttributes(tenant_id=actor.tenant_id, sku=sku)
            uow.session.add(row)
        row.needs, row.weight_grams, row.updated_at = needs, data.weight_grams, now
        uow.commit()
    return SkuAttributesOut(sku=sku, needs=needs, weight_grams=data.weight_grams)


def get_sku_attributes(db: Database, tenant_id: str, sku: str) -> SkuAttributesOut:
    """A SKU's attributes (none set: no needs, weight 0)."""
    with db.reader() as session:
        row = session.get(SkuAttributes, (tenant_id, sku))
    if row is None:
        return SkuAttributesOut(sku=sku)
    return SkuAttributesOut(sku=sku, needs=row.needs, weight_grams=row.weight_grams)


def items_with_attributes(
    session: Session, tenant_id: str, lines: list[tuple[str, int]]
) -> list[Item]:
    """Order lines (sku, qty; a SKU once) as planner items with their SKU attributes."""
    skus = sorted({sku for sku, _ in lines})
    rows = session.scalars(
        select(SkuAttributes).where(
            SkuAttributes.tenant_id == tenant_id, SkuAttributes.sku.in_(skus)
        )
    )
    attrs = {r.sku: r for r in rows}
    totals: dict[str, int] = {}
    for sku, qty in lines:
        totals[sku] = totals.get(sku, 0) + qty
    return [
        Item(sku, qty, frozenset(a.needs), a.weight_grams)
        if (a := attrs.get(sku))
        else Item(sku, qty)
        for sku, qty in totals.items()
    ]


def _has_rows(session: Session, tenant_id: str) -> bool:
    return (
        session.scalar(select(Carrier.code).where(Carrier.tenant_id == tenant_id).limit(1))
        is not None
    )


def _active(session: Session, tenant_id: str) -> list[CarrierOut]:
    if not _has_rows(session, tenant_id):
        return list(DEFAULT_CARRIERS)
    rows = session.scalars(
        select(Carrier)
        .where(Carrier.tenant_id == tenant_id, Carrier.disabled_at.is_(None))
        .order_by(Carrier.tier, Carrier.code)
    )
    return [_out(r) for r in rows]


def _defaults_page(page: PageRequest) -> Page[CarrierOut]:
    """The defaults paged like rows: same keys (tier, code), same cursor scope."""
    ordered = sorted(DEFAULT_CARRIERS, key=lambda c: (c.tier, c.code))
    if page.cursor:
        tier, code = decode_cursor(page.cursor, scope=_SCOPE, arity=2)
        ordered = [c for c in ordered if (c.tier, c.code) > (tier, code)]
    items, more = ordered[: page.limit], len(ordered) > page.limit
    last = items[-1] if items else None
    cursor = encode_cursor(_SCOPE, [last.tier, last.code]) if more and last else None
    return Page(items=items, next_cursor=cursor, has_more=more)


def _materialised(uow: UnitOfWork, tenant_id: str) -> dict[str, Carrier]:
    """The tenant's rows, the defaults copied in first if it has none (its first write)."""
    rows = {
        r.code: r
        for r in uow.session.scalars(select(Carrier).where(Carrier.tenant_id == tenant_id))
    }
    if rows:
        return rows
    now = uow.clock.now()
    values = [
        _values(tenant_id, c) | {"version": 1, "disabled_at": None, "updated_at": now}
        for c in DEFAULT_CARRIERS
    ]
    uow.session.execute(insert(Carrier), values)
    return {
        r.code: r
        for r in uow.session.scalars(select(Carrier).where(Carrier.tenant_id == tenant_id))
    }


def _write(uow: UnitOfWork, tenant_id: str, data: CarrierIn, row: Carrier | None) -> CarrierOut:
    now = uow.clock.now()
    values = _values(tenant_id, data) | {"disabled_at": None, "updated_at": now}
    if row is None:
        uow.session.execute(insert(Carrier).values(**values, version=1))
        return CarrierOut(**data.model_dump(), version=1)
    version = row.version + 1
    changed = uow.session.execute(
        update(Carrier)
        .where(
            Carrier.tenant_id == tenant_id,
            Carrier.code == data.code,
            Carrier.version == row.version,
        )
        .values(**values, version=version)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        raise Conflict("the carrier changed meanwhile; read it again", carrier=data.code)
    uow.session.expire(row)
    return CarrierOut(**data.model_dump(), version=version)


def _values(tenant_id: str, c: CarrierIn) -> dict[str, object]:
    dumped = c.model_dump(exclude={"version"})
    return {"tenant_id": tenant_id, **dumped}


def _normalised(data: CarrierIn) -> CarrierIn:
    regions = []
    for region in data.regions:
        province = normalise_province(region)
        if province is None:
            raise UnknownRegion("not a province of China", region=region)
        regions.append(province)
    return data.model_copy(
        update={"regions": sorted(set(regions)), "capabilities": sorted(set(data.capabilities))}
    )


def _out(row: Carrier) -> CarrierOut:
    return CarrierOut.model_validate(row, from_attributes=True)


def spec_of(c: CarrierOut) -> CarrierSpec:
    """A carrier as the planner takes it."""
    services = tuple(
        ServiceSpec(s.code, s.sla_hours, s.first_weight_grams, s.first_fee, s.additional_fee_per_kg)
        for s in c.services
    )
    return CarrierSpec(
        c.code,
        c.tier,
        frozenset(c.capabilities),
        frozenset(c.regions),
        c.max_weight_grams,
        services,
    )
