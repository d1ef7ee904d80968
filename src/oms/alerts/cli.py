"""``oms alerts route …``: list, add and remove a tenant's alert routes."""

from __future__ import annotations

from typing import Annotated

import typer

from oms.alerts import service
from oms.alerts.schemas import Channel, RouteIn
from oms.config import get_settings
from oms.core.cli import database, exit_on_app_error, fail, print_json
from oms.core.errors import AppError

__all__ = ["alerts_app"]

alerts_app = typer.Typer(help="Alert channels (DingTalk, WeCom, e-mail)", no_args_is_help=True)
route_app = typer.Typer(help="Route alert types to channels", no_args_is_help=True)
alerts_app.add_typer(route_app, name="route")

Tenant = Annotated[str, typer.Option(help="tenant id")]


@route_app.command("list")
def list_routes(tenant: Tenant) -> None:
    """Print the tenant's routes (destinations masked, secrets never)."""
    print_json([route.model_dump() for route in service.list_routes(database(), tenant)])


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
        added = service.add_route(database(), tenant, route, allow_private=allow_private)
    except AppError as error:
        fail(error)
    except ValueError as error:  # pydantic's ValidationError
        typer.echo(f"ERR_VALIDATION: {error}", err=True)
        raise typer.Exit(code=2) from None
    print_json(added.model_dump())


@route_app.command("remove")
def remove_route(route_id: str, tenant: Tenant) -> None:
    """Remove one route."""
    with exit_on_app_error():
        service.remove_route(database(), tenant, route_id)
    typer.echo(f"removed {route_id}")
