"""What every ``oms`` command needs: the database, JSON output and one way to fail.

An ``AppError`` ends a command with its stable code on stderr and exit status 2, so scripts
can tell a refusal (2) from a crash (1) and a finding such as stock drift (1, said by the
command).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from pydantic import BaseModel

from oms.config import Settings, get_settings
from oms.core.clock import SystemClock
from oms.core.db import configured_database
from oms.core.errors import AppError
from oms.core.uow import Database

__all__ = ["database", "exit_on_app_error", "fail", "print_json"]


def database(settings: Settings | None = None) -> Database:
    """The configured database on the system clock; a SQLite file's folder is created."""
    settings = settings or get_settings()
    url = settings.database_url
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return configured_database(settings, SystemClock())


def print_json(data: Any) -> None:
    """Print ``data`` (a model, or anything JSON can say) as indented UTF-8 JSON."""
    if isinstance(data, BaseModel):
        typer.echo(data.model_dump_json(indent=2))
        return
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def fail(error: AppError) -> NoReturn:
    """Print the error's code, message and details on stderr; exit with status 2."""
    details = json.dumps(error.details, ensure_ascii=False, default=str)
    typer.echo(f"{error.code}: {error.message} {details}", err=True)
    raise typer.Exit(code=2)


@contextmanager
def exit_on_app_error() -> Iterator[None]:
    """Turn an ``AppError`` raised inside the block into :func:`fail`."""
    try:
        yield
    except AppError as error:
        fail(error)
