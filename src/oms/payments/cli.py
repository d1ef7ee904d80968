"""``oms payments …``: configure a tenant's gateway from PEM files, show it without secrets."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from oms.core.cli import database, exit_on_app_error, fail
from oms.core.context import Actor
from oms.core.errors import AppError
from oms.payments import service
from oms.payments.gateways.registry import gateway_for
from oms.payments.schemas import GatewayName

__all__ = ["payments_app"]

payments_app = typer.Typer(help="Payment gateways: configure, show", no_args_is_help=True)
PemFile = Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="PEM file")]
Text = Annotated[str | None, typer.Option()]


@payments_app.command("configure")
def configure(
    tenant: Annotated[str, typer.Option(help="tenant id")],
    gateway: Annotated[GatewayName, typer.Option(help="alipay or wechatpay")],
    app_id: Text = None,
    gateway_public_key: PemFile = None,
    merchant_private_key: PemFile = None,
    base_url: Text = None,
    mch_id: Text = None,
    api_v3_key: Text = None,
    platform_public_key: PemFile = None,
    platform_public_key_id: Text = None,
    merchant_serial: Text = None,
    seller_id: Annotated[
        str | None, typer.Option(help="alipay: the seller account (PID, 2088…) to require")
    ] = None,
) -> None:
    """Set a gateway's configuration; prints it without secrets."""
    given = {
        "app_id": app_id,
        "gateway_public_key": _read(gateway_public_key),
        "merchant_private_key": _read(merchant_private_key),
        "base_url": base_url,
        "mch_id": mch_id,
        "api_v3_key": api_v3_key,
        "platform_public_key": _read(platform_public_key),
        "platform_public_key_id": platform_public_key_id,
        "merchant_serial": merchant_serial,
        "seller_id": seller_id,
    }
    model = gateway_for(gateway).config_model
    fields = {k: v for k, v in given.items() if v is not None and k in model.model_fields}
    actor = Actor(tenant_id=tenant, principal=f"cli:{getpass.getuser()}", role="admin")
    try:
        out = service.configure_gateway(database(), actor, model.model_validate(fields))
    except ValidationError as error:
        typer.echo(f"ERR_VALIDATION: {_fields(error)}", err=True)
        raise typer.Exit(code=2) from None
    except AppError as error:
        fail(error)
    typer.echo(out.model_dump_json(indent=2))


@payments_app.command("show")
def show(
    tenant: Annotated[str, typer.Option(help="tenant id")],
    gateway: Annotated[GatewayName, typer.Option(help="alipay or wechatpay")],
) -> None:
    """Show a gateway's configuration without secrets."""
    with exit_on_app_error():
        out = service.gateway_config(database(), tenant, gateway)
    typer.echo(out.model_dump_json(indent=2))


def _read(path: Path | None) -> str | None:
    return path.read_text() if path is not None else None


def _fields(error: ValidationError) -> str:
    # Field names and messages only: the input values may be keys.
    return json.dumps(
        [{"field": ".".join(map(str, e["loc"])), "problem": e["msg"]} for e in error.errors()]
    )
