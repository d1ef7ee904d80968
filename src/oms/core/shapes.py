"""Output shapes read from rows: one way to copy like-named attributes into a view.

A view (a frozen dataclass such as ``JobInfo``, or a pydantic model such as ``RouteOut``) is
mostly the row's own columns under the same names; spelling each one out again per view is
how a new column ends up missing from one of them. :func:`project` copies every field the view
declares from the like-named attribute of the source, and takes the few that are renamed,
computed or copied (a JSON dict detached from the session) as keyword overrides. A view field
the source lacks and no override names is an ``AttributeError`` at once, never a silent None.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar, cast

from pydantic import BaseModel

__all__ = ["project"]

T = TypeVar("T")


def project(shape: type[T], source: object, **overrides: Any) -> T:
    """``shape`` built from ``source``'s like-named attributes, with ``overrides`` on top."""
    values = {name: getattr(source, name) for name in _field_names(shape) if name not in overrides}
    values.update(overrides)
    return cast(Any, shape)(**values)  # type: ignore[no-any-return]


def _field_names(shape: type[Any]) -> list[str]:
    if isinstance(shape, type) and issubclass(shape, BaseModel):
        return list(shape.model_fields)
    if dataclasses.is_dataclass(shape):
        return [f.name for f in dataclasses.fields(shape) if f.init]
    raise TypeError(f"{shape!r} is neither a dataclass nor a pydantic model")
