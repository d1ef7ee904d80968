"""Demo data for ``make run``: a tea shop with sixty days of history and every capability.

Everything goes through the real use cases at past instants (see ``history``), so the demo's
timelines, SLA ages, payments and statements look like production's.
"""

from __future__ import annotations

import json
import random
import secrets
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from oms.config import Settings, get_settings
from oms.core.auth import Role, create_api_key, create_tenant
from oms.core.clock import ManualClock
from oms.core.context import Actor
from oms.core.jobs import Worker
from oms.core.models import Tenant
from oms.core.uow import Database
from oms.demo import scenes
from oms.demo.alipay_sandbox import AlipaySandbox
from oms.demo.catalogue import PRODUCTS
from oms.demo.history import DAYS, Story, steps_for_age
from oms.inventory import service as inventory
from oms.inventory.schemas import MovementIn, WarehouseIn
from oms.inventory.states import MovementKind
from oms.payments.schemas import AlipayConfigIn
from oms.payments.service import configure_gateway
from oms.users.errors import EmailTaken
from oms.users.service import create_user

__all__ = [
    "ROLES",
    "DemoCredentials",
    "create_demo",
    "has_tenants",
    "load_credentials",
    "save_credentials",
]

# One console login per role, in the order ``make run`` prints them.
ROLES = ("admin", "ops", "service", "finance", "warehouse")
_ZONE = "Asia/Shanghai"
# Long enough that the shortage story (pay after the hold lapsed) is still payable.
_PAYMENT_TIMEOUT = 1800
_DRAIN_ROUNDS = 200


@dataclass(frozen=True, slots=True)
class DemoCredentials:
    """What ``oms demo`` prints: the tenant, its keys and a login per role."""

    tenant_id: str
    admin_api_key: str
    ops_api_key: str
    admin_email: str = ""
    admin_password: str = ""
    ops_email: str = ""
    ops_password: str = ""
    service_email: str = ""
    service_password: str = ""
    finance_email: str = ""
    finance_password: str = ""
    warehouse_email: str = ""
    warehouse_password: str = ""


def has_tenants(db: Database) -> bool:
    with db.reader() as session:
        return bool(session.scalar(select(func.count()).select_from(Tenant)))


def create_demo(
    db: Database, *, orders: int = 48, seed: int = 7, settings: Settings | None = None
) -> DemoCredentials:
    """Create the demo tenant, its keys, a console user per role and its sixty days."""
    now = db.clock.now()
    clock = ManualClock(now - timedelta(days=DAYS + 1))
    story_db = Database(db.engine, clock)
    tenant = create_tenant(
        story_db, name="茶语小铺 Demo Tea House", payment_timeout_seconds=_PAYMENT_TIMEOUT
    )
    ops = create_api_key(story_db, tenant_id=tenant.tenant_id, role=Role.OPS.value, name="ERP 对接")
    actor = Actor(tenant.tenant_id, f"apikey:{tenant.admin_key.key_id}", "admin")
    gateway = AlipaySandbox().start()
    story = Story(story_db, clock, actor, gateway, ZoneInfo(_ZONE), now, random.Random(seed))
    try:
        _open_shop(story)
        _sixty_days(story, orders)
        scenes.ticket_stories(story)
        scenes.open_refunds(story)
        scenes.bank_statement(story, story.zone)
        _drain(story, settings)
        scenes.subscribe_webhooks(story, gateway.origin, now - timedelta(minutes=30))
        _last_minutes(story)
        _drain(story, settings)
    finally:
        gateway.stop()
    clock.set(now)
    logins = {role: _demo_user(story_db, tenant.tenant_id, role) for role in ROLES}
    return DemoCredentials(
        tenant.tenant_id,
        tenant.admin_key.api_key,
        ops.api_key,
        **{
            f"{role}_{part}": value
            for role, login in logins.items()
            for part, value in zip(("email", "password"), login, strict=True)
        },
    )


def _open_shop(story: Story) -> None:
    """Alipay configured, two warehouses stocked with every product."""
    story.at(story.now - timedelta(days=DAYS, hours=2))
    configure_gateway(story.db, story.actor, AlipayConfigIn.model_validate(story.gateway.config()))
    db, actor = story.db, story.actor
    inventory.create_warehouse(db, actor, WarehouseIn(code="hz", name="杭州主仓", priority=1))
    inventory.create_warehouse(db, actor, WarehouseIn(code="gz", name="广州分仓", priority=2))
    for sku, _name, _price in PRODUCTS:
        for warehouse, qty in (("hz", 160), ("gz", 90)):
            movement = MovementIn(
                sku=sku, warehouse=warehouse, kind=MovementKind.INBOUND, qty=qty, reason="期初入库"
            )
            inventory.record_movement(db, actor, movement)


def _sixty_days(story: Story, count: int) -> None:
    """``count`` orders spread over the days, each living its path up to now."""
    placed = sorted(story.local_instant(story.rng.randrange(DAYS)) for _ in range(count))
    for when in placed:
        if when >= story.now - timedelta(minutes=30):
            continue
        order = story.place(when)
        story.live(order, when, steps_for_age(story.rng, story.now - when))


def _last_minutes(story: Story) -> None:
    """Orders of the last half hour: two waiting for payment, one just paid."""
    for minutes in (25, 9, 4):
        story.place(story.now - timedelta(minutes=minutes, seconds=story.rng.randint(0, 50)))
    story.pay(story.orders[-3], story.now - timedelta(minutes=22))


def _drain(story: Story, settings: Settings | None) -> None:
    """Run the jobs the story queued (confirmations, tickets, alerts, webhooks) at its
    clock, while the demo's gateway and webhook receivers are listening."""
    from oms.jobs_wiring import build_registry

    base = settings or get_settings()
    allowed = base.model_copy(update={"webhook_allow_private_networks": True})
    story.at(story.now - timedelta(seconds=30))
    worker = Worker(story.db, allowed, build_registry(allowed), name="demo")
    for _ in range(_DRAIN_ROUNDS):
        if worker.run_once() == 0:
            return


def _demo_user(db: Database, tenant_id: str, role: str) -> tuple[str, str]:
    """A console login with a random password; e-mails are global, so a second demo tenant
    gets addressed ones (``ops+<tenant>@demo.oms``)."""
    password = secrets.token_urlsafe(12)
    for email in (f"{role}@demo.oms", f"{role}+{tenant_id[-8:]}@demo.oms"):
        try:
            create_user(db, tenant_id=tenant_id, email=email, password=password, role=role)
        except EmailTaken:
            continue
        return email, password
    raise EmailTaken(email=email)


def save_credentials(path: Path, credentials: DemoCredentials) -> None:
    """Keep the demo keys next to the demo database (owner-only), to print them on start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(credentials), indent=2))
    path.chmod(0o600)


def load_credentials(path: Path) -> DemoCredentials | None:
    """The saved credentials; files written by older demos lack some logins ("")."""
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    known = set(DemoCredentials.__dataclass_fields__)
    return DemoCredentials(**{k: v for k, v in data.items() if k in known})
