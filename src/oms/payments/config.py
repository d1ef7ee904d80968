"""Per-tenant gateway configuration: set by admins, secrets sealed, credentials opened on use.

Private keys and the WeChat API v3 key are sealed with ``core.secrets`` under the context
``tenant:{tenant}:{gateway}:{field}``; public keys, ids and the base URL are stored plain.
Nothing here logs, and nothing returns, a secret.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from oms.core import audit
from oms.core.audit import Attempt, Outcome
from oms.core.context import Actor
from oms.core.errors import NotFound
from oms.core.models import Tenant
from oms.core.secrets import secret_box
from oms.core.uow import Database
from oms.payments.errors import GatewayNotConfigured, UnknownTenant
from oms.payments.gateways.base import private_key, public_key
from oms.payments.gateways.registry import Gateway, gateway_for
from oms.payments.models import PaymentGateway
from oms.payments.schemas import GatewayConfigIn, GatewayConfigOut, GatewayName

__all__ = [
    "configure_gateway",
    "gateway_accounts",
    "gateway_config",
    "load_credentials",
]


@dataclass(frozen=True, slots=True)
class _Split:
    settings: dict[str, Any]
    secrets: dict[str, str]


def configure_gateway(db: Database, actor: Actor, data: GatewayConfigIn) -> GatewayConfigOut:
    """Set (replace) a gateway's configuration for the actor's tenant; keys checked first.

    Raises: ERR_PAYMENT_INVALID_CONFIG (a key that does not load or is not RSA),
    ERR_NOT_FOUND (tenant).
    """
    adapter = gateway_for(data.gateway)
    gateway = adapter.name
    split = _split(adapter, data)
    public_key(split.settings["public_key"])
    private_key(split.secrets["merchant_private_key"])
    box = secret_box()
    sealed = {
        name: box.seal(value, context=_context(actor.tenant_id, gateway, name))
        for name, value in split.secrets.items()
    }
    with db.uow() as uow:
        now = uow.clock.now()
        if uow.session.get(Tenant, actor.tenant_id) is None:
            raise NotFound("no such tenant", tenant_id=actor.tenant_id)
        row = uow.session.get(PaymentGateway, (actor.tenant_id, str(gateway)))
        if row is None:
            row = PaymentGateway(tenant_id=actor.tenant_id, gateway=str(gateway), created_at=now)
            uow.session.add(row)
        row.settings, row.sealed, row.updated_at = split.settings, sealed, now
        uow.session.flush()
        _audit(uow.session, actor, gateway, row, now=now)
        out = _out(row)
        uow.commit()
    return out


def gateway_config(db: Database, tenant_id: str, gateway: GatewayName) -> GatewayConfigOut:
    """A gateway's configuration without its secrets. Raises: ERR_PAYMENT_GATEWAY_NOT_CONFIGURED."""
    with db.reader() as session:
        row = session.get(PaymentGateway, (tenant_id, str(gateway)))
    if row is None:
        raise GatewayNotConfigured(f"{gateway} is not configured", gateway=str(gateway))
    return _out(row)


def gateway_accounts(
    session: Session, tenant_id: str, gateway: str
) -> tuple[str | None, str | None]:
    """The merchant's app id and mch id at a gateway, read in the caller's transaction."""
    row = session.get(PaymentGateway, (tenant_id, gateway))
    if row is None:
        return None, None
    return row.settings.get("app_id"), row.settings.get("mch_id")


def load_credentials(db: Database, tenant_id: str, gateway: str) -> Any:
    """Open a gateway's credentials to sign or verify with: the type its adapter
    (``gateway_for(gateway)``) takes.

    Raises: ERR_PAYMENT_UNKNOWN_GATEWAY, ERR_PAYMENT_UNKNOWN_TENANT,
    ERR_PAYMENT_GATEWAY_NOT_CONFIGURED.
    """
    adapter = gateway_for(gateway)
    with db.reader() as session:
        row = session.get(PaymentGateway, (tenant_id, gateway))
        if row is None and session.get(Tenant, tenant_id) is None:
            raise UnknownTenant("no such tenant")
    if row is None:
        raise GatewayNotConfigured(f"{gateway} is not configured for this tenant")
    box = secret_box()
    opened = {
        k: box.open(v, context=_context(tenant_id, gateway, k)) for k, v in row.sealed.items()
    }
    return adapter.credentials(row.settings, opened)


def _split(adapter: Gateway[Any], data: GatewayConfigIn) -> _Split:
    """The adapter's secret fields apart (to seal), its public key under ``public_key``."""
    plain = data.model_dump(exclude=set(adapter.secret_fields))
    plain["public_key"] = plain.pop(adapter.public_key_field)
    secrets = {name: getattr(data, name).get_secret_value() for name in adapter.secret_fields}
    return _Split(plain, secrets)


def _context(tenant_id: str, gateway: str, field: str) -> str:
    return f"tenant:{tenant_id}:{gateway}:{field}"


def _out(row: PaymentGateway) -> GatewayConfigOut:
    settings = row.settings
    return GatewayConfigOut(
        gateway=GatewayName(row.gateway),
        app_id=settings["app_id"],
        mch_id=settings.get("mch_id"),
        seller_id=settings.get("seller_id"),
        base_url=settings["base_url"],
        public_key_sha256=hashlib.sha256(settings["public_key"].encode()).hexdigest(),
        platform_public_key_id=settings.get("platform_public_key_id"),
        merchant_serial=settings.get("merchant_serial"),
        has_merchant_private_key="merchant_private_key" in row.sealed,
        has_api_v3_key=_has_secret(row, "api_v3_key"),
        version=row.version,
        updated_at=row.updated_at,
    )


def _has_secret(row: PaymentGateway, field: str) -> bool | None:
    """Whether a secret is set; None for a gateway that has no such secret."""
    return (field in row.sealed) if field in gateway_for(row.gateway).secret_fields else None


def _audit(
    session: Session, actor: Actor, gateway: str, row: PaymentGateway, *, now: datetime
) -> None:
    attempt = Attempt(
        aggregate_type="payment_gateway",
        aggregate_id=gateway,
        event="configure",
        outcome=Outcome.APPLIED,
        version_after=row.version,
        source="api" if actor.principal.startswith("apikey:") else actor.principal,
        details={"secrets_set": sorted(row.sealed)},
    )
    audit.record_attempt(session, actor, attempt, now=now)
