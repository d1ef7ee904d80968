"""``oms export``: datasets as partitioned Parquet or CSV files; ``oms bi``: read-only roles."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from pydantic import TypeAdapter, ValidationError

from oms.config import get_settings
from oms.core.cli import database, exit_on_app_error, print_json
from oms.core.instants import Instant
from oms.intelligence.exports import roles
from oms.intelligence.exports.errors import ExportInvalid
from oms.intelligence.exports.service import DATASETS, export_to_directory

__all__ = ["bi_app", "export_command"]


def export_command(
    tenant: Annotated[str, typer.Option(help="tenant id")],
    out: Annotated[Path, typer.Option(help="folder the partitioned files go under")],
    dataset: Annotated[
        list[str] | None,
        typer.Option(help=f"one of {', '.join(DATASETS)} (repeat; default: all)"),
    ] = None,
    format: Annotated[str, typer.Option(help="parquet or csv")] = "parquet",
    updated_since: Annotated[
        str | None,
        typer.Option(
            help="ISO 8601 instant: rows changed from here on (the last run's next_updated_since)"
        ),
    ] = None,
) -> None:
    """Write OUT/<dataset>/tenant_id=<id>/date=<day>/part-<stamp>.<format>; print JSON."""
    settings = get_settings()
    with exit_on_app_error():
        since = _instant(updated_since)
        summary = export_to_directory(
            database(settings),
            tenant,
            list(dataset or DATASETS),
            format,
            out,
            since=since,
            overlap=timedelta(seconds=settings.sync_overlap_seconds),
        )
    print_json(summary.as_json())


_INSTANT: TypeAdapter[datetime] = TypeAdapter(Instant)


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return _INSTANT.validate_python(text)
    except ValidationError as exc:
        raise ExportInvalid(
            "updated_since is not an ISO 8601 instant with a zone", updated_since=text
        ) from exc


bi_app = typer.Typer(
    help="Read-only PostgreSQL roles for BI tools, one per tenant", no_args_is_help=True
)


@bi_app.command("grant")
def grant(
    tenant: Annotated[str, typer.Option(help="tenant id")],
    actor: Annotated[str, typer.Option(help="who grants it (kept with the role)")] = "cli",
) -> None:
    """Create (or re-key) the tenant's read-only role; print its name and password once."""
    with exit_on_app_error():
        granted = roles.grant_role(database(), tenant, actor=actor)
    print_json(granted)


@bi_app.command("revoke")
def revoke(tenant: Annotated[str, typer.Option(help="tenant id")]) -> None:
    """Drop the tenant's read-only role."""
    with exit_on_app_error():
        print_json(roles.revoke_role(database(), tenant))
