"""The FastAPI application factory: routers, middleware, error handlers."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from oms import __version__
from oms.alerts import api as alerts_api
from oms.alerts import jobs as alerts_jobs
from oms.channels import api as channels_api
from oms.config import Settings, get_settings
from oms.console import web as console_web
from oms.core.clock import Clock, SystemClock
from oms.core.db import make_engine
from oms.core.jobs import Worker
from oms.core.logging import configure_logging
from oms.core.uow import Database
from oms.feedback import api as feedback_api
from oms.feedback import web as feedback_web
from oms.finance import api as finance_api
from oms.fulfillment import api as fulfillment_api
from oms.http import system_api
from oms.http.middleware import BodyGuardMiddleware, IdempotencyMiddleware, TraceMiddleware
from oms.http.problems import install_problem_handlers
from oms.inventory import api as inventory_api
from oms.inventory import jobs as inventory_jobs
from oms.inventory.queries import LevelCache
from oms.orders import api as orders_api
from oms.orders import jobs as orders_jobs
from oms.payments import api as payments_api
from oms.payments import jobs as payments_jobs
from oms.refunds import api as refunds_api
from oms.refunds import jobs as refunds_jobs
from oms.tickets import api as tickets_api
from oms.vouchers import api as vouchers_api
from oms.webhooks import api as webhooks_api
from oms.webhooks import jobs as webhooks_jobs

__all__ = ["create_app", "register_jobs"]


# The gateways' and platforms' endpoints: every delivery reaches the inbox, even a bad one.
INTAKE_PATHS = (
    r"/api/v1/payments/[^/]+/notify/[^/]+",
    r"/api/v1/channels/[^/]+/webhooks/[^/]+",
)


def register_jobs(settings: Settings | None = None) -> None:
    """Attach every domain's job handlers and sweeps (idempotent)."""
    settings = settings or get_settings()
    orders_jobs.register()
    inventory_jobs.register(settings)
    payments_jobs.register(settings)
    refunds_jobs.register(settings)
    webhooks_jobs.register(settings)
    alerts_jobs.register(settings)


def _to_console() -> RedirectResponse:
    return RedirectResponse("/console", status_code=307)


def create_app(
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    clock: Clock | None = None,
    run_worker: bool | None = None,
) -> FastAPI:
    """Build the app. Tests pass their own database and clock; ``oms serve`` passes none."""
    settings = settings or get_settings()
    configure_logging(log_format=settings.log_format, level=settings.log_level)
    database = db or Database(make_engine(settings.database_url), clock or SystemClock())
    register_jobs(settings)
    embedded_worker = settings.embedded_worker if run_worker is None else run_worker

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        thread: threading.Thread | None = None
        if embedded_worker:
            worker = Worker(database, settings, name="embedded")
            thread = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
            thread.start()
        yield
        stop.set()
        if thread is not None:
            thread.join(timeout=10)

    app = FastAPI(
        title="oms",
        version=__version__,
        summary="Order management: orders, lifecycle, idempotency and provenance",
        lifespan=lifespan,
    )
    app.state.db = database
    app.state.settings = settings
    app.state.stock_cache = LevelCache(settings.stock_cache_seconds)
    install_problem_handlers(app)
    app.include_router(system_api.router)
    app.include_router(orders_api.router)
    console_web.install(app)
    app.add_api_route("/", _to_console, include_in_schema=False)
    app.include_router(inventory_api.router)
    app.include_router(tickets_api.router)
    app.include_router(fulfillment_api.router)
    app.include_router(channels_api.router)
    app.include_router(payments_api.router)
    app.include_router(refunds_api.router)
    app.include_router(webhooks_api.router)
    app.include_router(alerts_api.router)
    app.include_router(finance_api.router)
    app.include_router(vouchers_api.router)
    app.include_router(feedback_api.router)
    app.include_router(feedback_web.router)
    app.add_middleware(
        IdempotencyMiddleware,
        ttl_seconds=settings.idempotency_ttl_seconds,
        lease_seconds=settings.idempotency_lease_seconds,
    )
    # Gateways post form-encoded callbacks (Alipay); every other API body must be JSON.
    app.add_middleware(
        BodyGuardMiddleware,
        max_bytes=settings.max_body_bytes,
        form_paths=("/api/v1/payments/", "/api/v1/finance/statements"),
        intake_paths=INTAKE_PATHS,
    )
    app.add_middleware(TraceMiddleware)
    return app
