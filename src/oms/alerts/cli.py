"""``oms alerts route …``: list, add and remove a tenant's alert routes."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from oms.alerts import service
from oms.alerts.schemas import Channel, RouteIn
from oms.config import get_settings
from oms.core.clock import SystemClock
from oms.core.db import make_engine
from oms.core.errors import AppError
from oms.core.uow import Database

__all__ = ["alerts_app"]

alerts_app = typer.Typer(help="Alert channels (DingTalk, WeCom, e-mail)", no_args_is_help=True)
route_app = typer.Typer(help="Route alert types to channels", no_args_is_help=True)
alerts_app.add_typer(route_app, name="route")

Tenant = Annotated[str, typer.Option(help="tenant id")]


def _database() -> Database:
    return Database(make_engine(get_settings().database_url), SystemClock())


def _echo(data: object) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _fail(error: AppError) -> None:
    typer.echo(f"{error.code}: {error.message} {json.dumps(error.details, default=str)}", err=True)
    raise typer.Exit(code=2)


@route_app.command("list")
def list_routes(tenant: Tenant) -> None:
    """Print the tenant's routes (destinations masked, secrets never)."""
    _echo([route.model_dump() for route in service.list_routes(_database(), tenant)])


@route_app.command("add")
def add_route(
    tenant: Tenant,
    alert_type: Annotated[
        str, typer.Option("--type", help="e.g. ticket.stock_shortage, payment.*, *")
    ],
    channel: Annotated[Channel, typer.Option(help="dingtalk, wecom or email")],
    url: Annotated[str | None, typer.Option(help="robot webhook URL")] = None,
    secret: Annotated[str | None, typer.Option(help="DingTalk signing secret (SEC…)")] = None,
    email: Annotated[str | None, typer.Option(help="e-mail address")] = None,
    locale: Annotated[str, typer.Option(help="zh-CN or en")] = "zh-CN",
) -> None:
    """Add one route."""
    try:
        route = RouteIn.model_validate(
            {
                "alert_type": alert_type,
                "channel": channel,
                "url": url,
                "secret": secret,
                "email": email,
                "locale": locale,
            }
        )
        allow_private = get_settings().webhook_allow_private_networks
        added = service.add_route(_database(), tenant, route, allow_private=allow_private)
    except AppError as error:
        _fail(error)
        return
    except ValueError as error:  # pydantic's ValidationError
        typer.echo(f"ERR_VALIDATION: {error}", err=True)
        raise typer.Exit(code=2) from None
    _echo(added.model_dump())


@route_app.command("remove")
def remove_route(route_id: str, tenant: Tenant) -> None:
    """Remove one route."""
    try:
        service.remove_route(_database(), tenant, route_id)
    except AppError as error:
        _fail(error)
        return
    typer.echo(f"removed {route_id}")
