"""What the users domain hands to transports. ORM rows never leave the domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from oms.core import auth

__all__ = [
    "CONSOLE_ROLES",
    "LOCALES",
    "ConsoleRole",
    "LoginResult",
    "SessionUser",
    "UserApiOut",
    "UserInviteIn",
    "UserInvited",
    "UserInvitedOut",
    "UserOut",
    "UserRoleIn",
]

# The console's languages (the first is the default): the tenants' own list.
LOCALES = auth.LOCALES


@dataclass(frozen=True, slots=True)
class UserOut:
    tenant_id: str
    id: str
    email: str
    role: str
    locale: str
    created_at: datetime
    disabled_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class UserInvited:
    """A new user and their initial password: the only time it is ever shown."""

    user: UserOut
    password: str


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


# The roles a person signs in with; ``integration`` is for API keys only.
CONSOLE_ROLES: tuple[str, ...] = ("admin", "ops", "service", "finance", "warehouse")
ConsoleRole = Literal["admin", "ops", "service", "finance", "warehouse"]


class UserInviteIn(BaseModel):
    """An invitation: oms generates the first password and shows it once."""

    model_config = ConfigDict(extra="forbid")
    email: Annotated[str, StringConstraints(min_length=3, max_length=254)]
    role: ConsoleRole
    locale: Literal["zh-CN", "en"] = "zh-CN"


class UserRoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: ConsoleRole


class UserApiOut(BaseModel):
    """A user as the API shows it: never a password or its hash."""

    id: str
    email: str
    role: str
    locale: str
    created_at: datetime
    disabled_at: datetime | None

    @classmethod
    def of(cls, user: UserOut) -> UserApiOut:
        return cls.model_validate(user, from_attributes=True)


class UserInvitedOut(UserApiOut):
    password: str = Field(description="the generated first password; shown in this answer only")
