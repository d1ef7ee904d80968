"""The ``oms`` command: serve, worker, relay, migrate, demo, tenants, api-keys, jobs."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from oms.accounting.cli import accounting_app
from oms.alerts.cli import alerts_app
from oms.channels.cli import channels_app, webhooks_app
from oms.config import Settings, get_settings
from oms.core import auth, jobs, migrate, partners
from oms.core.cli import database, exit_on_app_error, print_json
from oms.core.context import Actor
from oms.core.errors import ValidationFailed
from oms.core.logging import configure_logging
from oms.core.uow import Database
from oms.finance.cli import finance_app
from oms.fulfilment.report.service import FulfilmentReport
from oms.fulfilment.tracking.cli import tracking_app
from oms.intelligence.exports.cli import bi_app, export_command
from oms.intelligence.linking.cli import link_app
from oms.intelligence.rca.cli import analytics_app
from oms.inventory.cli import stock_app
from oms.payments.cli import payments_app
from oms.refunds.advice import advice_report
from oms.risk import clusters, delays
from oms.risk.delay.cli import delay_app
from oms.vouchers.cli import vouchers_app

__all__ = ["app"]

app = typer.Typer(help="oms: order management system", no_args_is_help=True)
tenants_app = typer.Typer(help="Manage tenants", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys", no_args_is_help=True)
jobs_app = typer.Typer(help="Inspect and retry outbox jobs", no_args_is_help=True)
users_app = typer.Typer(help="Manage console users", no_args_is_help=True)
partners_app = typer.Typer(help="Manage partners (SaaS integrators)", no_args_is_help=True)
app.add_typer(tenants_app, name="tenants")
app.add_typer(keys_app, name="api-keys")
app.add_typer(jobs_app, name="jobs")
app.add_typer(users_app, name="users")
app.add_typer(partners_app, name="partners")
app.add_typer(stock_app, name="stock")
app.add_typer(channels_app, name="channels")
app.add_typer(tracking_app, name="tracking")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(payments_app, name="payments")
app.add_typer(alerts_app, name="alerts")
app.add_typer(finance_app, name="finance")
app.add_typer(vouchers_app, name="vouchers")
app.add_typer(link_app, name="link")
app.add_typer(analytics_app, name="analytics")
app.command("export")(export_command)
app.add_typer(bi_app, name="bi")
app.add_typer(accounting_app, name="accounting")
risk_app = typer.Typer(help="Risk: delay risk 12 h ahead, delivery clusters", no_args_is_help=True)
risk_app.add_typer(delay_app, name="delay")
app.add_typer(risk_app, name="risk")


@risk_app.command("clusters")
def risk_clusters(
    tenant: Annotated[str, typer.Option(help="tenant id")],
    days: Annotated[int, typer.Option(min=1, help="deliveries of the last N days")] = 30,
    eps_m: Annotated[
        float, typer.Option(min=1.0, help="DBSCAN radius in metres (haversine)")
    ] = 50.0,
    min_orders: Annotated[int, typer.Option(min=2, help="orders that make a cluster")] = 5,
    store: Annotated[bool, typer.Option(help="replace the flagged cells the rules read")] = True,
) -> None:
    """Cluster delivery points with DBSCAN; print the clusters (and flag their cells)."""
    found = clusters.find_clusters(
        database(), tenant, days=days, eps_m=eps_m, min_orders=min_orders, store=store
    )
    print_json({"clusters": [asdict(c) for c in found]})


reports_app = typer.Typer(help="Reports across domains", no_args_is_help=True)
app.add_typer(reports_app, name="reports")


@reports_app.command("delay-decisions")
def delay_decisions_report(tenant: Annotated[str, typer.Option(help="tenant id")]) -> None:
    """Delay suggestions: flagged parcels, decisions, accepted, the acceptance rate."""
    print_json(delays.acceptance_report(database(), tenant))


@reports_app.command("refund-advice")
def refund_advice_report(tenant: Annotated[str, typer.Option(help="tenant id")]) -> None:
    """Refund advice evaluated: followed or not, repeat purchases within 60 days, feedback."""
    with exit_on_app_error():
        print_json(advice_report(database(), tenant))


@reports_app.command("fulfilment")
def fulfilment_report_command(
    tenant: Annotated[str, typer.Option(help="tenant id")],
    month: Annotated[str, typer.Option(help="YYYY-MM, in the tenant's zone")],
    output: Annotated[
        str, typer.Option("--format", help="json, html (standalone, charts inline) or pdf")
    ] = "json",
    out: Annotated[Path | None, typer.Option(help="write to this file (pdf needs one)")] = None,
    benchmark_hours: Annotated[
        float | None, typer.Option(help="outbound benchmark (OMS_FULFILMENT_OUTBOUND_…)")
    ] = None,
    locale: Annotated[str, typer.Option(help="html language: zh-CN or en")] = "zh-CN",
) -> None:
    """Monthly fulfilment health: outbound time, on-time rate, stalls, exceptions, trend."""
    from oms.fulfilment.report.service import fulfilment_report, report_targets

    settings = get_settings()
    with exit_on_app_error():
        if output not in ("json", "html", "pdf") or (output == "pdf" and out is None):
            raise ValidationFailed("--format json|html|pdf; pdf needs --out FILE", field="format")
        targets = report_targets(settings, outbound_hours=benchmark_hours)
        report = fulfilment_report(database(settings), tenant, month, targets=targets)
        content = _report_content(report, output, locale)
    if out is None:
        typer.echo(content if isinstance(content, str) else content.decode())
        return
    out.write_bytes(content if isinstance(content, bytes) else content.encode())
    typer.echo(str(out))


def _report_content(report: FulfilmentReport, output: str, locale: str) -> str | bytes:
    if output == "pdf":
        from oms.fulfilment.report.pdf import report_pdf

        return report_pdf(report)
    if output == "html":
        from oms.console.fulfilment_report_views import standalone_html

        return standalone_html(report, locale)
    return json.dumps(asdict(report), ensure_ascii=False, indent=2, default=str)


DEMO_CREDENTIALS = Path("var/demo-credentials.json")


@app.command("migrate")
def migrate_command() -> None:
    """Bring the database schema to the newest migration."""
    settings = get_settings()
    migrate.upgrade(database(settings).engine)
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
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, max=64, help="server processes (OMS_WEB_WORKERS)"),
    ] = None,
) -> None:
    """Serve the API and the console; run one embedded worker unless told not to."""
    settings = get_settings()
    db = database(settings)
    if migrate_first and settings.migrate_on_start:
        migrate.upgrade(db.engine)
    bind_host, bind_port = host or settings.host, port or settings.port
    run_worker = worker and settings.embedded_worker
    _announce(bind_host, bind_port)
    processes = workers or settings.web_workers
    if processes == 1:
        _serve_one(settings, db, bind_host, bind_port, run_worker=run_worker)
    else:
        _serve_many(settings, db, bind_host, bind_port, processes, run_worker=run_worker)


def _announce(bind_host: str, bind_port: int) -> None:
    typer.echo(f"oms API:  http://{bind_host}:{bind_port}/docs")
    typer.echo(f"console:  http://{bind_host}:{bind_port}/console")
    typer.echo(f"health:   http://{bind_host}:{bind_port}/readyz")
    credentials = _demo_credentials()
    if credentials is not None:
        typer.echo(f"demo tenant {credentials['tenant_id']}")
        typer.echo(f"demo admin API key: {credentials['admin_api_key']}")
        _echo_demo_logins(credentials)


def _serve_one(
    settings: Settings, db: Database, bind_host: str, bind_port: int, *, run_worker: bool
) -> None:
    import uvicorn

    from oms.app import create_app

    application = create_app(settings, db=db, run_worker=run_worker)
    # No uvicorn access lines: they carry the query string, and a push URL can carry a
    # secret (SF's ?token=). oms logs each request itself, by path (http.middleware).
    uvicorn.run(application, host=bind_host, port=bind_port, log_level="warning", access_log=False)


def _serve_many(
    settings: Settings,
    db: Database,
    bind_host: str,
    bind_port: int,
    processes: int,
    *,
    run_worker: bool,
) -> None:
    """N server processes on one port (uvicorn's supervisor); the job worker runs here, once.

    The supervisor process only watches its children, so it is the one place where a single
    embedded worker can live whatever N is; the children are started with the embedded worker
    off (OMS_EMBEDDED_WORKER=0 in their environment).
    """
    import uvicorn

    os.environ["OMS_EMBEDDED_WORKER"] = "0"
    stop = threading.Event()
    thread: threading.Thread | None = None
    if run_worker:
        from oms.jobs_wiring import build_registry

        job_worker = jobs.Worker(db, settings, build_registry(settings), name="embedded")
        thread = threading.Thread(target=job_worker.run_forever, args=(stop,), daemon=True)
        thread.start()
    try:
        uvicorn.run(
            "oms.app:create_app",
            factory=True,
            host=bind_host,
            port=bind_port,
            workers=processes,
            log_level="warning",
            access_log=False,  # as in _serve_one: access lines would log query strings
            # A child answers the supervisor's pings only once it has imported oms; uvicorn's
            # default 5 s kills and restarts children that a busy machine has not yet finished
            # importing, forever. A hung child is still replaced, a minute later.
            timeout_worker_healthcheck=60,
        )
    finally:
        stop.set()
        if thread is not None:
            thread.join(timeout=10)


@app.command("worker")
def worker_command() -> None:
    """Run a job worker in the foreground; many may run against PostgreSQL."""
    from oms.jobs_wiring import build_registry

    settings = get_settings()
    configure_logging(log_format=settings.log_format, level=settings.log_level)
    registry = build_registry(settings)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    jobs.Worker(database(settings), settings, registry).run_forever(stop)


@app.command("relay")
def relay_command(
    nats_url: Annotated[
        str | None, typer.Option("--nats-url", help="NATS server(s) (OMS_NATS_URL)")
    ] = None,
    stream: Annotated[
        str | None, typer.Option("--stream", help="JetStream stream (OMS_NATS_STREAM)")
    ] = None,
) -> None:
    """Publish every domain event from the outbox to NATS JetStream, in order, until stopped.

    One relay publishes at a time; more wait as standbys. SIGTERM finishes the batch in
    flight, then exits 0.
    """
    from oms.relay.relay import run_relay

    settings = get_settings()
    configure_logging(log_format=settings.log_format, level=settings.log_level)
    with exit_on_app_error():
        run_relay(
            database(settings),
            settings,
            nats_url=nats_url or settings.nats_url,
            stream=stream or settings.nats_stream,
        )


@app.command()
def demo(
    if_empty: Annotated[bool, typer.Option(help="only when the database has no tenant")] = False,
) -> None:
    """Create the demo tenant with sample orders and print its API keys."""
    from oms import demo as demo_data

    settings = get_settings()
    # The demo runs jobs; their log lines go to stderr so stdout stays the JSON alone.
    configure_logging(log_format=settings.log_format, level="WARNING")
    db = database(settings)
    if if_empty and demo_data.has_tenants(db):
        typer.echo("database already has tenants; demo data left as it is")
        credentials = _demo_credentials()
        if credentials is not None:
            typer.echo(f"demo admin API key: {credentials['admin_api_key']}")
            _echo_demo_logins(credentials)
        return
    created = demo_data.create_demo(db, settings=settings)
    demo_data.save_credentials(DEMO_CREDENTIALS, created)
    print_json(asdict(created))


def _echo_demo_logins(credentials: dict[str, str]) -> None:
    from oms.demo import ROLES

    for role in ROLES:
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
    with exit_on_app_error():
        created = auth.create_tenant(
            database(),
            name=name,
            timezone=timezone,
            payment_timeout_seconds=payment_timeout,
        )
    print_json(
        {"tenant_id": created.tenant_id, "name": created.name, "api_key": created.admin_key.api_key}
    )


@partners_app.command("create")
def create_partner(name: Annotated[str, typer.Option(help="the integrator's name")]) -> None:
    """Register a partner; prints its id and partner key (shown once)."""
    with exit_on_app_error():
        created = partners.create_partner(database(get_settings()), name=name)
    print_json({"partner_id": created.partner_id, "partner_key": created.partner_key})


@partners_app.command("rotate-key")
def rotate_partner_key(partner: Annotated[str, typer.Option(help="partner id")]) -> None:
    """Issue a partner a new key (its old one stops working); prints it once."""
    with exit_on_app_error():
        rotated = partners.rotate_partner_key(database(get_settings()), partner)
    print_json({"partner_id": rotated.partner_id, "partner_key": rotated.partner_key})


@keys_app.command("create")
def create_key(
    tenant: Annotated[str, typer.Option(help="tenant id")],
    role: Annotated[str, typer.Option(help="admin, ops, service, finance, warehouse, integration")],
    name: Annotated[str, typer.Option(help="what the key is for")] = "",
) -> None:
    """Issue an API key; prints it once."""
    with exit_on_app_error():
        created = auth.create_api_key(database(), tenant_id=tenant, role=role, name=name)
    print_json(
        {
            "tenant_id": created.tenant_id,
            "key_id": created.key_id,
            "role": created.role,
            "api_key": created.api_key,
        }
    )


@keys_app.command("list")
def list_keys(
    tenant: Annotated[str, typer.Option(help="tenant id")],
    cursor: Annotated[str | None, typer.Option(help="next_cursor of the previous page")] = None,
    limit: int = 50,
) -> None:
    """List a tenant's keys (never the keys themselves: their last 4 characters at most)."""
    with exit_on_app_error():
        page = auth.list_api_keys(database(), tenant_id=tenant, cursor=cursor, limit=limit)
    print_json({"items": [asdict(i) for i in page.items], "next_cursor": page.next_cursor})


@keys_app.command("revoke")
def revoke_key(
    key_id: str,
    tenant: Annotated[str, typer.Option(help="tenant id of the key")],
) -> None:
    """Revoke a key; every server refuses it within a second. Revoking twice is harmless."""
    actor = Actor(tenant_id=tenant, principal="cli:api-keys", role="admin")
    with exit_on_app_error():
        info = auth.revoke_api_key(database(), actor, key_id)
    print_json(asdict(info))


@jobs_app.command("list")
def list_jobs(
    status: Annotated[str | None, typer.Option(help="pending, running, done or dead")] = "dead",
    tenant: Annotated[str | None, typer.Option(help="only this tenant")] = None,
    limit: int = 50,
) -> None:
    """List outbox jobs, dead letters by default."""
    found = jobs.list_jobs(database(), tenant_id=tenant, status=status, limit=limit)
    print_json([asdict(job) for job in found])


@jobs_app.command("retry")
def retry(
    job_id: str,
    tenant: Annotated[str, typer.Option(help="tenant id of the job")],
) -> None:
    """Queue a dead job again."""
    with exit_on_app_error():
        job = jobs.retry_job(database(), tenant_id=tenant, job_id=job_id)
    print_json(asdict(job))


@jobs_app.command("sweeps")
def sweeps() -> None:
    """Show each periodic sweep's lease: who runs it, when it last started and finished."""
    print_json(jobs.sweep_leases(database()))


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
    with exit_on_app_error():
        created = users.create_user(
            database(),
            tenant_id=tenant,
            email=email,
            password=password,
            role=role,
            locale=locale,
        )
    print_json(asdict(created))


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    # Piped (scripts, tests): the first line is the password.
    return sys.stdin.readline().rstrip("\r\n")


def main() -> None:  # pragma: no cover - console entry for python -m oms
    sys.exit(app())
