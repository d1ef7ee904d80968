"""Principals become names people read: e-mail, key name, component, channel."""

from __future__ import annotations

from oms.console.actors import ActorName, actor_names
from oms.core.auth import create_api_key
from oms.core.uow import Database
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.users import console_user


def test_each_kind_of_principal_has_a_display_name_and_no_raw_ids(
    db: Database, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    user = console_user(db, tenant.tenant_id, "service")
    key = create_api_key(db, tenant_id=tenant.tenant_id, role="integration", name="ERP 同步")
    stranger = console_user(db, other_tenant.tenant_id, "ops")
    names = actor_names(
        db,
        tenant.tenant_id,
        [
            f"user:{user.id}",
            f"apikey:{key.key_id}",
            "system:payment-timeout",
            "channel:youzan",
            "cli:api-keys",
            f"user:{stranger.id}",  # another tenant's user is not named here
            "test:seed",
            None,
        ],
    )
    assert names[f"user:{user.id}"] == ActorName("user", user.email)
    assert names[f"apikey:{key.key_id}"] == ActorName("apikey", "ERP 同步")
    assert names["system:payment-timeout"] == ActorName("system", "payment-timeout")
    assert names["channel:youzan"] == ActorName("channel", "youzan")
    assert names["cli:api-keys"] == ActorName("cli", "api-keys")
    assert names[f"user:{stranger.id}"] == ActorName("user", "?")
    assert names["test:seed"] == ActorName("other", "test:seed")
    assert all(stranger.email not in n.name for n in names.values())
