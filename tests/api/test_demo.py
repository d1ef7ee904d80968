"""``oms demo``: the JSON contract other tests rely on, and a tenant that shows every
capability (a login per role, Alipay payments for every paid order, every SLA colour, every
ticket kind, a matched statement, webhook deliveries, product names, channel names)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from oms.app import create_app
from oms.config import Settings
from oms.core.clock import SystemClock
from oms.core.db import make_engine
from oms.core.uow import Database
from oms.demo import ROLES
from oms.demo.catalogue import CHANNELS, PRODUCTS, SCARCE
from oms.tickets.states import TicketKind
from tests.fixtures.paging import walk
from tests.fixtures.users import submit_login

OMS = Path(sys.executable).parent / "oms"


@dataclass(frozen=True)
class Demo:
    printed: dict[str, str]
    again: str
    client: TestClient

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.printed['admin_api_key']}"}

    def all(self, url: str, **params: str) -> list[dict[str, Any]]:
        return walk(self.client, url, self.headers(), limit=200, params=params)[0]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    workdir = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{workdir / 'oms.db'}"
    env = os.environ | {"OMS_DATABASE_URL": url}

    def oms(*args: str) -> str:
        done = subprocess.run(
            [str(OMS), *args], cwd=workdir, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout

    oms("migrate")
    printed = json.loads(oms("demo", "--if-empty"))  # stdout is the JSON alone
    again = oms("demo", "--if-empty")
    db = Database(make_engine(url), SystemClock())
    app = create_app(Settings(env="test", database_url=url, embedded_worker=False), db=db)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Demo(printed, again, client)


def test_the_demo_prints_the_tenant_the_keys_and_a_login_per_role(demo: Demo) -> None:
    keys = {"tenant_id", "admin_api_key", "ops_api_key"}
    keys |= {f"{role}_{part}" for role in ROLES for part in ("email", "password")}
    assert set(demo.printed) == keys and all(demo.printed.values())
    assert set(ROLES) == {"admin", "ops", "service", "finance", "warehouse"}
    for role in ROLES:  # a second run keeps the data and prints the same logins
        assert f"({role}): {demo.printed[f'{role}_email']} / " in demo.again


@pytest.mark.parametrize("role", ROLES)
def test_each_role_signs_in_to_the_console(demo: Demo, role: str) -> None:
    client = TestClient(demo.client.app)
    email, password = demo.printed[f"{role}_email"], demo.printed[f"{role}_password"]
    assert submit_login(client, email, password).status_code == 303
    assert client.get("/console/orders").status_code == 200


def test_every_paid_order_has_a_confirmed_alipay_payment(demo: Demo) -> None:
    orders = demo.all("/api/v1/orders")
    payments = demo.all("/api/v1/payments")
    assert len(orders) >= 40 and payments
    confirmed = {p["order_id"] for p in payments if p["status"] == "confirmed"}
    paid = {o["id"] for o in orders if o["paid_at"] is not None}
    assert paid and paid <= confirmed
    assert {p["gateway"] for p in payments} == {"alipay"}


def test_sixty_days_of_history_spread_over_days_and_hours(demo: Demo) -> None:
    orders = demo.all("/api/v1/orders")
    days = {o["created_at"][:10] for o in orders}
    hours = {o["created_at"][11:13] for o in orders}
    assert len(days) >= 25 and len(hours) >= 8
    statuses = {o["status"] for o in orders}
    assert {"pending_payment", "paid", "shipped", "delivered", "completed", "cancelled"} <= statuses


def test_the_sla_board_shows_every_colour(demo: Demo) -> None:
    board = demo.client.get("/api/v1/refunds/sla", headers=demo.headers())
    assert board.status_code == 200
    colours = {item["colour"] for item in board.json()["items"]}
    assert colours == {"green", "yellow", "orange", "red"}


def test_there_is_a_ticket_of_each_kind_the_stories_tell(demo: Demo) -> None:
    kinds = {t["kind"] for t in demo.all("/api/v1/tickets")}
    told = {
        TicketKind.STOCK_SHORTAGE,
        TicketKind.PAYMENT_MISMATCH,
        TicketKind.PAYMENT_ORPHANED,
        TicketKind.STATUS_CONFLICT,
    }
    assert told <= kinds


def test_the_statement_has_auto_confirmed_and_review_lines(demo: Demo) -> None:
    statements = demo.all("/api/v1/finance/statements")
    assert len(statements) == 1
    lines = demo.all(f"/api/v1/finance/statements/{statements[0]['id']}/lines")
    statuses = {line["status"] for line in lines}
    assert {"matched", "review"} <= statuses


def test_webhooks_were_delivered_and_one_endpoint_fails(demo: Demo) -> None:
    deliveries = demo.all("/api/v1/webhooks/deliveries")
    assert {"succeeded"} <= {d["status"] for d in deliveries}
    assert any(d["attempts"] and d["status"] != "succeeded" for d in deliveries)


def test_every_sku_has_a_product_name_and_channels_are_the_big_platforms(demo: Demo) -> None:
    names = {sku: name for sku, name, _ in [*PRODUCTS, SCARCE]}
    orders = demo.all("/api/v1/orders")
    for order in orders:
        for line in order["lines"]:
            assert line["name"] == names[line["sku"]]
    assert {o["channel"] for o in orders} <= set(CHANNELS)
    assert set(CHANNELS) == {"tmall", "jd", "douyin", "youzan", "pinduoduo"}
