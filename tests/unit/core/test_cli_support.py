"""The one CLI support module: refusals exit 2 with their code on stderr, output is JSON."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from oms.core.cli import exit_on_app_error, print_json
from oms.core.errors import NotFound

app = typer.Typer()


@app.command()
def lookup(found: bool = False) -> None:
    with exit_on_app_error():
        if not found:
            raise NotFound("no such thing", thing_id="x1")
    print_json({"thing": "茶", "count": 1})


def test_an_app_error_exits_2_with_its_code_and_details_on_stderr() -> None:
    result = CliRunner().invoke(app, [])
    assert result.exit_code == 2
    assert result.stderr.startswith("ERR_NOT_FOUND: no such thing")
    assert '"thing_id": "x1"' in result.stderr
    assert result.stdout == ""


def test_output_is_utf8_json() -> None:
    result = CliRunner().invoke(app, ["--found"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"thing": "茶", "count": 1}
    assert "茶" in result.stdout  # not \\u escapes
