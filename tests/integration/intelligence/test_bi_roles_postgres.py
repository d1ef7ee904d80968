"""Read-only BI roles on PostgreSQL: a tenant's role reads its own rows through ``bi``, no more."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import text

from oms.core.clock import ManualClock
from oms.core.errors import AppError
from oms.core.uow import Database
from oms.intelligence.exports import roles
from oms.orders import service as orders
from tests.fixtures.orders import order_create
from tests.fixtures.tenants import TenantKeys, make_tenant


@pytest.fixture
def two_shops(pg_db: Database, clock: ManualClock) -> Iterator[tuple[TenantKeys, TenantKeys]]:
    mine, theirs = make_tenant(pg_db, name="Mine"), make_tenant(pg_db, name="Theirs")
    for shop, external in ((mine, "m-1"), (mine, "m-2"), (theirs, "t-1")):
        orders.place_order(pg_db, shop.actor(), order_create(external_id=external))
    clock.advance(timedelta(seconds=1))
    yield mine, theirs
    for shop in (mine, theirs):
        roles.revoke_role(pg_db, shop.tenant_id)


def _connect_as(db: Database, role: str) -> psycopg.Connection[tuple[object, ...]]:
    url = db.engine.url
    # The test server trusts local connections; the verifier is checked below instead.
    return psycopg.connect(
        host=url.host or "127.0.0.1", port=url.port or 5432, dbname=url.database, user=role
    )


def test_a_tenants_role_reads_its_own_rows_and_nothing_of_another_tenant(
    pg_db: Database, two_shops: tuple[TenantKeys, TenantKeys]
) -> None:
    mine, theirs = two_shops
    granted = roles.grant_role(pg_db, mine.tenant_id, actor="test")
    assert set(granted["views"]) == {"orders", "order_lines", "payments", "refunds", "shipments"}

    with _connect_as(pg_db, granted["role"]) as conn:
        tenants = conn.execute("SELECT DISTINCT tenant_id FROM bi.orders").fetchall()
        assert tenants == [(mine.tenant_id,)]
        assert conn.execute("SELECT count(*) FROM bi.orders").fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM bi.order_lines").fetchone() == (4,)
        named = conn.execute(
            "SELECT count(*) FROM bi.orders WHERE tenant_id = %s", (theirs.tenant_id,)
        ).fetchone()
        assert named == (0,)
        # The base table directly: row-level security still holds it to the tenant.
        assert conn.execute("SELECT count(*) FROM public.orders").fetchone() == (2,)


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT buyer_phone FROM public.orders",
        "SELECT * FROM public.api_keys",
        "UPDATE public.orders SET total = 0",
        "DELETE FROM public.orders",
        "CREATE TABLE bi.mine (x int)",
    ],
)
def test_the_role_cannot_read_contact_data_or_secrets_nor_write(
    pg_db: Database, two_shops: tuple[TenantKeys, TenantKeys], statement: str
) -> None:
    granted = roles.grant_role(pg_db, two_shops[0].tenant_id, actor="test")
    with _connect_as(pg_db, granted["role"]) as conn, pytest.raises(psycopg.Error) as refused:
        conn.execute(statement)
    assert isinstance(
        refused.value, psycopg.errors.InsufficientPrivilege | psycopg.errors.ReadOnlySqlTransaction
    )


def test_the_password_reaches_postgresql_only_as_a_scram_verifier_and_regrant_rekeys(
    pg_db: Database, two_shops: tuple[TenantKeys, TenantKeys]
) -> None:
    tenant_id = two_shops[0].tenant_id
    first = roles.grant_role(pg_db, tenant_id, actor="test")
    second = roles.grant_role(pg_db, tenant_id, actor="test")
    assert first["role"] == second["role"] and first["password"] != second["password"]
    with pg_db.reader() as session:
        stored = session.execute(
            text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"), {"r": second["role"]}
        ).scalar_one()
    assert second["password"] not in stored
    salt = base64.b64decode(stored.split("$")[1].split(":")[1])
    assert stored == roles.scram_verifier(second["password"], salt=salt)
    with pg_db.reader() as session:
        events = (
            session.execute(
                text(
                    "SELECT event FROM audit_entries WHERE aggregate_id = :t ORDER BY recorded_at"
                ),
                {"t": tenant_id},
            )
            .scalars()
            .all()
        )
    assert "bi.role_granted" in events and "bi.role_rekeyed" in events


def test_an_unknown_tenant_is_refused_and_sqlite_has_no_roles(
    pg_db: Database, db: Database
) -> None:
    with pytest.raises(AppError) as unknown:
        roles.grant_role(pg_db, "00000000-0000-7000-8000-000000000000", actor="test")
    assert unknown.value.code == "ERR_NOT_FOUND"
    if db.engine.dialect.name == "sqlite":
        with pytest.raises(AppError) as unsupported:
            roles.grant_role(db, "00000000-0000-7000-8000-000000000000", actor="test")
        assert unsupported.value.code == "ERR_BI_ROLES_UNSUPPORTED"


def test_an_application_role_that_does_not_own_the_tables_still_sees_every_tenant(
    pg_db: Database, two_shops: tuple[TenantKeys, TenantKeys]
) -> None:
    role = "oms_app_not_owner"
    with pg_db.engine.begin() as conn:
        conn.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        conn.exec_driver_sql(f"GRANT SELECT, UPDATE ON public.orders TO {role}")
    try:
        with _connect_as(pg_db, role) as conn:
            assert conn.execute("SELECT count(*) FROM public.orders").fetchone() == (3,)
            conn.execute("UPDATE public.orders SET note = note")  # writes pass the policy too
    finally:
        with pg_db.engine.begin() as conn:
            conn.exec_driver_sql(f"REVOKE ALL ON public.orders FROM {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")
