"""Batches: many items in one request, each applied on its own (docs/partners.md).

A batch is a loop over the single command, not a second write path: each item is validated
with the single route's input model and handed to the same service function, which opens its
own unit of work. An item that fails (invalid, refused, even a bug) is answered with its status
and code and never stops the items after it; items before it stay committed. The results come
back in the order of the items.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import structlog
from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticValidationError

from oms.core.errors import AppError, InternalError, ValidationFailed

__all__ = ["MAX_BATCH_ITEMS", "Applied", "BatchItems", "ItemResult", "run_each"]

log = structlog.get_logger("oms.batch")

# One request holds at most this many items: 500 orders of a few lines stay well under the
# body limit (OMS_MAX_BODY_BYTES, 1 MiB), and a batch answers within a client's timeout.
MAX_BATCH_ITEMS = 500

M = TypeVar("M", bound=BaseModel)

#: A batch envelope's item list: up to MAX_BATCH_ITEMS items, each validated on its own (an
#: invalid item is answered in its result, it does not refuse the batch).
BatchItems = Annotated[list[Any], Field(max_length=MAX_BATCH_ITEMS)]


@dataclass(frozen=True, slots=True)
class Applied:
    """What the service made of one item: its HTTP status (201 new, 200 existing) and id."""

    status: int
    id: str


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One item's answer; ``id`` when applied, ``code`` (a stable error code) when not."""

    index: int
    status: int
    id: str | None = None
    code: str | None = None


def run_each(
    items: Sequence[Any], model: type[M], apply: Callable[[M], Applied]
) -> list[ItemResult]:
    """Validate each item as ``model`` and ``apply`` it, one after the other, in order."""
    return [_one(index, raw, model, apply) for index, raw in enumerate(items)]


def _one(index: int, raw: Any, model: type[M], apply: Callable[[M], Applied]) -> ItemResult:
    try:
        parsed = model.model_validate(raw)
    except PydanticValidationError:
        return ItemResult(index, ValidationFailed.http_status, code=ValidationFailed.code)
    try:
        applied = apply(parsed)
    except AppError as error:
        return ItemResult(index, error.http_status, code=error.code)
    except Exception:
        log.exception("batch.item_failed", index=index)
        return ItemResult(index, InternalError.http_status, code=InternalError.code)
    return ItemResult(index, applied.status, id=applied.id)
