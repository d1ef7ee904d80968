"""Deliveries through the use case: the raw message is recorded whatever the verdict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from oms.channels import service
from oms.channels.errors import ChannelError
from oms.channels.models import ChannelConfig
from oms.channels.schemas import ChannelConfigIn
from oms.cli import app
from oms.config import get_settings
from oms.core.models import InboxMessage
from oms.core.uow import Database
from tests.fixtures.channel_deliveries import SAMPLES, SHOPIFY_SECRET, sample, shopify
from tests.fixtures.tenants import TenantKeys


def _rows(db: Database) -> list[InboxMessage]:
    with db.reader() as session:
        return list(session.scalars(select(InboxMessage).order_by(InboxMessage.received_at)))


@pytest.mark.parametrize(
    ("channel", "tenant_id", "code"),
    [
        ("wish", None, "ERR_CHANNEL_UNKNOWN"),
        ("shopify", "nobody", "ERR_CHANNEL_TENANT_UNKNOWN"),
        ("youzan", None, "ERR_CHANNEL_NOT_CONFIGURED"),
    ],
)
def test_refused_deliveries_stay_recorded_raw(
    db: Database, tenant: TenantKeys, channel: str, tenant_id: str | None, code: str
) -> None:
    headers, body = shopify(sample("shopify_orders_create.json"), webhook_id="r-1")
    with pytest.raises(ChannelError) as refused:
        service.receive_webhook(
            db, channel=channel, tenant_id=tenant_id or tenant.tenant_id, headers=headers, body=body
        )
    assert refused.value.code == code
    [row] = _rows(db)
    assert (row.source, row.verification, row.error_code, row.body) == (
        f"channel:{channel}",
        "rejected",
        code,
        body,
    )
    assert row.headers["x-shopify-topic"] == "orders/create"


def test_the_secret_is_stored_sealed(db: Database, tenant: TenantKeys) -> None:
    service.configure_channel(
        db, tenant.tenant_id, "shopify", ChannelConfigIn(secret=SHOPIFY_SECRET)
    )
    with db.reader() as session:
        config = session.get(ChannelConfig, (tenant.tenant_id, "shopify"))
    assert config is not None
    assert SHOPIFY_SECRET not in config.secret_sealed and config.secret_sealed.startswith("v1:")


def test_channels_map_prints_the_order_a_sample_becomes() -> None:
    result = CliRunner().invoke(
        app,
        [
            "channels",
            "map",
            "--connector",
            "shopify",
            str(SAMPLES / "shopify_orders_updated_paid.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (out["external_id"], out["events"]) == ("5829474156822", ["pay"])
    assert [line["unit_price"] for line in out["order"]["lines"]] == [32800, 6900]
    youzan = CliRunner().invoke(
        app, ["channels", "map", "--connector", "youzan", str(SAMPLES / "youzan_push_paid.json")]
    )
    assert json.loads(youzan.output)["order"]["shipping_fee"] == 1000
    unknown = CliRunner().invoke(
        app, ["channels", "map", "--connector", "ebay", str(SAMPLES / "youzan_push_paid.json")]
    )
    assert unknown.exit_code == 2 and "ERR_CHANNEL_UNKNOWN" in unknown.output


def test_configure_and_check_from_the_command_line(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from oms.core.clock import ManualClock
    from tests.fixtures.databases import clear_tables
    from tests.fixtures.tenants import make_tenant

    clear_tables(sqlite_engine)
    db = Database(sqlite_engine, ManualClock())
    tenant = make_tenant(db, stocked=False)
    monkeypatch.setenv("OMS_DATABASE_URL", str(sqlite_engine.url))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        configured = runner.invoke(
            app,
            [
                "channels",
                "configure",
                "--tenant",
                tenant.tenant_id,
                "--channel",
                "shopify",
                "--secret",
                SHOPIFY_SECRET,
            ],
        )
        assert configured.exit_code == 0, configured.output
        assert SHOPIFY_SECRET not in configured.output
        assert json.loads(configured.output)["secret_configured"] is True
        checked = runner.invoke(app, ["channels", "check", "--tenant", tenant.tenant_id])
        assert checked.exit_code == 0, checked.output
        [channel] = json.loads(checked.stdout)["channels"]
        assert channel["channel"] == "shopify"
        assert [f["check"] for f in channel["findings"]] == ["last_delivery"]
        # The old word stays for one release and says it is deprecated.
        old = runner.invoke(app, ["webhooks", "check", "--tenant", tenant.tenant_id])
        assert old.exit_code == 0, old.output
        assert "oms channels check" in old.stderr
        assert json.loads(old.stdout)["channels"][0]["channel"] == "shopify"
    finally:
        get_settings.cache_clear()
