"""Channel use cases: configure a channel, take in a webhook delivery, preview a mapping.

A delivery is first recorded raw in the inbox (verified or rejected, in its own commit), so a
refusal leaves a trace and a redelivery is recognised before anything else happens. The order
work then goes through the orders domain's own use cases (``place_order``, ``apply_event``),
each committing once, and a last step links the platform order and marks the delivery
processed. Every step is idempotent, so a crash between steps is repaired by the platform's
redelivery: the inbox row stays unprocessed until the last step commits.
"""

from __future__ import annotations

from collections.abc import Mapping as Headers
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from oms.channels import sync
from oms.channels.connectors import (
    Connector,
    Credentials,
    Delivery,
    Identity,
    connector_for,
    known_channels,
)
from oms.channels.errors import (
    ChannelError,
    ChannelNotConfigured,
    ChannelUnknown,
    DeliveryIdMissing,
    PayloadInvalid,
    TenantUnknown,
)
from oms.channels.events import DeliveryDeferred
from oms.channels.mapping import Mapped, load_mapping
from oms.channels.models import ChannelConfig
from oms.channels.schemas import ChannelConfigIn, ChannelConfigOut, MappedOut
from oms.core import outbox
from oms.core.context import Actor
from oms.core.errors import AppError, NotFound, PayloadTooLarge
from oms.core.ids import new_id
from oms.core.inbox import Inbound, record_inbound
from oms.core.models import InboxMessage, Tenant
from oms.core.rate_limits import RateLimiter
from oms.core.secrets import SecretUnreadable, secret_box
from oms.core.uow import Database, UnitOfWork

__all__ = [
    "apply_deferred",
    "configure_channel",
    "get_channel",
    "map_payload",
    "receive_webhook",
]

_DROPPED_HEADERS = frozenset({"authorization", "cookie"})


def secret_context(tenant_id: str, channel: str) -> str:
    return f"tenant:{tenant_id}:channel:{channel}"


def configure_channel(
    db: Database, tenant_id: str, channel: str, data: ChannelConfigIn
) -> ChannelConfigOut:
    """Set a channel's secret (sealed) and mapping overrides.

    Raises: ERR_CHANNEL_UNKNOWN, ERR_NOT_FOUND (tenant), ERR_CHANNEL_SECRET_INVALID,
    ERR_CHANNEL_MAPPING_INVALID.
    """
    connector = _connector(channel)
    connector.check_secret(data.secret)
    load_mapping(channel, data.mapping)
    sealed = secret_box().seal(data.secret, context=secret_context(tenant_id, channel))
    with db.uow() as uow:
        now = uow.clock.now()
        if uow.session.get(Tenant, tenant_id) is None:
            raise NotFound("no such tenant", tenant_id=tenant_id)
        config = uow.session.get(ChannelConfig, (tenant_id, channel))
        if config is None:
            config = ChannelConfig(tenant_id=tenant_id, channel=channel, created_at=now)
            uow.session.add(config)
        config.secret_sealed = sealed
        config.client_id = data.client_id
        config.mapping_overrides = data.mapping or {}
        config.updated_at = now
        uow.commit()
        return _config_out(config)


def get_channel(db: Database, tenant_id: str, channel: str) -> ChannelConfigOut:
    """A channel's settings, never its secret.

    Raises: ERR_CHANNEL_UNKNOWN, ERR_CHANNEL_NOT_CONFIGURED.
    """
    _connector(channel)
    with db.reader() as session:
        config = session.get(ChannelConfig, (tenant_id, channel))
    if config is None:
        raise ChannelNotConfigured(channel=channel)
    return _config_out(config)


def map_payload(
    connector_name: str, body: bytes, *, overrides: dict[str, Any] | None = None
) -> MappedOut:
    """What a sample payload becomes, without storing anything.

    Raises: ERR_CHANNEL_UNKNOWN, ERR_CHANNEL_MALFORMED_PAYLOAD, ERR_CHANNEL_PAYLOAD_INVALID,
    ERR_CHANNEL_MAPPING_INVALID.
    """
    delivery = _connector(connector_name).parse({}, body)
    if delivery.document is None:
        raise PayloadInvalid("a health probe carries no order")
    mapped = load_mapping(connector_name, overrides).evaluate(
        delivery.document, channel=connector_name
    )
    return MappedOut(
        external_id=mapped.external_id,
        platform_updated_at=mapped.platform_updated_at,
        order=mapped.order,
        events=[str(e) for e in mapped.events],
    )


@dataclass(frozen=True, slots=True)
class _Checked:
    """The verdict on one delivery, decided before it is recorded."""

    verification: str
    error: AppError | None = None
    delivery: Delivery | None = None
    mapped: Mapped | None = None

    @property
    def outcome(self) -> str | None:
        """A final outcome known at intake, or None when orders work remains."""
        if self.verification != "verified":
            return None
        if self.error is not None:
            return "invalid"
        if self.delivery is not None and self.delivery.is_probe:
            return "probe"
        return None if self.mapped else "ignored"


def receive_webhook(
    db: Database,
    *,
    channel: str,
    tenant_id: str,
    headers: Headers[str, str],
    body: bytes,
    actor_info: dict[str, str | None] | None = None,
    truncated: bool = False,
    limiter: RateLimiter | None = None,
) -> dict[str, Any]:
    """Record, verify, deduplicate and apply one platform delivery; return the platform's ack.

    The delivery is stored before any limit applies: past the tenant's intake limit
    (``limiter``) it is acknowledged ``deferred`` and a job applies it when the window ends.

    Raises (after recording the delivery as rejected): ERR_CHANNEL_UNKNOWN,
    ERR_CHANNEL_TENANT_UNKNOWN, ERR_CHANNEL_NOT_CONFIGURED, ERR_CHANNEL_DELIVERY_ID_MISSING,
    ERR_CHANNEL_SIGNATURE_MISSING, ERR_CHANNEL_SIGNATURE_INVALID,
    ERR_CHANNEL_TIMESTAMP_OUT_OF_TOLERANCE, ERR_CHANNEL_MALFORMED_PAYLOAD; (recorded as
    verified) ERR_CHANNEL_PAYLOAD_INVALID and the orders domain's errors other than
    ERR_STOCK_INSUFFICIENT, which is recorded and acknowledged. ``truncated``: the body is only
    the first bytes the edge kept of an oversized delivery, rejected ERR_PAYLOAD_TOO_LARGE.
    """
    headers = {k.lower(): v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS}
    connector = connector_for(channel)
    identity = connector.identify(headers, body) if connector else Identity(None, None)
    with db.uow() as uow:
        checked = (
            _Checked("rejected", error=PayloadTooLarge(limit_bytes=len(body)))
            if truncated
            else _check(uow, connector, channel, tenant_id, identity, headers, body)
        )
        inbound = _inbound(channel, tenant_id, identity, checked, headers, body)
        recorded = record_inbound(uow.session, inbound, now=uow.clock.now())
        was_processed = _settle_at_intake(uow, tenant_id, recorded.id, checked)
        uow.commit()
    if checked.verification == "rejected" or checked.error is not None:
        assert checked.error is not None
        raise checked.error
    reply = {"delivery_id": inbound.message_id, "deliveries": recorded.deliveries}
    if was_processed or checked.outcome is not None:
        status = "duplicate" if was_processed else checked.outcome
        return _ack(connector, reply | {"status": status})
    assert checked.mapped is not None
    wait = limiter.admit_intake(tenant_id) if limiter is not None else 0
    if wait:
        _defer(
            db, DeliveryDeferred(tenant_id=tenant_id, channel=channel, inbox_id=recorded.id), wait
        )
        return _ack(connector, reply | {"status": "deferred", "retry_in_seconds": wait})
    actor = Actor(tenant_id, f"channel:{channel}", "integration", **(actor_info or {}))
    topic = checked.delivery.topic if checked.delivery else None
    result = sync.apply_mapped(
        db, actor, channel=channel, inbox_id=recorded.id, topic=topic, mapped=checked.mapped
    )
    return _ack(connector, reply | result)


def _defer(db: Database, event: DeliveryDeferred, wait: int) -> None:
    with db.uow() as uow:
        outbox.add(uow, event, not_before=uow.clock.now() + timedelta(seconds=wait))
        uow.commit()


def apply_deferred(db: Database, *, tenant_id: str, channel: str, inbox_id: str) -> None:
    """Apply a stored delivery whose processing the intake limit deferred (verified when it
    was stored, so its signature and timestamp are not checked again); a delivery processed
    meanwhile (a redelivery) is left as it is.

    Raises: ERR_CHANNEL_PAYLOAD_INVALID and the orders domain's errors, like intake.
    """
    connector = _connector(channel)
    with db.reader() as session:
        message = session.get(InboxMessage, (tenant_id, inbox_id))
        config = session.get(ChannelConfig, (tenant_id, channel))
    if message is None or message.processed_at is not None or config is None:
        return
    delivery = connector.parse(message.headers, message.body)
    assert delivery.document is not None  # only a mapped delivery is deferred
    mapped = load_mapping(channel, config.mapping_overrides).evaluate(
        delivery.document, channel=channel
    )
    actor = Actor(tenant_id, f"channel:{channel}", "integration")
    sync.apply_mapped(
        db, actor, channel=channel, inbox_id=inbox_id, topic=delivery.topic, mapped=mapped
    )


def _check(
    uow: UnitOfWork,
    connector: Connector | None,
    channel: str,
    tenant_id: str,
    identity: Identity,
    headers: Headers[str, str],
    body: bytes,
) -> _Checked:
    try:
        config = _verified_config(uow, connector, channel, tenant_id, identity)
        assert connector is not None
        credentials = Credentials(
            secret_box().open(config.secret_sealed, context=secret_context(tenant_id, channel)),
            config.client_id,
        )
        connector.verify(credentials, headers, body, now=uow.clock.now())
        delivery = connector.parse(headers, body)
    except (ChannelError, SecretUnreadable) as error:
        # SecretUnreadable (OMS_SECRET_KEY changed) answers 500, so the platform retries.
        return _Checked("rejected", error=error)
    mapping = load_mapping(channel, config.mapping_overrides)
    if delivery.document is None or not mapping.handles(delivery.topic):
        return _Checked("verified", delivery=delivery)
    try:
        mapped = mapping.evaluate(delivery.document, channel=channel)
    except PayloadInvalid as error:
        return _Checked("verified", error=error, delivery=delivery)
    return _Checked("verified", delivery=delivery, mapped=mapped)


def _verified_config(
    uow: UnitOfWork,
    connector: Connector | None,
    channel: str,
    tenant_id: str,
    identity: Identity,
) -> ChannelConfig:
    if connector is None:
        raise ChannelUnknown(channel=channel[:64], known=known_channels())
    if uow.session.get(Tenant, tenant_id) is None:
        raise TenantUnknown(tenant_id=tenant_id[:64])
    config = uow.session.get(ChannelConfig, (tenant_id, channel))
    if config is None:
        raise ChannelNotConfigured(
            f"configure it with PUT /api/v1/channels/{channel} or oms channels configure",
            channel=channel,
        )
    if not identity.message_id:
        raise DeliveryIdMissing(f"{channel} deliveries carry their id in a header or field")
    return config


def _inbound(
    channel: str,
    tenant_id: str,
    identity: Identity,
    checked: _Checked,
    headers: dict[str, str],
    body: bytes,
) -> Inbound:
    details: dict[str, Any] = {}
    if identity.event_id:
        details["event_id"] = identity.event_id
    if checked.mapped is not None:
        details["external_id"] = checked.mapped.external_id
    if checked.error is not None:
        details["error"] = {"code": checked.error.code, "message": checked.error.message}
    topic = checked.delivery.topic if checked.delivery else identity.topic
    is_verified = checked.verification == "verified"
    claimed = sync.message_id(identity.message_id, body)
    if not is_verified:
        # A refused delivery is filed under its own key, as payments do: filed under the id it
        # claims, a forgery would take the genuine delivery's place or inflate its count.
        details["claimed_message_id"] = claimed
    return Inbound(
        tenant_id=tenant_id[:64],
        source=f"channel:{channel[:56]}",
        message_id=claimed if is_verified else f"rejected:{new_id()}",
        headers=headers,
        body=body,
        verification=checked.verification,
        error_code=checked.error.code if checked.error and not is_verified else None,
        topic=topic[:100] if topic else None,
        details=details,
    )


def _settle_at_intake(uow: UnitOfWork, tenant_id: str, inbox_id: str, checked: _Checked) -> bool:
    """Return whether the delivery was processed before; close it now if intake decided it."""
    key = (InboxMessage.tenant_id == tenant_id[:64], InboxMessage.id == inbox_id)
    processed_at = uow.session.execute(select(InboxMessage.processed_at).where(*key)).scalar()
    if processed_at is not None:
        return True
    outcome = checked.outcome
    if outcome is not None:
        done = None if outcome == "invalid" else uow.clock.now()
        closing = update(InboxMessage).where(*key).values(outcome=outcome, processed_at=done)
        uow.session.execute(closing)
    return False


def _ack(connector: Connector | None, result: dict[str, Any]) -> dict[str, Any]:
    return connector.ack(result) if connector else result


def _connector(channel: str) -> Connector:
    connector = connector_for(channel)
    if connector is None:
        raise ChannelUnknown(channel=channel[:64], known=known_channels())
    return connector


def _config_out(config: ChannelConfig) -> ChannelConfigOut:
    return ChannelConfigOut(
        channel=config.channel,
        secret_configured=bool(config.secret_sealed),
        client_id=config.client_id,
        mapping_overrides=config.mapping_overrides,
        webhook_path=f"/api/v1/channels/{config.channel}/webhooks/{config.tenant_id}",
        updated_at=config.updated_at,
    )
