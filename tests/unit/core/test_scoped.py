"""``repo.scoped``: every list's tenant scope plus its optional equality filters."""

from __future__ import annotations

from oms.core.models import OutboxMessage
from oms.core.repo import scoped


def _where(stmt: object) -> tuple[str, dict[str, object]]:
    compiled = stmt.compile()  # type: ignore[attr-defined]
    return str(compiled).split("WHERE", 1)[1], dict(compiled.params)


def test_a_filter_given_narrows_and_one_left_none_does_not() -> None:
    where, params = _where(scoped(OutboxMessage, "t1", status="dead", topic=None))
    assert "outbox_messages.tenant_id =" in where
    assert "outbox_messages.status =" in where
    assert "topic" not in where
    assert sorted(params.values()) == ["dead", "t1"]


def test_without_filters_it_is_the_tenant_scope_alone() -> None:
    where, params = _where(scoped(OutboxMessage, "t1"))
    assert "status" not in where
    assert list(params.values()) == ["t1"]
