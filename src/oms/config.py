"""Settings read from ``OMS_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]

DEFAULT_SQLITE_URL = "sqlite:///var/oms.db"


class Settings(BaseSettings):
    """Process configuration; every field maps to ``OMS_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="OMS_", extra="ignore")

    env: Literal["development", "production", "test"] = Field(
        "development",
        description="`production` makes the console cookie Secure and requires OMS_SECRET_KEY",
    )
    database_url: str = Field(
        DEFAULT_SQLITE_URL,
        description="SQLite file or `postgresql://user@host:5432/db`",
    )
    read_database_url: str = Field(
        "",
        description="a read replica for lists, reports and exports (empty: the primary);"
        " nothing that decides a write ever reads from it",
    )
    database_pool_size: int = Field(
        10,
        ge=1,
        le=200,
        description="connections each process keeps open to each database, and as many again"
        " in a burst; twice this per process, summed over every process, must stay under"
        " PostgreSQL's `max_connections`",
    )
    host: str = Field("127.0.0.1", description="where `oms serve` listens")
    port: int = Field(8000, description="the port `oms serve` listens on")
    embedded_worker: bool = Field(
        True, description="run one job worker inside `oms serve` (`0` to disable)"
    )
    web_workers: int = Field(
        1,
        ge=1,
        le=64,
        description="server processes `oms serve` starts on its one port (`--workers`); the"
        " embedded job worker runs once beside them, not in each",
    )
    migrate_on_start: bool = Field(True, description="`oms serve` migrates before serving")
    log_format: Literal["console", "json"] = Field(
        "console", description="`json` for one JSON object per line (production)"
    )
    log_level: str = Field("INFO", description="the lowest level logged")
    max_body_bytes: int = Field(
        1024 * 1024,
        description="larger request bodies get 413 (intake routes record them as rejected)",
    )
    idempotency_ttl_seconds: int = Field(
        24 * 3600, description="how long an `Idempotency-Key` answer is kept"
    )
    idempotency_lease_seconds: int = Field(
        300, description="after this, a key whose request died may be retried"
    )
    default_payment_timeout_seconds: int = Field(
        900,
        description="not read yet: a tenant's payment timeout is set by "
        "`oms tenants create --payment-timeout` (default 900)",
    )
    default_timezone: str = Field(
        "Asia/Shanghai", description="time zone of console pages shown before sign-in"
    )
    worker_poll_seconds: float = Field(
        0.5, description="how often an idle worker looks for due jobs"
    )
    worker_batch_size: int = Field(
        20, description="jobs a worker claims at once, shared fairly between tenants"
    )
    accounting_timeout_seconds: float = Field(
        10.0, description="how long one send to an accounting system (QuickBooks) may take"
    )
    job_max_attempts: int = Field(10, description="attempts before a job becomes a dead letter")
    job_backoff_base_seconds: float = Field(
        2.0, description="first retry wait; doubles per attempt, ±50 % jitter"
    )
    job_backoff_cap_seconds: float = Field(3600.0, description="longest retry wait of a job")
    sync_overlap_seconds: int = Field(
        2, description="how far back a list's `Last-Modified` stays, against late commits"
    )
    reservation_ttl_seconds: int = Field(900, description="how long an order's stock hold lasts")
    stock_cache_seconds: float = Field(1.0, description="per-process cache of stock level reads")
    sweep_interval_seconds: float = Field(
        5.0, description="how often each worker runs the reservation expiry sweep"
    )
    # The monthly fulfilment health report (fulfilment/report/): its targets.
    fulfilment_outbound_benchmark_hours: float = Field(
        2.3, gt=0, description="outbound time (paid → shipped) the median and p90 should meet"
    )
    fulfilment_on_time_target: float = Field(
        0.95, ge=0, le=1, description="share of parcels delivered within the promise"
    )
    fulfilment_stall_rate_target: float = Field(
        0.03, ge=0, le=1, description="highest share of parcels that stall, per carrier and all"
    )
    fulfilment_exception_rate_target: float = Field(
        0.01, ge=0, le=1, description="highest share of parcels with a delivery exception"
    )
    # Outbound webhooks and alert robots (webhooks/, alerts/).
    webhook_allow_private_networks: bool = Field(
        False,
        description="`1` lets webhooks and alert robots reach private, loopback and "
        "link-local addresses",
    )
    webhook_timeout_seconds: float = Field(
        10.0, description="timeout of one webhook or robot request"
    )
    webhook_disable_after_failures: int = Field(
        5, description="consecutive failed deliveries that disable a subscription"
    )
    alert_rate_limit: int = Field(
        5, description="alerts sent per tenant and type per window; the rest suppressed"
    )
    alert_rate_window_seconds: int = Field(600, description="the alert rate limit's window")
    smtp_host: str = Field("localhost", description="where alert e-mail goes out")
    smtp_port: int = Field(25, description="the SMTP server's port")
    smtp_from: str = Field("oms@localhost", description="sender of alert e-mail")
    smtp_username: str = Field("", description="SMTP login, if the server needs one")
    smtp_password: str = Field(default="", repr=False, description="SMTP password")
    smtp_starttls: bool = Field(False, description="`1` to upgrade SMTP with STARTTLS")
    # Buyer notifications (fulfilment/notify, docs/notifications.md).
    notify_sms_url: str = Field(
        "", description="the SMS gateway: a JSON POST per message (empty: SMS fails)"
    )
    notify_sms_key: str = Field(
        default="",
        repr=False,
        description="the SMS gateway's key: sent as `X-Api-Key` and the HMAC-SHA256 key of "
        "`X-Signature`",
    )
    notify_wechat_base_url: str = Field(
        "https://api.weixin.qq.com", description="WeChat's API (tests point it at a local server)"
    )
    notify_wechat_access_token: str = Field(
        default="", repr=False, description="the mini-program's access token for subscribe messages"
    )
    notify_webhook_url: str = Field("", description="where webhook-channel notifications go")
    notify_webhook_secret: str = Field(
        default="",
        repr=False,
        description="Standard Webhooks secret (`whsec_…`) signing webhook-channel notifications",
    )
    notify_timeout_seconds: float = Field(10.0, description="timeout of one notification send")
    rate_limit_storage_url: str = Field(
        "database://",
        description="where rate-limit counters live: `database://` (the oms database, shared "
        "by every process), `redis://host:6379/0` (shared; needs the `redis` extra) or "
        "`memory://` (per process)",
    )
    api_rate_limit_per_tenant: str = Field(
        "3000/minute",
        description="API requests per tenant, all its keys and its partner together (`limits` "
        "notation, `50/second;3000/minute` combines windows; empty: no limit)",
    )
    api_rate_limit_per_key: str = Field(
        "1200/minute",
        description="API requests per API key or partner key (a partner key counts once "
        "across all its tenants; empty: no limit)",
    )
    intake_rate_limit_per_tenant: str = Field(
        "1200/minute",
        description="platform deliveries processed at once per tenant; past it a delivery is "
        "stored and processed when the window allows (never refused; empty: no limit)",
    )
    login_rate_limit: str = Field(
        "20/minute",
        description="console sign-in attempts per client IP (`limits` notation; "
        "`20/minute;200/day` combines windows)",
    )
    # The event relay (`oms relay`, relay/): domain events from the outbox to NATS JetStream.
    nats_url: str = Field(
        "nats://127.0.0.1:4222",
        description="NATS server(s) `oms relay` publishes to; comma-separate several",
    )
    nats_stream: str = Field(
        "OMS", description="JetStream stream of domain events; created if missing"
    )
    nats_subject_prefix: str = Field(
        "oms",
        description="first subject token(s): events go to `<prefix>.<tenant>.<aggregate>."
        "<event>`, the stream takes `<prefix>.>`",
    )
    relay_lease_seconds: float = Field(
        15.0,
        description="how long a killed relay holds its lease before a standby takes over",
    )
    relay_batch_size: int = Field(100, description="outbox rows the relay reads at once")
    # Seals gateway keys and channel secrets at rest (see core.secrets). Never logged.
    secret_key: str = Field(
        default="",
        repr=False,
        description="master key sealing secrets at rest; outside production a random "
        "one is kept in `var/secret.key`",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process, read once."""
    return Settings()
