"""The accounting sinks oms can send to, by name."""

from __future__ import annotations

from typing import Literal

from oms.accounting.errors import UnknownSink
from oms.accounting.sinks.base import AccountingSink
from oms.accounting.sinks.kingdee import KingdeeCloudGalaxy
from oms.accounting.sinks.quickbooks import QuickBooksOnline
from oms.accounting.sinks.u8 import YonyouU8

__all__ = ["SinkName", "sink_for", "sink_names"]

SinkName = Literal["quickbooks", "kingdee", "u8"]
_SINKS: dict[str, AccountingSink] = {
    sink.name: sink for sink in (QuickBooksOnline(), KingdeeCloudGalaxy(), YonyouU8())
}


def sink_for(name: str) -> AccountingSink:
    """The sink called ``name``. Raises: ERR_ACCOUNTING_UNKNOWN_SINK."""
    sink = _SINKS.get(name)
    if sink is None:
        raise UnknownSink(f"no accounting sink {name!r}", known=sorted(_SINKS))
    return sink


def sink_names() -> list[str]:
    """Every sink's name."""
    return sorted(_SINKS)
