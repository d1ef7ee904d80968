"""The ``oms`` command: serve, worker, migrate, demo, tenants, api-keys, jobs."""

from __future__ import annotations

import json
import signal
import sys
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from oms.alerts.cli import alerts_app
from oms.channels.cli import channels_app, webhooks_app
from oms.config import Settings, get_settings
from oms.core import auth, jobs, migrate
from oms.core.clock import SystemClock
from oms.core.db import make_engine
from oms.core.errors import AppError
from oms.core.logging import configure_logging
from oms.core.uow import Database
from oms.finance.cli import finance_app
from oms.inventory.cli import stock_app
from oms.payments.cli import payments_app
from oms.vouchers.cli import vouchers_app

__all__ = ["app"]

app = typer.Typer(help="oms: order management system", no_args_is_help=True)
tenants_app = typer.Typer(help="Manage tenants", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys", no_args_is_help=True)
jobs_app = typer.Typer(help="Inspect and retry outbox jobs", no_args_is_help=True)
users_app = typer.Typer(help="Manage console users", no_args_is_help=True)
app.add_typer(tenants_app, name="tenants")
app.add_typer(keys_app, name="api-keys")
app.add_typer(jobs_app, name="jobs")
app.add_typer(users_app, name="users")
app.add_typer(stock_app, name="stock")
app.add_typer(channels_app, name="channels")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(payments_app, name="payments")
app.add_typer(alerts_app, name="alerts")
app.add_typer(finance_app, name="finance")
app.add_typer(vouchers_app, name="vouchers")

DEMO_CREDENTIALS = Path("var/demo-credentials.json")


def _database(settings: Settings) -> Database:
    if settings.database_url.startswith("sqlite:///") and not settings.database_url.endswith(
        ":memory:"
    ):
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    return Database(make_engine(settings.database_url), SystemClock())


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _fail(error: AppError) -> None:
    typer.echo(f"{error.code}: {error.message} {json.dumps(error.details, default=str)}", err=True)
    raise typer.Exit(code=2)


@app.command("migrate")
def migrate_command() -> None:
    """Bring the database schema to the newest migration."""
    settings = get_settings()
    migrate.upgrade(_database(settings).engine)
    typer.echo(f"migrated to {migrate.head_revision()}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (OMS_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (OMS_PORT)")] = None,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="run the embedded job worker")
    ] = True,
    migrate_first: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="migrate before serving")
    ] = True,
) -> None:
    """Serve the API (and, later, the console); run one embedded worker unless told not to."""
    import uvicorn

    from oms.app import create_app

    settings = get_settings()
    db = _database(settings)
    if migrate_first and settings.migrate_on_start:
        migrate.upgrade(db.engine)
    bind_host, bind_port = host or settings.host, port or settings.port
    run_worker = worker and settings.embedded_worker
    application = create_app(settings, db=db, run_worker=run_worker)
    typer.echo(f"oms API:  http://{bind_host}:{bind_port}/docs")
    typer.echo(f"console:  http://{bind_host}:{bind_port}/console")
    typer.echo(f"health:   http://{bind_host}:{bind_port}/readyz")
    credentials = _demo_credentials()
    if credentials is not None:
        typer.echo(f"demo tenant {credentials['tenant_id']}")
        typer.echo(f"demo admin API key: {credentials['admin_api_key']}")
        _echo_demo_logins(credentials)
    uvicorn.run(application, host=bind_host, port=bind_port, log_level="warning")


@app.command("worker")
def worker_command() -> None:
    """Run a job worker in the foreground; many may run against PostgreSQL."""
    from oms.app import register_jobs

    settings = get_settings()
    configure_logging(log_format=settings.log_format, level=settings.log_level)
    register_jobs()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    jobs.Worker(_database(settings), settings).run_forever(stop)


@app.command()
def demo(
    if_empty: Annotated[bool, typer.Option(help="only when the database has no tenant")] = False,
) -> None:
    """Create the demo tenant with sample orders and print its API keys."""
    from oms import demo as demo_data

    settings = get_settings()
    db = _database(settings)
    if if_empty and demo_data.has_tenants(db):
        typer.echo("database already has tenants; demo data left as it is")
        credentials = _demo_credentials()
        if credentials is not None:
            typer.echo(f"demo admin API key: {credentials['admin_api_key']}")
            _echo_demo_logins(credentials)
        return
    created = demo_data.create_demo(db)
    demo_data.save_credentials(DEMO_CREDENTIALS, created)
    _print_json(asdict(created))


def _echo_demo_logins(credentials: dict[str, str]) -> None:
    for role in ("ops", "warehouse"):
        if credentials.get(f"{role}_email"):
            typer.echo(
                f"demo console login ({role}): {credentials[f'{role}_email']} "
                f"/ {credentials[f'{role}_password']}"
            )


def _demo_credentials() -> dict[str, str] | None:
    if not DEMO_CREDENTIALS.exists():
        return None
    data: dict[str, str] = json.loads(DEMO_CREDENTIALS.read_text())
    return data


@tenants_app.command("create")
def create_tenant(
    name: Annotated[str, typer.Option(help="the merchant's name")],
    timezone: Annotated[str, typer.Option(help="IANA zone")] = "Asia/Shanghai",
    payment_timeout: Annotated[int, typer.Option(help="seconds an order may stay unpaid")] = 900,
) -> None:
    """Create a tenant; prints its id and an admin API key (shown once)."""
    try:
        created = auth.create_tenant(
            _database(get_settings()),
            name=name,
            timezone=timezone,
            payment_timeout_seconds=payment_timeout,
        )
    except AppError as error:
        _fail(error)
        return
    _print_json(
        {"tenant_id": created.tenant_id, "name": created.name, "api_key": created.admin_key.api_key}
    )


@keys_app.command("create")
def create_key(
    tenant: Annotated[str, typer.Option(help="tenant id")],
    role: Annotated[str, typer.Option(help="admin, ops, service, finance, warehouse, integration")],
    name: Annotated[str, typer.Option(help="what the key is for")] = "",
) -> None:
    """Issue an API key; prints it once."""
    try:
        created = auth.create_api_key(
            _database(get_settings()), tenant_id=tenant, role=role, name=name
        )
    except AppError as error:
        _fail(error)
        return
    _print_json(
        {
            "tenant_id": created.tenant_id,
            "key_id": created.key_id,
            "role": created.role,
            "api_key": created.api_key,
        }
    )


@jobs_app.command("list")
def list_jobs(
    status: Annotated[str | None, typer.Option(help="pending, running, done or dead")] = "dead",
    tenant: Annotated[str | None, typer.Option(help="only this tenant")] = None,
    limit: int = 50,
) -> None:
    """List outbox jobs, dead letters by default."""
    found = jobs.list_jobs(_database(get_settings()), tenant_id=tenant, status=status, limit=limit)
    _print_json([asdict(job) for job in found])


@jobs_app.command("retry")
def retry(
    job_id: str,
    tenant: Annotated[str, typer.Option(help="tenant id of the job")],
) -> None:
    """Queue a dead job again."""
    try:
        job = jobs.retry_job(_database(get_settings()), tenant_id=tenant, job_id=job_id)
    except AppError as error:
        _fail(error)
        return
    _print_json(asdict(job))


@users_app.command("create")
def create_user(
    tenant: Annotated[str, typer.Option(help="tenant id")],
    email: Annotated[str, typer.Option(help="sign-in address, unique across tenants")],
    role: Annotated[str, typer.Option(help="admin, ops, service, finance, warehouse, integration")],
    locale: Annotated[str, typer.Option(help="console language: zh-CN or en")] = "zh-CN",
) -> None:
    """Create a console user; the password is prompted for, or read from stdin when piped."""
    from oms.users import service as users

    password = _read_password()
    try:
        created = users.create_user(
            _database(get_settings()),
            tenant_id=tenant,
            email=email,
            password=password,
            role=role,
            locale=locale,
        )
    except AppError as error:
        _fail(error)
        return
    _print_json(asdict(created))


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    # Piped (scripts, tests): the first line is the password.
    return sys.stdin.readline().rstrip("\r\n")


def main() -> None:  # pragma: no cover - console entry for python -m oms
    sys.exit(app())
