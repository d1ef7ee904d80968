"""Demo data for ``make run``: a tea shop with realistic orders in every status.

Everything goes through the real use cases, so the demo's timelines look like production's.
"""

from __future__ import annotations

import json
import random
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from oms.core.auth import Role, create_api_key, create_tenant
from oms.core.context import Actor
from oms.core.models import Tenant
from oms.core.uow import Database
from oms.inventory import service as inventory
from oms.inventory.schemas import MovementIn, WarehouseIn
from oms.inventory.states import MovementKind
from oms.orders import service
from oms.orders.schemas import Address, Buyer, OrderCreate, OrderEventIn, OrderLineIn
from oms.orders.states import OrderEvent
from oms.users.errors import EmailTaken
from oms.users.service import create_user

__all__ = ["DemoCredentials", "create_demo", "has_tenants", "load_credentials", "save_credentials"]

_PRODUCTS = [
    ("TEA-LJ-250", "西湖龙井 250g 明前特级", 32800),
    ("TEA-PE-357", "云南普洱 357g 熟茶饼", 19800),
    ("TEA-TG-500", "安溪铁观音 500g 浓香型", 25800),
    ("TEA-BC-100", "福鼎白茶 100g 白毫银针", 45800),
    ("SET-GIFT-01", "中秋茶礼盒 四款装", 59900),
    ("CUP-GLS-300", "双层玻璃茶杯 300ml", 6900),
]
_BUYERS = [
    ("王芳", "13800138000", "浙江省", "杭州市", "西湖区", "文三路 90 号 3 幢 501"),
    ("李娜", "13912345678", "上海市", "上海市", "浦东新区", "张江路 88 弄 6 号 1202"),
    ("张伟", "15011112222", "广东省", "深圳市", "南山区", "科技园南区 8 栋 701"),
    ("刘洋", "18622223333", "北京市", "北京市", "朝阳区", "望京 SOHO T2 1808"),
    ("陈静", "13733334444", "四川省", "成都市", "武侯区", "天府大道北段 966 号"),
]
_CHANNELS = ["tmall", "jd", "douyin", "youzan", "pos:store-12"]
# The events each demo order goes through, after it is placed.
_PATHS: list[list[OrderEvent]] = [
    [],
    [OrderEvent.PAY],
    [OrderEvent.PAY, OrderEvent.HOLD],
    [OrderEvent.PAY, OrderEvent.PARTIAL_SHIP],
    [OrderEvent.PAY, OrderEvent.SHIP],
    [OrderEvent.PAY, OrderEvent.SHIP, OrderEvent.DELIVER],
    [OrderEvent.PAY, OrderEvent.SHIP, OrderEvent.DELIVER, OrderEvent.COMPLETE],
    [OrderEvent.CANCEL],
    [OrderEvent.PAY, OrderEvent.SHIP, OrderEvent.DELIVER, OrderEvent.CLOSE],
]
_SOURCES = {
    OrderEvent.PAY: "gateway:alipay",
    OrderEvent.SHIP: "erp:wangdiantong",
    OrderEvent.PARTIAL_SHIP: "erp:wangdiantong",
    OrderEvent.DELIVER: "carrier:sf-express",
    OrderEvent.HOLD: "risk:rules",
    OrderEvent.CANCEL: "crm:service-desk",
}


@dataclass(frozen=True, slots=True)
class DemoCredentials:
    tenant_id: str
    admin_api_key: str
    ops_api_key: str
    # Console logins (absent in files written before the console existed).
    ops_email: str = ""
    ops_password: str = ""
    warehouse_email: str = ""
    warehouse_password: str = ""


def has_tenants(db: Database) -> bool:
    with db.reader() as session:
        return bool(session.scalar(select(func.count()).select_from(Tenant)))


def create_demo(db: Database, *, orders: int = 36, seed: int = 7) -> DemoCredentials:
    """Create the demo tenant, its keys, two console users and ``orders`` sample orders."""
    tenant = create_tenant(db, name="茶语小铺 Demo Tea House")
    ops = create_api_key(db, tenant_id=tenant.tenant_id, role=Role.OPS.value, name="demo ops")
    actor = Actor(tenant.tenant_id, f"apikey:{tenant.admin_key.key_id}", "admin")
    rng = random.Random(seed)
    _stock_warehouses(db, actor)
    for index in range(orders):
        placed = service.place_order(db, actor, _demo_order(rng, index))
        for event in _PATHS[index % len(_PATHS)]:
            command = OrderEventIn(event=event, source=_SOURCES.get(event, "console"))
            service.apply_event(db, actor, placed.order.id, command)
    ops_login = _demo_user(db, tenant.tenant_id, Role.OPS)
    warehouse_login = _demo_user(db, tenant.tenant_id, Role.WAREHOUSE)
    return DemoCredentials(
        tenant.tenant_id, tenant.admin_key.api_key, ops.api_key, *ops_login, *warehouse_login
    )


def _stock_warehouses(db: Database, actor: Actor) -> None:
    """Two warehouses with every product, one product short, so the stock page has a story."""
    inventory.create_warehouse(db, actor, WarehouseIn(code="hz", name="杭州主仓", priority=1))
    inventory.create_warehouse(db, actor, WarehouseIn(code="gz", name="广州分仓", priority=2))
    for sku, _name, _price in _PRODUCTS:
        for warehouse, qty in (("hz", 60), ("gz", 40)):
            movement = MovementIn(
                sku=sku, warehouse=warehouse, kind=MovementKind.INBOUND, qty=qty, reason="期初入库"
            )
            inventory.record_movement(db, actor, movement)


def _demo_user(db: Database, tenant_id: str, role: Role) -> tuple[str, str]:
    """A console login with a random password; e-mails are global, so a second demo tenant
    gets addressed ones (``ops+<tenant>@demo.oms``)."""
    password = secrets.token_urlsafe(12)
    for email in (f"{role.value}@demo.oms", f"{role.value}+{tenant_id[-8:]}@demo.oms"):
        try:
            create_user(db, tenant_id=tenant_id, email=email, password=password, role=role.value)
        except EmailTaken:
            continue
        return email, password
    raise EmailTaken(email=email)


def _demo_order(rng: random.Random, index: int) -> OrderCreate:
    name, phone, province, city, district, street = rng.choice(_BUYERS)
    picks = rng.sample(_PRODUCTS, k=rng.randint(1, 3))
    channel = _CHANNELS[index % len(_CHANNELS)]
    return OrderCreate(
        channel=channel,
        external_id=None if channel.startswith("pos") else f"{channel.upper()}{7_000_000 + index}",
        buyer=Buyer(id=f"buyer-{phone[-4:]}", name=name, phone=phone),
        shipping_address=Address(
            name=name, phone=phone, province=province, city=city, district=district, line1=street
        ),
        lines=[
            OrderLineIn(sku=s, name=n, qty=rng.randint(1, 3), unit_price=p) for s, n, p in picks
        ],
        shipping_fee=rng.choice([0, 0, 1000]),
    )


def save_credentials(path: Path, credentials: DemoCredentials) -> None:
    """Keep the demo keys next to the demo database (owner-only), to print them on start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_as_dict(credentials), indent=2))
    path.chmod(0o600)


def load_credentials(path: Path) -> DemoCredentials | None:
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return DemoCredentials(
        data["tenant_id"],
        data["admin_api_key"],
        data["ops_api_key"],
        data.get("ops_email", ""),
        data.get("ops_password", ""),
        data.get("warehouse_email", ""),
        data.get("warehouse_password", ""),
    )


def _as_dict(credentials: DemoCredentials) -> dict[str, str]:
    return {
        "tenant_id": credentials.tenant_id,
        "admin_api_key": credentials.admin_api_key,
        "ops_api_key": credentials.ops_api_key,
        "ops_email": credentials.ops_email,
        "ops_password": credentials.ops_password,
        "warehouse_email": credentials.warehouse_email,
        "warehouse_password": credentials.warehouse_password,
    }
