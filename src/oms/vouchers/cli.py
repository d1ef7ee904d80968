"""``oms vouchers …``: verify a tenant's chain, export its vouchers."""

from __future__ import annotations

from typing import Annotated

import typer

from oms.core.cli import database, exit_on_app_error
from oms.vouchers import queries

__all__ = ["vouchers_app"]

vouchers_app = typer.Typer(help="Signed refund vouchers", no_args_is_help=True)
Tenant = Annotated[str, typer.Option(help="tenant id")]


@vouchers_app.command("verify")
def verify(tenant: Tenant) -> None:
    """Check hashes, signatures, sequence and links; exit 1 at the first bad voucher."""
    report = queries.verify_chain(database(), tenant)
    typer.echo(report.model_dump_json(indent=2))
    if not report.is_valid:
        typer.echo(
            f"ERR_VOUCHER_CHAIN_BROKEN: voucher {report.first_bad_seq} is {report.problem}",
            err=True,
        )
        raise typer.Exit(code=1)


@vouchers_app.command("export")
def export(
    tenant: Tenant,
    format: Annotated[str, typer.Option(help="jsonl or csv")] = "jsonl",
) -> None:
    """Print the tenant's vouchers in sequence order."""
    with exit_on_app_error():
        lines = queries.export_vouchers(database(), tenant, format)
    for line in lines:
        typer.echo(line, nl=False)
