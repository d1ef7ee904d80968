"""An order's risk keys from its own fields: pure functions, no database.

The IP and device come from ``buyer.ip`` / ``buyer.device_id`` as the storefront sent them,
never from the API caller's connection (a merchant's backend sends every order from one
address). Coordinates are converted to WGS-84 (``coordTransform``) and bucketed by geohash-7
(``pygeohash``), about 153 m x 153 m.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import coordTransform
import pygeohash

__all__ = [
    "GEOHASH_PRECISION",
    "VIRTUAL_PREFIXES",
    "OrderKeys",
    "geo7_of",
    "geohash_cells",
    "is_virtual_phone",
    "keys_of",
    "normalise",
    "point_of",
    "to_wgs84",
]

GEOHASH_PRECISION = 7
# Mobile virtual network operators' segments (虚拟运营商号段): 162, 165, 167, 170x, 171. A
# signal, not proof: numbers are portable between operators.
VIRTUAL_PREFIXES = ("162", "165", "167", "170", "171")
_SPACE = re.compile(r"[\s,\uff0c.\u3002\-_#/]+")


@dataclass(frozen=True, slots=True)
class OrderKeys:
    """The keys the windows count an order under; None where the order lacks the field."""

    ip: str | None
    device: str | None
    phone: str | None
    address: str | None
    buyer: str | None
    geo7: str | None

    def present(self) -> dict[str, str]:
        pairs = {
            "ip": self.ip,
            "device": self.device,
            "phone": self.phone,
            "address": self.address,
            "buyer": self.buyer,
            "geo7": self.geo7,
        }
        return {kind: value for kind, value in pairs.items() if value is not None}


def normalise(kind: str, raw: str) -> str:
    """The comparable form of a key: digits of a phone, a collapsed lower-case address."""
    text = raw.strip()
    if kind == "phone":
        digits = "".join(ch for ch in text if ch.isdigit())
        return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits
    if kind == "address":
        collapsed = _SPACE.sub("", text.lower())
        # Long addresses are keyed by their digest so the index stays small.
        if len(collapsed) > 200:
            return "sha256:" + hashlib.sha256(collapsed.encode()).hexdigest()
        return collapsed
    return text.lower() if kind == "ip" else text


def is_virtual_phone(phone: str | None) -> bool:
    """True for a mainland mobile number in a virtual operator's segment."""
    if not phone:
        return False
    digits = normalise("phone", phone)
    return len(digits) == 11 and digits.startswith(VIRTUAL_PREFIXES)


def to_wgs84(lat: float, lng: float, system: str | None) -> tuple[float, float]:
    """(lat, lng) in WGS-84 from GCJ-02 (the default), BD-09 or WGS-84."""
    if system == "wgs84":
        return lat, lng
    convert = coordTransform.bd09_to_wgs84 if system == "bd09" else coordTransform.gcj02_to_wgs84
    wgs_lng, wgs_lat = convert(lng, lat)
    return float(wgs_lat), float(wgs_lng)


def geohash_cells(cell: str) -> list[str]:
    """The cell and its eight neighbours: a neighbourhood count ignores cell borders."""
    ring = [pygeohash.get_adjacent(cell, d) for d in ("top", "bottom")]
    cells = [cell, *ring]
    for column in list(cells):
        cells.extend(pygeohash.get_adjacent(column, d) for d in ("left", "right"))
    return cells


def keys_of(order: Any) -> OrderKeys:
    """The keys of an order as ``orders.queries.get_order`` renders it."""
    buyer: dict[str, Any] = order.buyer or {}
    address: dict[str, Any] = order.shipping_address or {}
    phone = address.get("phone") or buyer.get("phone")
    line = " ".join(
        str(address[part])
        for part in ("province", "city", "district", "line1", "line2")
        if address.get(part)
    )
    return OrderKeys(
        ip=normalise("ip", buyer["ip"]) if buyer.get("ip") else None,
        device=buyer.get("device_id") or None,
        phone=normalise("phone", phone) if phone else None,
        address=normalise("address", line) if line else None,
        buyer=buyer.get("id") or None,
        geo7=_geo7(address),
    )


def point_of(order: Any) -> tuple[float, float] | None:
    """The order's delivery point in WGS-84 (lat, lng), None without coordinates."""
    address: dict[str, Any] = order.shipping_address or {}
    lat, lng = address.get("lat"), address.get("lng")
    if lat is None or lng is None:
        return None
    return to_wgs84(float(lat), float(lng), address.get("coord_system"))


def geo7_of(point: tuple[float, float]) -> str:
    """The geohash-7 cell of a WGS-84 point."""
    return str(pygeohash.encode(point[0], point[1], precision=GEOHASH_PRECISION))


def _geo7(address: dict[str, Any]) -> str | None:
    point = point_of(_Addressed(address))
    return geo7_of(point) if point is not None else None


@dataclass(frozen=True, slots=True)
class _Addressed:
    shipping_address: dict[str, Any]
