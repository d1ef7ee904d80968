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

    env: Literal["development", "production", "test"] = "development"
    database_url: str = DEFAULT_SQLITE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    embedded_worker: bool = True
    migrate_on_start: bool = True
    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"
    max_body_bytes: int = 1024 * 1024
    idempotency_ttl_seconds: int = 24 * 3600
    idempotency_lease_seconds: int = 300
    default_payment_timeout_seconds: int = 900
    default_timezone: str = "Asia/Shanghai"
    worker_poll_seconds: float = 0.5
    worker_batch_size: int = 20
    job_max_attempts: int = 10
    job_backoff_base_seconds: float = 2.0
    job_backoff_cap_seconds: float = 3600.0
    sync_overlap_seconds: int = 2
    reservation_ttl_seconds: int = 900
    stock_cache_seconds: float = 1.0
    sweep_interval_seconds: float = 5.0
    # Outbound webhooks and alert robots (webhooks/, alerts/).
    webhook_allow_private_networks: bool = False
    webhook_timeout_seconds: float = 10.0
    webhook_disable_after_failures: int = 5
    alert_rate_limit: int = 5
    alert_rate_window_seconds: int = 600
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_from: str = "oms@localhost"
    smtp_username: str = ""
    smtp_password: str = Field(default="", repr=False)
    smtp_starttls: bool = False
    # Seals gateway keys and channel secrets at rest (see core.secrets). Never logged.
    secret_key: str = Field(default="", repr=False)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process, read once."""
    return Settings()
