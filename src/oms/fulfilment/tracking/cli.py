"""``oms tracking configure``: a tenant's carrier push secrets and the URL to give the carrier."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from oms.core.cli import database, exit_on_app_error, print_json
from oms.fulfilment.eta import service as eta
from oms.fulfilment.tracking import service
from oms.fulfilment.tracking.schemas import TrackingConfigOut

__all__ = ["tracking_app"]

tracking_app = typer.Typer(help="Carrier tracking pushes", no_args_is_help=True)
eta_app = typer.Typer(help="Estimated arrival windows", no_args_is_help=True)
tracking_app.add_typer(eta_app, name="eta")


@eta_app.command("train")
def train_eta(tenant: Annotated[str, typer.Option(help="tenant id")]) -> None:
    """Learn the tenant's ETA model from its own deliveries now; print what it rests on."""
    with exit_on_app_error():
        result = eta.train_tenant(database(), tenant)
    print_json(
        {
            "tenant_id": result.tenant_id,
            "samples": result.samples,
            "is_trained": result.is_trained,
            "margin_hours": result.margin_hours,
            "calibration_coverage": result.calibration_coverage,
        }
    )


@tracking_app.command("configure")
def configure(
    tenant: Annotated[str, typer.Option(help="tenant id")],
    carrier: Annotated[str, typer.Option(help="kuaidi100, sf, cainiao or generic")],
    secret: Annotated[
        str,
        typer.Option(
            help="Kuaidi100 salt, SF URL token, Cainiao secretKey or whsec_ secret; - reads stdin"
        ),
    ],
    checkword: Annotated[str | None, typer.Option(help="SF checkword (signed envelope)")] = None,
    app_key: Annotated[str | None, typer.Option(help="Cainiao app key")] = None,
    base_url: Annotated[
        str, typer.Option(help="oms's public address, as the carrier reaches it")
    ] = "http://localhost:8000",
) -> None:
    """Store the secrets sealed; print the push URL (SF's unsigned format carries a token)."""
    if secret == "-":  # noqa: S105 - the stdin marker, not a password
        secret = sys.stdin.readline().rstrip("\r\n")
    with exit_on_app_error():
        result = service.configure(
            database(), tenant, carrier, secret=secret, checkword=checkword, app_key=app_key
        )
    base = base_url.rstrip("/")
    print_json(
        TrackingConfigOut(
            tenant_id=result.tenant_id,
            carrier=result.carrier,
            push_url=base + result.push_path,
            signed_push_url=base + result.signed_push_path if result.signed_push_path else None,
            updated_at=result.updated_at,
        )
    )
