"""``oms channels …`` (secrets, mapping preview) and ``oms webhooks check`` (health)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from oms.channels import health, service
from oms.channels.schemas import ChannelConfigIn
from oms.config import get_settings
from oms.core.clock import SystemClock
from oms.core.db import make_engine
from oms.core.errors import AppError, ValidationFailed
from oms.core.uow import Database

__all__ = ["channels_app", "webhooks_app"]

channels_app = typer.Typer(
    help="Platform channels: secrets and field mappings", no_args_is_help=True
)
webhooks_app = typer.Typer(help="Webhooks: health of the inbound channels", no_args_is_help=True)


def _database() -> Database:
    return Database(make_engine(get_settings().database_url), SystemClock())


def _fail(error: AppError) -> None:
    typer.echo(f"{error.code}: {error.message} {json.dumps(error.details, default=str)}", err=True)
    raise typer.Exit(code=2)


def _read_json(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def _config_in(
    secret: str, client_id: str | None, mapping: dict[str, Any] | None
) -> ChannelConfigIn:
    try:
        return ChannelConfigIn(secret=secret, client_id=client_id, mapping=mapping)
    except ValidationError as error:
        fields = [".".join(map(str, e["loc"])) for e in error.errors()]
        raise ValidationFailed("; ".join(e["msg"] for e in error.errors()), fields=fields) from None


@channels_app.command("configure")
def configure(
    tenant: Annotated[str, typer.Option(help="tenant id")],
    channel: Annotated[str, typer.Option(help="shopify, youzan or generic")],
    secret: Annotated[str, typer.Option(help="the platform's signing secret; - reads stdin")],
    client_id: Annotated[str | None, typer.Option(help="Youzan client_id")] = None,
    mapping: Annotated[Path | None, typer.Option(help="JSON file of mapping overrides")] = None,
) -> None:
    """Set a channel's secret (stored sealed) and mapping overrides; prints the settings."""
    if secret == "-":  # noqa: S105 - the stdin marker, not a password
        secret = sys.stdin.readline().rstrip("\r\n")
    try:
        data = _config_in(secret, client_id, _read_json(mapping))
        out = service.configure_channel(_database(), tenant, channel, data)
    except AppError as error:
        _fail(error)
        return
    typer.echo(out.model_dump_json(indent=2))


@channels_app.command("map")
def map_sample(
    file: Annotated[Path, typer.Argument(help="a sample payload (the raw webhook body)")],
    connector: Annotated[str, typer.Option(help="shopify, youzan or generic")],
    mapping: Annotated[Path | None, typer.Option(help="JSON file of mapping overrides")] = None,
) -> None:
    """Print the oms order (and status events) a sample payload becomes; stores nothing."""
    try:
        out = service.map_payload(connector, file.read_bytes(), overrides=_read_json(mapping))
    except AppError as error:
        _fail(error)
        return
    typer.echo(out.model_dump_json(indent=2))


@webhooks_app.command("check")
def check(
    tenant: Annotated[str, typer.Option(help="tenant id")],
    window_hours: Annotated[int, typer.Option(help="how far back to look")] = 168,
) -> None:
    """Report each channel's webhook health with findings; exit 1 on a critical finding."""
    report = health.check_channels(_database(), tenant, window_hours=window_hours)
    typer.echo(report.model_dump_json(indent=2))
    severities = {f.severity for c in report.channels for f in c.findings}
    if "critical" in severities:
        raise typer.Exit(code=1)
