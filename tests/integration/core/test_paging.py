"""core.paging: keyset pages behind opaque cursors, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from oms.core.errors import ValidationFailed
from oms.core.models import Tenant
from oms.core.paging import PageRequest, decode_cursor, encode_cursor, fetch_all, fetch_page
from oms.core.uow import Database

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _seed(db: Database, count: int) -> list[str]:
    ids = [f"page-{i:03d}" for i in range(count)]
    with db.uow() as uow:
        for i, tenant_id in enumerate(ids):
            # Pairs share a timestamp, so the id tie-break is exercised.
            uow.session.add(
                Tenant(
                    id=tenant_id,
                    name=tenant_id,
                    timezone="UTC",
                    payment_timeout_seconds=60,
                    created_at=T0 + timedelta(seconds=i // 2),
                )
            )
        uow.commit()
    return ids


def _walk(db: Database, limit: int, *, descending: bool) -> tuple[list[str], list[bool]]:
    seen: list[str] = []
    flags: list[bool] = []
    cursor: str | None = None
    while True:
        with db.reader() as session:
            page = fetch_page(
                session,
                select(Tenant.id).where(Tenant.id.like("page-%")),
                [Tenant.created_at, Tenant.id],
                PageRequest(limit=limit, cursor=cursor),
                scope="test:tenants",
                descending=descending,
            )
        seen += [row[0] for row in page.rows]
        flags.append(page.has_more)
        cursor = page.next_cursor
        if cursor is None:
            return seen, flags


@pytest.mark.parametrize("descending", [False, True])
def test_pages_visit_every_row_once_in_key_order(db: Database, descending: bool) -> None:
    ids = _seed(db, 11)
    seen, flags = _walk(db, 4, descending=descending)
    assert seen == (list(reversed(ids)) if descending else ids)
    assert flags == [True, True, False]


@pytest.mark.parametrize("descending", [False, True])
def test_the_unpaged_list_holds_what_the_pages_walk_in_the_same_order(
    db: Database, descending: bool
) -> None:
    _seed(db, 7)
    walked, _ = _walk(db, 3, descending=descending)
    stmt = select(Tenant).where(Tenant.id.like("page-%"))
    keys = (Tenant.created_at, Tenant.id)
    with db.reader() as session:
        whole = fetch_all(session, stmt, keys, lambda t: t.id, descending=descending)
        first = fetch_all(session, stmt, keys, lambda t: t.id, limit=2, descending=descending)
    assert whole == walked
    assert first == walked[:2]


def test_an_exactly_full_last_page_says_there_is_no_more(db: Database) -> None:
    _seed(db, 8)
    seen, flags = _walk(db, 4, descending=False)
    assert len(seen) == 8 and flags == [True, False]


def test_a_cursor_round_trips_its_typed_values() -> None:
    cursor = encode_cursor("x", [T0, date(2026, 3, 1), "abc", 7])
    assert decode_cursor(cursor, scope="x", arity=4) == [T0, date(2026, 3, 1), "abc", 7]


@pytest.mark.parametrize(
    "cursor",
    ["not-a-cursor", "", encode_cursor("other-list", [T0, "a"]), encode_cursor("x", [T0])],
)
def test_a_forged_or_foreign_cursor_is_a_validation_error(cursor: str) -> None:
    with pytest.raises(ValidationFailed):
        decode_cursor(cursor, scope="x", arity=2)
