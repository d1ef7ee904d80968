"""The FastAPI application factory: routers, middleware, error handlers."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from oms import __version__
from oms.alerts import api as alerts_api
from oms.channels import api as channels_api
from oms.config import Settings, get_settings
from oms.console import web as console_web
from oms.core.clock import Clock, SystemClock
from oms.core.db import configured_database
from oms.core.jobs import JobRegistry, Worker
from oms.core.logging import configure_logging
from oms.core.rate_limits import RateLimiter, limits_storage
from oms.core.uow import Database
from oms.feedback import api as feedback_api
from oms.feedback import web as feedback_web
from oms.finance import api as finance_api
from oms.finance.pulls import api as finance_pulls_api
from oms.fulfilment import api as fulfilment_api
from oms.fulfilment import carrier_api
from oms.fulfilment.notify import api as notify_api
from oms.fulfilment.planning import api as planning_api
from oms.fulfilment.report import api as report_api
from oms.fulfilment.tracking import api as tracking_api
from oms.http import partners_api, system_api
from oms.http.middleware import (
    BodyGuardMiddleware,
    IdempotencyMiddleware,
    RateLimitMiddleware,
    TraceMiddleware,
)
from oms.http.openapi import install_openapi
from oms.http.problems import install_problem_handlers
from oms.intelligence.exports import api as exports_api
from oms.inventory import api as inventory_api
from oms.inventory.queries import LevelCache
from oms.jobs_wiring import build_registry
from oms.orders import api as orders_api
from oms.partners import api as partners_overview_api
from oms.payments import api as payments_api
from oms.refunds import api as refunds_api
from oms.risk import api as risk_api
from oms.tickets import api as tickets_api
from oms.users import api as users_api
from oms.users.service import LOCKOUT, MAX_FAILED_LOGINS
from oms.users.throttle import LoginThrottle
from oms.vouchers import api as vouchers_api
from oms.webhooks import api as webhooks_api

__all__ = ["create_app"]


# The gateways' and platforms' endpoints: every delivery reaches the inbox, even a bad one.
INTAKE_PATHS = (
    r"/api/v1/payments/[^/]+/notify/[^/]+",
    r"/api/v1/channels/[^/]+/webhooks/[^/]+",
    r"/api/v1/tracking/[^/]+/[^/]+",
)


def _to_console() -> RedirectResponse:
    return RedirectResponse("/console", status_code=307)


# The domains' API routers, mounted in this order after the system, orders and console routes.
_DOMAIN_ROUTERS = (
    inventory_api.router,
    tickets_api.router,
    fulfilment_api.router,
    report_api.router,
    tracking_api.router,
    carrier_api.router,
    planning_api.router,
    notify_api.router,
    channels_api.router,
    payments_api.router,
    refunds_api.router,
    risk_api.router,
    webhooks_api.router,
    alerts_api.router,
    finance_pulls_api.router,
    finance_api.router,
    vouchers_api.router,
    users_api.router,
    feedback_api.router,
    feedback_web.router,
    exports_api.router,
)


def create_app(
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    clock: Clock | None = None,
    run_worker: bool | None = None,
    jobs: JobRegistry | None = None,
) -> FastAPI:
    """Build the app. Tests pass their own database and clock; ``oms serve`` passes none.

    ``jobs`` is what the embedded worker runs (default: ``jobs_wiring.build_registry``); it
    stays on ``app.state.jobs``.
    """
    settings = settings or get_settings()
    configure_logging(log_format=settings.log_format, level=settings.log_level)
    database = db or configured_database(settings, clock or SystemClock())
    registry = jobs or build_registry(settings)
    embedded_worker = settings.embedded_worker if run_worker is None else run_worker

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        thread: threading.Thread | None = None
        if embedded_worker:
            worker = Worker(database, settings, registry, name="embedded")
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
    app.state.jobs = registry
    app.state.stock_cache = LevelCache(settings.stock_cache_seconds)
    # One storage for every limit, so that every process on the same database agrees.
    counters = limits_storage(settings.rate_limit_storage_url, database)
    app.state.rate_limiter = RateLimiter(
        counters,
        database,
        per_tenant=settings.api_rate_limit_per_tenant,
        per_key=settings.api_rate_limit_per_key,
        intake=settings.intake_rate_limit_per_tenant,
    )
    app.state.login_throttle = LoginThrottle(
        storage=counters,
        per_ip=settings.login_rate_limit,
        max_failures=MAX_FAILED_LOGINS,
        lockout=LOCKOUT,
    )
    install_problem_handlers(app)
    app.include_router(system_api.router)
    app.include_router(partners_api.router)
    app.include_router(partners_api.partner_router)
    app.include_router(partners_overview_api.router)
    app.include_router(orders_api.router)
    console_web.install(app)
    app.add_api_route("/", _to_console, include_in_schema=False)
    for router in _DOMAIN_ROUTERS:
        app.include_router(router)
    app.add_middleware(
        IdempotencyMiddleware,
        ttl_seconds=settings.idempotency_ttl_seconds,
        lease_seconds=settings.idempotency_lease_seconds,
    )
    # Before Idempotency-Key: a replayed answer is a request like any other.
    app.add_middleware(RateLimitMiddleware, exempt_paths=INTAKE_PATHS)
    # Gateways post form-encoded callbacks (Alipay); every other API body must be JSON.
    app.add_middleware(
        BodyGuardMiddleware,
        max_bytes=settings.max_body_bytes,
        form_paths=("/api/v1/payments/", "/api/v1/finance/statements", "/api/v1/risk/blacklist"),
        intake_paths=INTAKE_PATHS,
    )
    app.add_middleware(TraceMiddleware)
    install_openapi(app)
    return app
