"""``shapes.project``: a view copies its fields from the like-named attributes of a row."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from pydantic import BaseModel

from oms.core.shapes import project


@dataclass(frozen=True, slots=True)
class _View:
    id: str
    name: str
    hint: str | None = None


class _Model(BaseModel):
    id: str
    shown: bool


def test_a_dataclass_takes_like_named_attributes_and_overrides() -> None:
    row = SimpleNamespace(id="r1", name="n", hint="h", unrelated=1)
    assert project(_View, row) == _View(id="r1", name="n", hint="h")
    assert project(_View, row, hint=None) == _View(id="r1", name="n", hint=None)


def test_a_pydantic_model_takes_its_declared_fields() -> None:
    row = SimpleNamespace(id="r1", secret="s")
    assert project(_Model, row, shown=row.secret is not None) == _Model(id="r1", shown=True)


def test_a_field_the_row_lacks_is_an_error_not_a_silent_none() -> None:
    with pytest.raises(AttributeError):
        project(_View, SimpleNamespace(id="r1", name="n"))


def test_only_views_can_be_projected() -> None:
    with pytest.raises(TypeError):
        project(dict, SimpleNamespace())
