"""``oms channels …``: secrets, mapping preview and ``check`` (health of the inbound channels).

``oms webhooks check`` is the old name of ``oms channels check``, kept for one release.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from oms.channels import health, service
from oms.channels.schemas import ChannelConfigIn
from oms.core.cli import database, exit_on_app_error
from oms.core.errors import ValidationFailed

__all__ = ["channels_app", "webhooks_app"]

channels_app = typer.Typer(
    help="Platform channels: secrets and field mappings", no_args_is_help=True
)
webhooks_app = typer.Typer(
    help="Deprecated: use `oms channels check` (kept for one release)", no_args_is_help=True
)


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
    with exit_on_app_error():
        data = _config_in(secret, client_id, _read_json(mapping))
        out = service.configure_channel(database(), tenant, channel, data)
    typer.echo(out.model_dump_json(indent=2))


@channels_app.command("map")
def map_sample(
    file: Annotated[Path, typer.Argument(help="a sample payload (the raw webhook body)")],
    connector: Annotated[str, typer.Option(help="shopify, youzan or generic")],
    mapping: Annotated[Path | None, typer.Option(help="JSON file of mapping overrides")] = None,
) -> None:
    """Print the oms order (and status events) a sample payload becomes; stores nothing."""
    with exit_on_app_error():
        out = service.map_payload(connector, file.read_bytes(), overrides=_read_json(mapping))
    typer.echo(out.model_dump_json(indent=2))


@channels_app.command("check")
def check(
    tenant: Annotated[str, typer.Option(help="tenant id")],
    window_hours: Annotated[int, typer.Option(help="how far back to look")] = 168,
) -> None:
    """Report each channel's webhook health with findings; exit 1 on a critical finding."""
    report = health.check_channels(database(), tenant, window_hours=window_hours)
    typer.echo(report.model_dump_json(indent=2))
    severities = {f.severity for c in report.channels for f in c.findings}
    if "critical" in severities:
        raise typer.Exit(code=1)


@webhooks_app.command("check", deprecated=True)
def check_deprecated(
    tenant: Annotated[str, typer.Option(help="tenant id")],
    window_hours: Annotated[int, typer.Option(help="how far back to look")] = 168,
) -> None:
    """Old name of `oms channels check` (it checks inbound channels, not outbound webhooks)."""
    typer.echo("`oms webhooks check` is deprecated: use `oms channels check`", err=True)
    check(tenant=tenant, window_hours=window_hours)
