"""The inbox keeps every inbound message once; sealed secrets open only in their context."""

from __future__ import annotations

import pytest

from oms.core.inbox import Inbound, record_inbound
from oms.core.secrets import SecretBox, SecretUnreadable
from oms.core.uow import Database


def _record(db: Database, message_id: str, *, tenant_id: str = "t-1") -> tuple[str, bool, int]:
    message = Inbound(
        tenant_id=tenant_id,
        source="channel:shopify",
        message_id=message_id,
        headers={"x-shopify-topic": "orders/create"},
        body=b'{"id": 1}',
        verification="verified",
    )
    with db.uow() as uow:
        recorded = record_inbound(uow.session, message, now=uow.clock.now())
        uow.commit()
    return recorded.id, recorded.is_new, recorded.deliveries


def test_a_redelivery_is_counted_on_the_first_row(db: Database) -> None:
    first_id, first_new, _ = _record(db, "d-1")
    again_id, again_new, deliveries = _record(db, "d-1")
    assert (first_new, again_new, again_id, deliveries) == (True, False, first_id, 2)


def test_the_same_message_id_for_another_tenant_is_another_message(db: Database) -> None:
    _record(db, "d-1")
    assert _record(db, "d-1", tenant_id="unknown-tenant")[1] is True


def test_a_sealed_secret_opens_only_with_its_key_and_context() -> None:
    box = SecretBox("k" * 32)
    sealed = box.seal("alipay private key", context="tenant:1:alipay")
    assert "alipay" not in sealed
    assert box.open(sealed, context="tenant:1:alipay") == "alipay private key"
    with pytest.raises(SecretUnreadable):
        box.open(sealed, context="tenant:2:alipay")
    with pytest.raises(SecretUnreadable):
        SecretBox("another key").open(sealed, context="tenant:1:alipay")
