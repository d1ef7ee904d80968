"""Use cases of alert routing: set, add, remove and list a tenant's routes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import delete

from oms.alerts.errors import AlertRouteInvalid, AlertRouteNotFound
from oms.alerts.models import AlertRoute
from oms.alerts.schemas import Channel, RouteIn, RouteOut
from oms.core.destinations import DestinationRefused, resolve_destination
from oms.core.ids import new_id
from oms.core.paging import Page, PageRequest, fetch_all, fetch_items
from oms.core.repo import scoped
from oms.core.secrets import secret_box
from oms.core.shapes import project
from oms.core.uow import Database, UnitOfWork

__all__ = [
    "add_route",
    "list_routes",
    "remove_route",
    "replace_routes",
    "route_context",
]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class _Checked:
    route: RouteIn
    destination: str
    hint: str
    secret: str | None


def route_context(tenant_id: str, route_id: str, part: str) -> str:
    """What a route's sealed destination (``part="destination"``) or secret is bound to."""
    return f"tenant:{tenant_id}:alert-route:{route_id}:{part}"


def replace_routes(
    db: Database, tenant_id: str, routes: list[RouteIn], *, allow_private: bool
) -> list[RouteOut]:
    """Make ``routes`` the tenant's whole routing table.

    Raises: ERR_ALERT_ROUTE_INVALID (a missing field, a bad address, a refused URL).
    """
    checked = [_check(route, allow_private=allow_private) for route in routes]
    with db.uow() as uow:
        uow.session.execute(delete(AlertRoute).where(AlertRoute.tenant_id == tenant_id))
        rows = [_add(uow, tenant_id, item) for item in checked]
        uow.commit()
    return [_out(row) for row in rows]


def add_route(db: Database, tenant_id: str, route: RouteIn, *, allow_private: bool) -> RouteOut:
    """Add one route to the tenant's table. Raises: ERR_ALERT_ROUTE_INVALID."""
    checked = _check(route, allow_private=allow_private)
    with db.uow() as uow:
        row = _add(uow, tenant_id, checked)
        uow.commit()
    return _out(row)


def remove_route(db: Database, tenant_id: str, route_id: str) -> None:
    """Remove one route. Raises: ERR_ALERT_ROUTE_NOT_FOUND."""
    with db.uow() as uow:
        result = uow.session.execute(
            delete(AlertRoute).where(AlertRoute.tenant_id == tenant_id, AlertRoute.id == route_id)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise AlertRouteNotFound(route_id=route_id)
        uow.commit()


_ROUTE_KEYS = (AlertRoute.created_at, AlertRoute.id)


def list_routes(db: Database, tenant_id: str) -> list[RouteOut]:
    """The tenant's routes, oldest first, destinations masked and secrets withheld."""
    with db.reader() as session:
        return fetch_all(session, scoped(AlertRoute, tenant_id), _ROUTE_KEYS, _out)


def route_page(
    db: Database, tenant_id: str, *, page: PageRequest = PageRequest()
) -> Page[RouteOut]:
    """One page of the tenant's routes, oldest first, destinations masked, secrets withheld."""
    stmt = scoped(AlertRoute, tenant_id)
    with db.reader() as session:
        return fetch_items(session, stmt, _ROUTE_KEYS, page, _out, scope="alert-routes")


def _check(route: RouteIn, *, allow_private: bool) -> _Checked:
    if route.channel == Channel.EMAIL:
        if route.url or route.secret or not route.email or not _EMAIL.match(route.email):
            raise AlertRouteInvalid("an email route needs a valid email and nothing else")
        return _Checked(route, route.email.strip().lower(), route.email.strip().lower(), None)
    if route.email or not route.url:
        raise AlertRouteInvalid(f"a {route.channel} route needs a url", channel=route.channel)
    if route.channel == Channel.DINGTALK and not route.secret:
        raise AlertRouteInvalid("a DingTalk route needs the robot's signing secret (SEC…)")
    if route.channel == Channel.WECOM and route.secret:
        raise AlertRouteInvalid("a WeCom robot has no secret: its key is in the url")
    try:
        destination = resolve_destination(route.url, allow_private=allow_private)
    except DestinationRefused as exc:
        raise AlertRouteInvalid(exc.message, **exc.details) from None
    return _Checked(route, destination.url, _mask(destination.url), route.secret)


def _mask(url: str) -> str:
    """The URL without its query (where robots keep their token or key)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + ("?…" if parts.query else "")


def _add(uow: UnitOfWork, tenant_id: str, checked: _Checked) -> AlertRoute:
    route_id, box = new_id(), secret_box()
    now: datetime = uow.clock.now()
    row = AlertRoute(
        tenant_id=tenant_id,
        id=route_id,
        alert_type=checked.route.alert_type,
        channel=checked.route.channel.value,
        destination_sealed=box.seal(
            checked.destination, context=route_context(tenant_id, route_id, "destination")
        ),
        destination_hint=checked.hint,
        secret_sealed=None
        if checked.secret is None
        else box.seal(checked.secret, context=route_context(tenant_id, route_id, "secret")),
        locale=checked.route.locale,
        created_at=now,
    )
    uow.session.add(row)
    return row


def _out(row: AlertRoute) -> RouteOut:
    # The destination shows masked (its hint); the secret only as whether there is one.
    return project(
        RouteOut, row, destination=row.destination_hint, has_secret=row.secret_sealed is not None
    )
