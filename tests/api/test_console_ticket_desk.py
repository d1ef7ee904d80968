"""A shipment-mismatch ticket's page shows what was expected against what was shipped."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from oms.core.uow import Database
from tests.api.test_shipments_api import _paid_order, _ship
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.users import console_user, log_in


def test_a_shipment_mismatch_ticket_shows_expected_against_shipped_in_both_languages(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order_id = _paid_order(client, tenant)
    body = _ship(client, tenant, order_id, [("TEA-LJ-250", 2), ("MUG-1", 1)]).json()
    url = f"/console/tickets/{body['ticket_id']}"
    log_in(client, console_user(db, tenant.tenant_id, "warehouse"))
    html = client.get(url).text
    table = html.split('id="shipment-differences"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r'<tr data-sku="([^"]+)" data-kind="([^"]+)">', table)
    assert sorted(rows) == [("CUP-GLS-300", "missing_line"), ("MUG-1", "extra_line")]
    assert "应发与实发" in table and "出库单缺少此行" in table and "实发但订单中没有" in table
    missing = table.split('data-sku="CUP-GLS-300"', 1)[1].split("</tr>", 1)[0]
    assert 'data-field="expected">1<' in missing and 'data-field="shipped">0<' in missing
    client.post("/console/logout", data={})
    log_in(client, console_user(db, tenant.tenant_id, "ops", locale="en"))
    english = client.get(url).text
    assert "Expected vs shipped" in english and "Shipped but never ordered" in english
