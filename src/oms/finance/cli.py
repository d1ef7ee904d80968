"""``oms finance …``: import statements, sync expected movements, run matching."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oms.config import get_settings
from oms.core.clock import SystemClock
from oms.core.context import Actor
from oms.core.db import make_engine
from oms.core.errors import AppError
from oms.core.uow import Database
from oms.finance import service
from oms.finance.schemas import StatementFormat

__all__ = ["finance_app"]

finance_app = typer.Typer(help="Bank statements and matching", no_args_is_help=True)
Tenant = Annotated[str, typer.Option(help="tenant id")]


def _db() -> Database:
    return Database(make_engine(get_settings().database_url), SystemClock())


def _actor(tenant: str) -> Actor:
    return Actor(tenant_id=tenant, principal="cli:finance", role="finance")


def _fail(error: AppError) -> None:
    typer.echo(f"{error.code}: {error.message}", err=True)
    raise typer.Exit(code=2)


@finance_app.command("import")
def import_file(
    tenant: Tenant,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="statement file")],
    format: Annotated[StatementFormat, typer.Option(help="mt940, camt053 or csv")],
) -> None:
    """Import a statement once and match its lines; prints the counts as JSON."""
    try:
        result = service.import_statement(
            _db(), _actor(tenant), data=file.read_bytes(), fmt=format.value, filename=file.name
        )
    except AppError as error:
        _fail(error)
        return
    typer.echo(result.model_dump_json(indent=2))


@finance_app.command("sync-expected")
def sync_expected(tenant: Tenant) -> None:
    """Add expected movements for confirmed payments not yet known."""
    try:
        result = service.sync_expected(_db(), tenant)
    except AppError as error:
        _fail(error)
        return
    typer.echo(result.model_dump_json(indent=2))


@finance_app.command("match")
def match(tenant: Tenant) -> None:
    """Match every open statement line against the open expected movements."""
    try:
        result = service.run_matching(_db(), _actor(tenant))
    except AppError as error:
        _fail(error)
        return
    typer.echo(result.model_dump_json(indent=2))
