"""The tenant a load run drives: stock, a Shopify channel, both gateways on the fake one."""

from __future__ import annotations

from dataclasses import dataclass

from bench.ingest_bench import SHOPIFY_SECRET
from bench.ingest_bench import SKUS as SHOPIFY_SKUS
from bench.payloads import SKUS as ORDER_SKUS
from oms.channels import service as channels
from oms.channels.schemas import ChannelConfigIn
from oms.core.auth import create_tenant
from oms.core.clock import SystemClock
from oms.core.context import Actor
from oms.core.db import make_engine
from oms.core.uow import Database
from oms.inventory.schemas import MovementIn
from oms.inventory.service import record_movement
from oms.payments import service as payments
from oms.payments.schemas import AlipayConfigIn, WechatPayConfigIn
from tests.fixtures.gateways import alipay_config, wechatpay_config

__all__ = ["Target", "prepare_tenant"]


@dataclass(frozen=True, slots=True)
class Target:
    """What the load generator needs to know about the tenant it drives."""

    database_url: str
    tenant_id: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


def prepare_tenant(database_url: str, gateway_url: str) -> Target:
    """A tenant with ample stock, Shopify configured, Alipay and WeChat Pay on the fake."""
    db = Database(make_engine(database_url), SystemClock())
    try:
        tenant = create_tenant(db, name="load bench tenant")
        actor = Actor(tenant.tenant_id, f"api_key:{tenant.admin_key.key_id}", "admin")
        for sku in (*SHOPIFY_SKUS, *ORDER_SKUS):
            record_movement(db, actor, MovementIn(sku=sku, kind="inbound", qty=1_000_000_000))
        channels.configure_channel(
            db, tenant.tenant_id, "shopify", ChannelConfigIn(secret=SHOPIFY_SECRET)
        )
        payments.configure_gateway(db, actor, AlipayConfigIn(**alipay_config(gateway_url)))
        payments.configure_gateway(db, actor, WechatPayConfigIn(**wechatpay_config(gateway_url)))
        return Target(database_url, tenant.tenant_id, tenant.admin_key.api_key)
    finally:
        db.engine.dispose()
