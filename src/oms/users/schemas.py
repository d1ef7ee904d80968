"""What the users domain hands to transports. ORM rows never leave the domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["LOCALES", "LoginResult", "SessionUser", "UserOut"]

# The console's languages; the first is the default.
LOCALES: tuple[str, ...] = ("zh-CN", "en")


@dataclass(frozen=True, slots=True)
class UserOut:
    tenant_id: str
    id: str
    email: str
    role: str
    locale: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SessionUser:
    """A signed-in user as every console request sees it, with the tenant's display zone."""

    tenant_id: str
    tenant_name: str
    timezone: str
    user_id: str
    email: str
    role: str
    locale: str
    session_id: str
    csrf_token: str


@dataclass(frozen=True, slots=True)
class LoginResult:
    """A new session; ``token`` goes into the cookie and is never stored."""

    user: UserOut
    token: str
    csrf_token: str
    expires_at: datetime
