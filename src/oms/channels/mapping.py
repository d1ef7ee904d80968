"""Declarative field mappings: platform JSON → oms ``OrderCreate`` and lifecycle events.

A mapping is a JSON document shipped per connector (``mappings/<connector>.json``) and
overridable per tenant (a partial document merged over it). Paths are JMESPath expressions,
evaluated by the maintained ``jmespath`` library; transforms are a short fixed list. Money is
parsed with ``Decimal`` (the payload is read with ``parse_float=Decimal``), never float.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult
from pydantic import ValidationError

from oms.channels.errors import MappingInvalid, PayloadInvalid
from oms.core.instants import check_instant
from oms.core.money import CURRENCY_EXPONENTS
from oms.orders.schemas import OrderCreate
from oms.orders.states import OrderEvent

__all__ = ["Mapped", "Mapping", "load_mapping", "merge", "shipped_mapping"]

_TRANSFORMS = frozenset({"money", "phone", "string", "int", "datetime", "upper", "lower"})
_LINE_FIELDS = ("sku", "name", "qty", "unit_price")
# Events found in one payload apply in lifecycle order (a paid and shipped order: pay, ship).
_EVENT_ORDER = [
    OrderEvent.PAY,
    OrderEvent.HOLD,
    OrderEvent.RELEASE,
    OrderEvent.PARTIAL_SHIP,
    OrderEvent.SHIP,
    OrderEvent.DELIVER,
    OrderEvent.COMPLETE,
    OrderEvent.CANCEL,
    OrderEvent.CLOSE,
]


@dataclass(frozen=True, slots=True)
class Mapped:
    """What one platform payload means for oms."""

    external_id: str
    platform_updated_at: datetime | None
    order: OrderCreate
    events: list[OrderEvent]


@dataclass(frozen=True, slots=True)
class Mapping:
    """A validated mapping with its expressions compiled once."""

    connector: str
    spec: dict[str, Any]
    compiled: dict[str, ParsedResult]

    def handles(self, topic: str | None) -> bool:
        """True when deliveries of ``topic`` carry an order (no list: every topic does)."""
        topics = self.spec.get("topics")
        return topics is None or topic is None or topic in topics

    def external_id(self, document: Any) -> str | None:
        """The platform order id, or None when the payload has none."""
        value = self._value(self.spec["external_id"], document, {})
        return None if value is None else str(value)

    def evaluate(self, document: Any, *, channel: str) -> Mapped:
        """Map one payload. Raises: ERR_CHANNEL_PAYLOAD_INVALID."""
        external_id = self.external_id(document)
        if not external_id:
            raise PayloadInvalid("the payload has no platform order id", path="external_id")
        fields = self.spec["order"]
        currency = self._value(fields.get("currency"), document, {})
        context: dict[str, Any] = {"currency": currency or "CNY"}
        data: dict[str, Any] = {"channel": channel, "external_id": external_id}
        for target, field in fields.items():
            _put(data, target, self._value(field, document, context))
        data["lines"] = self._lines(document, context)
        try:
            order = OrderCreate.model_validate(_pruned(data))
        except ValidationError as error:
            problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
            raise PayloadInvalid("; ".join(problems[:5]), errors=problems[:20]) from None
        updated = self._value(self.spec.get("updated_at"), document, context)
        return Mapped(external_id, updated, order, self._events(document))

    def _lines(self, document: Any, context: dict[str, Any]) -> list[dict[str, Any]]:
        spec = self.spec["lines"]
        items = self.compiled[spec["path"]].search(document) or []
        if not isinstance(items, list):
            raise PayloadInvalid("the line items are not a list", path=spec["path"])
        return [
            {name: self._value(field, item, context) for name, field in spec["fields"].items()}
            for item in items
        ]

    def _events(self, document: Any) -> list[OrderEvent]:
        found: set[OrderEvent] = set()
        for rule in self.spec.get("events", []):
            value = self.compiled[rule["path"]].search(document)
            names = rule["map"].get(_key(value), [])
            found.update(OrderEvent(n) for n in ([names] if isinstance(names, str) else names))
        return [event for event in _EVENT_ORDER if event in found]

    def _value(self, field: Any, document: Any, context: dict[str, Any]) -> Any:
        if field is None:
            return None
        spec = {"path": field} if isinstance(field, str) else field
        value = self.compiled[spec["path"]].search(document)
        if value is None:
            value = spec.get("default")
        return _transform(spec.get("transform"), value, spec, context)


def shipped_mapping(connector: str) -> dict[str, Any]:
    """The mapping document shipped with ``connector`` (a fresh copy)."""
    loaded: dict[str, Any] = json.loads(_shipped_text(connector))
    return loaded


@lru_cache(maxsize=16)
def _shipped_text(connector: str) -> str:
    return resources.files("oms.channels").joinpath("mappings", f"{connector}.json").read_text()


def load_mapping(connector: str, overrides: dict[str, Any] | None = None) -> Mapping:
    """The shipped mapping and a tenant's overrides, checked. Raises ERR_CHANNEL_MAPPING_INVALID."""
    spec = merge(shipped_mapping(connector), overrides or {})
    _check_shape(spec)
    compiled: dict[str, ParsedResult] = {}
    for path in _paths(spec):
        try:
            compiled[path] = jmespath.compile(path)
        except JMESPathError as error:
            raise MappingInvalid(f"bad JMESPath {path!r}: {error}", path=path) from None
    return Mapping(connector, spec, compiled)


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge objects; any other value in ``overrides`` replaces the base's."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _check_shape(spec: dict[str, Any]) -> None:
    try:
        fields = [spec["external_id"], *spec["order"].values(), spec.get("updated_at")]
        lines = spec["lines"]
        fields += [lines["fields"][name] for name in _LINE_FIELDS]
        assert isinstance(lines["path"], str)
        for rule in spec.get("events", []):
            for names in rule["map"].values():
                for name in [names] if isinstance(names, str) else names:
                    OrderEvent(name)
    except (KeyError, TypeError, ValueError, AssertionError, AttributeError) as error:
        raise MappingInvalid(f"the mapping is incomplete or malformed: {error!r}") from None
    for field in fields:
        transform = field.get("transform") if isinstance(field, dict) else None
        if transform is not None and transform not in _TRANSFORMS:
            raise MappingInvalid(f"unknown transform {transform!r}", known=sorted(_TRANSFORMS))


def _paths(spec: dict[str, Any]) -> list[str]:
    fields = [spec["external_id"], *spec["order"].values(), spec.get("updated_at")]
    fields += list(spec["lines"]["fields"].values())
    paths = [f if isinstance(f, str) else f["path"] for f in fields if f is not None]
    paths += [spec["lines"]["path"], *(rule["path"] for rule in spec.get("events", []))]
    if not all(isinstance(p, str) for p in paths):
        raise MappingInvalid("every path must be a JMESPath string")
    return paths


def _transform(name: str | None, value: Any, spec: dict[str, Any], ctx: dict[str, Any]) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
    if name is None:
        return value
    try:
        return _TRANSFORM_FUNCS[name](value, spec, ctx)
    except (ValueError, ArithmeticError, TypeError) as error:
        raise PayloadInvalid(f"{spec['path']}: {error}", path=spec["path"]) from None


def _money(value: Any, _spec: dict[str, Any], ctx: dict[str, Any]) -> int:
    if isinstance(value, float):
        raise TypeError("money must be a decimal string or integer, not a float")
    try:
        amount = Decimal(str(value)) * 10 ** CURRENCY_EXPONENTS.get(ctx.get("currency", ""), 2)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None
    if amount != amount.to_integral_value():
        raise ValueError(f"{value!r} has more decimals than the currency allows")
    return int(amount)


def _phone(value: Any, _spec: dict[str, Any], _ctx: dict[str, Any]) -> str | None:
    text = str(value)
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.startswith("+86") or (text.startswith("86") and len(digits) == 13):
        digits = digits[2:]  # Chinese numbers are searched by their 11 national digits
    elif text.startswith("+"):
        return f"+{digits}" if digits else None
    return digits or None


def _datetime(value: Any, spec: dict[str, Any], _ctx: dict[str, Any]) -> datetime:
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(spec.get("tz", "UTC")))
    return check_instant(parsed)  # the range every oms date-time input keeps


_TRANSFORM_FUNCS: dict[str, Any] = {
    "money": _money,
    "phone": _phone,
    "datetime": _datetime,
    "string": lambda v, _s, _c: str(v),
    "int": lambda v, _s, _c: _integer(v),
    "upper": lambda v, _s, _c: str(v).upper(),
    "lower": lambda v, _s, _c: str(v).lower(),
}


def _integer(value: Any) -> int:
    number = Decimal(str(value))
    if number != number.to_integral_value():
        raise ValueError(f"{value!r} is not a whole number")
    return int(number)


def _key(value: Any) -> str:
    """A status map key: JSON spelling for booleans and null, text for the rest."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return str(value)


def _put(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[leaf] = value


def _pruned(value: Any) -> Any:
    """Drop nulls and objects left empty, so model defaults apply."""
    if isinstance(value, dict):
        kept = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not None and v != {}}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value
