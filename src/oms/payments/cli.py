"""``oms payments …``: configure a tenant's gateway from PEM files, show it without secrets."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from oms.config import get_settings
from oms.core.clock import SystemClock
from oms.core.context import Actor
from oms.core.db import make_engine
from oms.core.errors import AppError
from oms.core.uow import Database
from oms.payments import service
from oms.payments.schemas import AlipayConfigIn, GatewayName, WechatPayConfigIn

__all__ = ["payments_app"]

payments_app = typer.Typer(help="Payment gateways: configure, show", no_args_is_help=True)
PemFile = Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="PEM file")]
Text = Annotated[str | None, typer.Option()]


def _db() -> Database:
    return Database(make_engine(get_settings().database_url), SystemClock())


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
    }
    model = AlipayConfigIn if gateway == GatewayName.ALIPAY else WechatPayConfigIn
    fields = {k: v for k, v in given.items() if v is not None and k in model.model_fields}
    actor = Actor(tenant_id=tenant, principal=f"cli:{getpass.getuser()}", role="admin")
    try:
        out = service.configure_gateway(_db(), actor, model.model_validate(fields))
    except ValidationError as error:
        typer.echo(f"ERR_VALIDATION: {_fields(error)}", err=True)
        raise typer.Exit(code=2) from None
    except AppError as error:
        typer.echo(f"{error.code}: {error.message}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(out.model_dump_json(indent=2))


@payments_app.command("show")
def show(
    tenant: Annotated[str, typer.Option(help="tenant id")],
    gateway: Annotated[GatewayName, typer.Option(help="alipay or wechatpay")],
) -> None:
    """Show a gateway's configuration without secrets."""
    try:
        out = service.gateway_config(_db(), tenant, gateway)
    except AppError as error:
        typer.echo(f"{error.code}: {error.message}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(out.model_dump_json(indent=2))


def _read(path: Path | None) -> str | None:
    return path.read_text() if path is not None else None


def _fields(error: ValidationError) -> str:
    # Field names and messages only: the input values may be keys.
    return json.dumps(
        [{"field": ".".join(map(str, e["loc"])), "problem": e["msg"]} for e in error.errors()]
    )
