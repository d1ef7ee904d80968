"""Pydantic shapes of the alerts API."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = ["Channel", "RouteIn", "RouteOut", "RoutesIn"]


class Channel(StrEnum):
    DINGTALK = "dingtalk"
    WECOM = "wecom"
    EMAIL = "email"


class RouteIn(BaseModel):
    """One route: ``dingtalk`` needs ``url`` and ``secret`` (SEC…), ``wecom`` needs ``url``
    (with its key), ``email`` needs ``email``."""

    model_config = ConfigDict(extra="forbid")
    alert_type: Annotated[
        str, StringConstraints(pattern=r"^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$", max_length=100)
    ]
    channel: Channel
    url: Annotated[str, StringConstraints(max_length=2048)] | None = None
    secret: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    locale: Literal["zh-CN", "en"] = "zh-CN"


class RoutesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    routes: Annotated[list[RouteIn], Field(max_length=100)]


class RouteOut(BaseModel):
    """A route as the API shows it: the destination masked, the secret never."""

    id: str
    alert_type: str
    channel: str
    destination: str
    has_secret: bool
    locale: str
    created_at: datetime
