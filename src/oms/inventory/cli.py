"""``oms stock …``: verify balances against the ledger."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer

from oms.core.cli import database, exit_on_app_error
from oms.core.context import Actor
from oms.inventory.queries import verify_stock
from oms.inventory.service import split_into_buckets

__all__ = ["stock_app"]

stock_app = typer.Typer(help="Stock: buckets for hot SKUs, verification", no_args_is_help=True)


@stock_app.command("buckets")
def buckets(
    sku: str,
    count: Annotated[int, typer.Option(help="how many buckets (1-64); can only grow")],
    warehouse: Annotated[
        str | None, typer.Option(help="warehouse code; default: the first")
    ] = None,
    tenant: Annotated[str, typer.Option(help="tenant id")] = "",
) -> None:
    """Split a hot SKU's stock in a warehouse into buckets (one row lock each)."""
    db = database()
    actor = Actor(tenant, "cli:stock-buckets", "admin")
    with exit_on_app_error():
        level = split_into_buckets(db, actor, sku, warehouse=warehouse, count=count)
    typer.echo(level.model_dump_json(indent=2))


@stock_app.command("verify")
def verify() -> None:
    """Rebuild every balance from the ledger; exit 1 with a report on any drift."""
    db = database()
    checked, drifts = verify_stock(db)
    if drifts:
        typer.echo(json.dumps([asdict(d) for d in drifts], indent=2), err=True)
        typer.echo(f"{len(drifts)} of {checked} stock rows disagree with the ledger", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"ok: {checked} stock rows match the ledger and the active holds")
