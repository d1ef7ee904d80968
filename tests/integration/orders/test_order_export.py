"""The orders export reads in batches and streams: it starts before the last row is read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

import pytest

from oms.console import order_export
from oms.core.clock import ManualClock
from oms.core.uow import Database
from oms.orders import queries, service
from oms.orders.queries import ExportRow, OrderFilter
from oms.orders.schemas import OrderEventIn
from oms.orders.states import OrderEvent, OrderStatus
from tests.fixtures.orders import order_create
from tests.fixtures.tenants import TenantKeys


def _place(db: Database, tenant: TenantKeys, clock: ManualClock, count: int) -> list[str]:
    numbers = []
    for _ in range(count):
        numbers.append(service.place_order(db, tenant.actor(), order_create()).order.order_no)
        clock.advance(timedelta(seconds=1))
    return numbers


def _count_readers(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    opened = [0]
    reader = db.list_reader

    def counting() -> AbstractContextManager[Any]:
        opened[0] += 1
        return reader()

    monkeypatch.setattr(db, "list_reader", counting)
    return opened


def test_export_rows_come_a_batch_at_a_time_in_the_lists_order(
    db: Database, tenant: TenantKeys, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = _place(db, tenant, clock, 5)
    opened = _count_readers(db, monkeypatch)
    rows = queries.iter_export_rows(db, tenant.tenant_id, OrderFilter(sort="created_at"), batch=2)
    first = next(rows)
    assert first.order_no == numbers[0] and opened[0] == 1  # one batch read, not five rows
    rest = list(rows)
    assert [r.order_no for r in rest] == numbers[1:]
    assert opened[0] == 3  # 2 + 2 + 1


def test_export_rows_are_tenant_scoped_and_filtered_in_sql(
    db: Database, tenant: TenantKeys, other_tenant: TenantKeys, clock: ManualClock
) -> None:
    mine = _place(db, tenant, clock, 2)
    _place(db, other_tenant, clock, 2)
    order = queries.find_by_order_no(db, tenant.tenant_id, mine[1])
    assert order is not None
    service.apply_event(db, tenant.actor(), order.id, OrderEventIn(event=OrderEvent.PAY))
    flt = OrderFilter(statuses=[OrderStatus.PAID])
    rows = list(queries.iter_export_rows(db, tenant.tenant_id, flt))
    assert [(r.order_no, r.status, r.paid_at is not None) for r in rows] == [
        (mine[1], OrderStatus.PAID, True)
    ]


def _rows(count: int, pulled: list[int]) -> Iterator[ExportRow]:
    for number in range(count):
        pulled[0] += 1
        yield ExportRow(
            order_no=f"N{number}",
            external_id=None,
            status=OrderStatus.PAID,
            channel="tmall",
            buyer_name="王芳",
            buyer_phone=None,
            currency="CNY",
            total=100,
            created_at=ManualClock().now(),
            paid_at=None,
            shipped_at=None,
        )


def test_the_csv_is_yielded_in_chunks_before_every_row_is_read() -> None:
    pulled = [0]
    total = order_export.FLUSH_ROWS * 3 + 1
    chunks = order_export.csv_chunks(_rows(total, pulled), timezone="Asia/Shanghai", gettext=str)
    header = next(chunks)
    assert header.startswith("\ufeff".encode()) and pulled[0] == 0
    first = next(chunks)
    assert first.count(b"\r\n") == order_export.FLUSH_ROWS
    assert pulled[0] == order_export.FLUSH_ROWS  # the rest is not read yet
    assert sum(chunk.count(b"\r\n") for chunk in chunks) == total - order_export.FLUSH_ROWS
