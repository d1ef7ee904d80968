"""``oms finance …``: import statements, sync expected movements, run matching."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from oms.core.cli import database, exit_on_app_error
from oms.core.context import Actor
from oms.finance import service
from oms.finance.pulls import service as pulls
from oms.finance.schemas import StatementFormat

__all__ = ["finance_app"]

finance_app = typer.Typer(help="Bank statements and matching", no_args_is_help=True)
pull_app = typer.Typer(help="Scheduled statement pulls (Alipay, WeChat Pay, bank HTTP)")
finance_app.add_typer(pull_app, name="pull")
Tenant = Annotated[str, typer.Option(help="tenant id")]


def _actor(tenant: str) -> Actor:
    return Actor(tenant_id=tenant, principal="cli:finance", role="finance")


@finance_app.command("import")
def import_file(
    tenant: Tenant,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="statement file")],
    format: Annotated[StatementFormat, typer.Option(help="mt940, camt053 or csv")],
) -> None:
    """Import a statement once and match its lines; prints the counts as JSON."""
    with exit_on_app_error():
        result = service.import_statement(
            database(), _actor(tenant), data=file.read_bytes(), fmt=format.value, filename=file.name
        )
    typer.echo(result.model_dump_json(indent=2))


@finance_app.command("sync-expected")
def sync_expected(tenant: Tenant) -> None:
    """Add expected movements for confirmed payments not yet known."""
    with exit_on_app_error():
        result = service.sync_expected(database(), tenant)
    typer.echo(result.model_dump_json(indent=2))


@finance_app.command("match")
def match(tenant: Tenant) -> None:
    """Match every open statement line against the open expected movements."""
    with exit_on_app_error():
        result = service.run_matching(database(), _actor(tenant))
    typer.echo(result.model_dump_json(indent=2))


@pull_app.command("run")
def pull_run(
    tenant: Tenant,
    source: Annotated[str, typer.Option(help="pull source id")],
    day: Annotated[str | None, typer.Option("--date", help="yyyy-mm-dd; default yesterday")] = None,
) -> None:
    """Enqueue a pull of one day now; a worker (oms worker / oms serve) runs it."""
    try:
        bill_date = date.fromisoformat(day) if day else None
    except ValueError:
        typer.echo("--date must be yyyy-mm-dd", err=True)
        raise typer.Exit(code=2) from None
    with exit_on_app_error():
        result = pulls.trigger_pull(database(), _actor(tenant), source, bill_date=bill_date)
    typer.echo(result.model_dump_json(indent=2))


@pull_app.command("sources")
def pull_sources(tenant: Tenant) -> None:
    """The tenant's pull sources with their next scheduled run."""
    page = pulls.list_sources(database(), tenant, page=pulls.PageRequest(limit=200))
    typer.echo(page.model_dump_json(indent=2))


@pull_app.command("schedule")
def pull_schedule() -> None:
    """Enqueue every pull that is due now (what each worker does about once a minute)."""
    typer.echo(f"enqueued {pulls.schedule_due(database())}")
