"""Pydantic shapes of the tickets API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints

from oms.inventory.schemas import MovementIn

__all__ = ["AssignIn", "CommentIn", "CommentOut", "ResolveIn", "TicketOut"]


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assignee: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: Annotated[str, StringConstraints(min_length=1, max_length=5000)]


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resolution: Annotated[str, StringConstraints(min_length=1, max_length=5000)]
    corrections: list[MovementIn] = []


class CommentOut(BaseModel):
    id: str
    author: str
    body: str
    #: Set on comments oms wrote: the code and parameters ``body`` was rendered from.
    code: str | None = None
    params: dict[str, Any] | None = None
    created_at: datetime


class TicketOut(BaseModel):
    id: str
    kind: str
    status: str
    order_id: str | None
    assignee_role: str
    assignee: str | None
    #: The title in English (older tickets: as it was written).
    title: str
    #: The code and parameters of the title (``None`` on tickets opened before codes).
    title_code: str | None = None
    title_params: dict[str, Any] | None = None
    details: dict[str, Any]
    resolution: str | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    comments: list[CommentOut] = []
