"""``oms stock …``: verify balances against the ledger."""

from __future__ import annotations

import json
from dataclasses import asdict

import typer

from oms.config import get_settings
from oms.core.clock import SystemClock
from oms.core.db import make_engine
from oms.core.uow import Database
from oms.inventory.queries import verify_stock

__all__ = ["stock_app"]

stock_app = typer.Typer(help="Stock: verify balances against the ledger", no_args_is_help=True)


@stock_app.command("verify")
def verify() -> None:
    """Rebuild every balance from the ledger; exit 1 with a report on any drift."""
    db = Database(make_engine(get_settings().database_url), SystemClock())
    checked, drifts = verify_stock(db)
    if drifts:
        typer.echo(json.dumps([asdict(d) for d in drifts], indent=2), err=True)
        typer.echo(f"{len(drifts)} of {checked} stock rows disagree with the ledger", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"ok: {checked} stock rows match the ledger and the active holds")
