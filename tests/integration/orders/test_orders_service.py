"""Order use cases through the real unit of work, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from oms.core import outbox as outbox_module
from oms.core.clock import ManualClock
from oms.core.errors import Forbidden
from oms.core.models import AuditEntry, OutboxMessage
from oms.core.uow import Database
from oms.orders import queries, service
from oms.orders.errors import IllegalTransition, InvalidAmounts, OrderNotFound, VersionMismatch
from oms.orders.models import Order, OrderLine
from oms.orders.schemas import OrderEventIn
from oms.orders.states import OrderStatus
from tests.fixtures.orders import order_create
from tests.fixtures.tenants import TenantKeys


def _count(db: Database, model: type, **where: str) -> int:
    with db.reader() as session:
        stmt = select(func.count()).select_from(model)
        for column, value in where.items():
            stmt = stmt.where(getattr(model, column) == value)
        return int(session.scalar(stmt) or 0)


def _topics(db: Database) -> list[str]:
    with db.reader() as session:
        return list(session.scalars(select(OutboxMessage.topic).order_by(OutboxMessage.id)))


def _event(event: str, **kwargs: object) -> OrderEventIn:
    return OrderEventIn.model_validate({"event": event, **kwargs})


def test_placing_an_order_stores_it_with_totals_and_publishes_it(
    db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    placed = service.place_order(db, tenant.actor(), order_create(external_id="TM-1"))
    order = placed.order
    assert placed.created
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.version == 1
    assert order.totals.subtotal == 2 * 32800 + 6900
    assert order.totals.total == 2 * 32800 + 6900 + 1000 - 500
    assert len(order.order_no) == 18 and order.order_no.isdigit()
    assert order.payment_due_at == clock.now() + timedelta(minutes=15)
    assert _topics(db) == ["order.created", "order.payment_timeout_due"]
    timeline = queries.order_timeline(db, tenant.tenant_id, order.id)
    assert [(e.event, e.outcome, e.to_status) for e in timeline] == [
        ("create", "applied", "pending_payment")
    ]


def test_the_same_external_id_twice_gives_one_order_and_records_the_attempt(
    db: Database, tenant: TenantKeys
) -> None:
    first = service.place_order(db, tenant.actor(), order_create(external_id="TM-7"))
    second = service.place_order(db, tenant.actor(), order_create(external_id="TM-7"))
    assert not second.created
    assert second.order.id == first.order.id
    assert _count(db, Order) == 1
    outcomes = [e.outcome for e in queries.order_timeline(db, tenant.tenant_id, first.order.id)]
    assert outcomes == ["applied", "duplicate"]


def test_the_same_external_id_on_another_channel_is_another_order(
    db: Database, tenant: TenantKeys
) -> None:
    service.place_order(db, tenant.actor(), order_create(external_id="X-1"))
    service.place_order(db, tenant.actor(), order_create(external_id="X-1", channel="jd"))
    assert _count(db, Order) == 2


def test_a_discount_above_the_total_is_refused_and_nothing_is_written(
    db: Database, tenant: TenantKeys
) -> None:
    with pytest.raises(InvalidAmounts):
        service.place_order(db, tenant.actor(), order_create(discount=10**9))
    assert _count(db, Order) == _count(db, AuditEntry) == _count(db, OutboxMessage) == 0


def test_a_use_case_that_fails_before_commit_leaves_no_row_and_no_message(
    db: Database, tenant: TenantKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_add = outbox_module.add
    calls = {"n": 0}

    def add_then_fail(*args: object, **kwargs: object) -> str:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real_add(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(outbox_module, "add", add_then_fail)
    with pytest.raises(RuntimeError):
        service.place_order(db, tenant.actor(), order_create())
    for model in (Order, OrderLine, AuditEntry, OutboxMessage):
        assert _count(db, model) == 0, model


def test_paying_moves_the_order_and_stamps_the_time(
    db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    order = service.place_order(db, tenant.actor(), order_create()).order
    clock.advance(timedelta(minutes=3))
    result = service.apply_event(
        db, tenant.actor(), order.id, _event("pay", source="gateway:alipay")
    )
    assert result.outcome == "applied"
    assert result.order.status == OrderStatus.PAID
    assert result.order.version == 2
    assert result.order.paid_at == clock.now()
    assert _topics(db)[-1] == "order.status_changed"


def test_a_redelivered_event_is_a_duplicate_with_no_second_effect(
    db: Database, tenant: TenantKeys
) -> None:
    order = service.place_order(db, tenant.actor(), order_create()).order
    pay = _event("pay", source="gateway:alipay")
    service.apply_event(db, tenant.actor(), order.id, pay)
    again = service.apply_event(db, tenant.actor(), order.id, pay)
    assert again.duplicate and not again.stale
    assert again.order.version == 2
    assert _topics(db).count("order.status_changed") == 1
    outcomes = [e.outcome for e in queries.order_timeline(db, tenant.tenant_id, order.id)]
    assert outcomes == ["applied", "applied", "duplicate"]


def test_an_illegal_event_is_refused_recorded_and_names_the_status(
    db: Database, tenant: TenantKeys
) -> None:
    order = service.place_order(db, tenant.actor(), order_create()).order
    service.apply_event(db, tenant.actor(), order.id, _event("cancel", source="crm"))
    with pytest.raises(IllegalTransition) as raised:
        service.apply_event(db, tenant.actor(), order.id, _event("ship", source="erp:wdt"))
    assert raised.value.details["current_status"] == "cancelled"
    last = queries.order_timeline(db, tenant.tenant_id, order.id)[-1]
    assert (last.event, last.outcome, last.error_code, last.source) == (
        "ship",
        "rejected",
        "ERR_ORDER_ILLEGAL_TRANSITION",
        "erp:wdt",
    )
    assert queries.get_order(db, tenant.tenant_id, order.id).version == 2


def test_a_stale_expected_version_is_refused_and_changes_nothing(
    db: Database, tenant: TenantKeys
) -> None:
    order = service.place_order(db, tenant.actor(), order_create()).order
    service.apply_event(db, tenant.actor(), order.id, _event("pay"))
    with pytest.raises(VersionMismatch) as raised:
        service.apply_event(db, tenant.actor(), order.id, _event("hold", expected_version=1))
    assert raised.value.details["current_version"] == 2
    assert queries.get_order(db, tenant.tenant_id, order.id).status == OrderStatus.PAID


def test_an_event_older_than_the_last_from_its_source_is_recorded_and_ignored(
    db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    order = service.place_order(db, tenant.actor(), order_create()).order
    now = clock.now()
    service.apply_event(db, tenant.actor(), order.id, _event("pay", source="erp", occurred_at=now))
    late = _event("cancel", source="erp", occurred_at=now - timedelta(minutes=5))
    result = service.apply_event(db, tenant.actor(), order.id, late)
    assert result.stale and result.order.status == OrderStatus.PAID
    assert queries.order_timeline(db, tenant.tenant_id, order.id)[-1].outcome == "stale"


def test_a_role_without_the_permission_is_refused_and_recorded(
    db: Database, tenant: TenantKeys
) -> None:
    order = service.place_order(db, tenant.actor(), order_create()).order
    with pytest.raises(Forbidden):
        service.apply_event(db, tenant.actor("warehouse"), order.id, _event("pay"))
    last = queries.order_timeline(db, tenant.tenant_id, order.id)[-1]
    assert (last.outcome, last.error_code, last.actor) == (
        "rejected",
        "ERR_AUTH_FORBIDDEN",
        "test:warehouse",
    )


def test_another_tenants_order_is_not_found(
    db: Database, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    order = service.place_order(db, tenant.actor(), order_create()).order
    with pytest.raises(OrderNotFound):
        queries.get_order(db, other_tenant.tenant_id, order.id)
    with pytest.raises(OrderNotFound):
        service.apply_event(db, other_tenant.actor(), order.id, _event("cancel"))
    with pytest.raises(OrderNotFound):
        queries.order_timeline(db, other_tenant.tenant_id, order.id)


def test_an_unpaid_order_reads_as_cancelled_at_its_deadline_without_any_job(
    db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    order = service.place_order(db, tenant.actor(), order_create()).order
    clock.advance(timedelta(minutes=15))
    seen = queries.get_order(db, tenant.tenant_id, order.id)
    assert seen.status == OrderStatus.CANCELLED and seen.timeout_pending
    assert seen.cancelled_at == order.payment_due_at
    one_second_early = timedelta(minutes=15) - timedelta(seconds=1)
    clock.advance(-timedelta(minutes=15) + one_second_early)
    assert queries.get_order(db, tenant.tenant_id, order.id).status == OrderStatus.PENDING_PAYMENT


def test_a_payment_after_the_deadline_finds_the_order_cancelled_by_timeout(
    db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    order = service.place_order(db, tenant.actor(), order_create()).order
    clock.advance(timedelta(minutes=20))
    with pytest.raises(IllegalTransition):
        service.apply_event(db, tenant.actor(), order.id, _event("pay", source="gateway:alipay"))
    timeline = queries.order_timeline(db, tenant.tenant_id, order.id)
    assert [(e.event, e.outcome, e.source) for e in timeline[1:]] == [
        ("payment_timeout", "applied", "system:payment-timeout"),
        ("pay", "rejected", "gateway:alipay"),
    ]
    assert timeline[1].occurred_at == order.payment_due_at


def test_the_tenant_setting_sets_the_payment_deadline(db: Database, clock: ManualClock) -> None:
    from tests.fixtures.tenants import make_tenant

    patient = make_tenant(db, name="Patient Shop", payment_timeout_seconds=3600)
    order = service.place_order(db, patient.actor(), order_create()).order
    assert order.payment_due_at == clock.now() + timedelta(hours=1)


def test_search_finds_orders_by_phone_suffix_order_number_and_external_id(
    db: Database, tenant: TenantKeys
) -> None:
    wang = service.place_order(db, tenant.actor(), order_create(external_id="EXT-9")).order
    other = order_create(buyer={"name": "李娜", "phone": "139-1234-5678"})
    li = service.place_order(db, tenant.actor(), other).order

    def search(q: str) -> list[str]:
        flt = queries.OrderFilter(q=q)
        page = queries.list_orders(db, tenant.tenant_id, flt, overlap_s=2).page
        return [o.id for o in page.items]

    assert search("8000") == [wang.id]
    assert search("5678") == [li.id]
    assert search(li.order_no) == [li.id]
    assert search("EXT-9") == [wang.id]
    assert search("0000") == []
