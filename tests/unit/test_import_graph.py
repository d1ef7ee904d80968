"""The import graph follows ARCHITECTURE.md's layers: `lint-imports` with pyproject's contracts.

The first test runs the real command, so `make test` fails on a new cycle or a layer broken.
The others add one forbidden import to the real graph and check that a contract catches it,
so the contracts cannot quietly stop meaning anything.
"""

from __future__ import annotations

import subprocess
import sys
from copy import deepcopy
from functools import cache
from pathlib import Path
from typing import Any

import grimp
import pytest
from importlinter.api import read_configuration
from importlinter.contracts.acyclic_siblings import AcyclicSiblingsContract
from importlinter.contracts.layers import LayersContract
from importlinter.contracts.protected import ProtectedContract

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_TYPES: dict[str, Any] = {
    "layers": LayersContract,
    "acyclic_siblings": AcyclicSiblingsContract,
    "protected": ProtectedContract,
}


def test_lint_imports_keeps_every_contract() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@cache
def _config() -> dict[str, Any]:
    return read_configuration(str(ROOT / "pyproject.toml"))


@cache
def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("oms", cache_dir=None)


def _broken_with(importer: str, imported: str) -> list[str]:
    """The contracts that break once ``importer`` imports ``imported``."""
    config = _config()
    graph = deepcopy(_graph())
    graph.add_import(importer=importer, imported=imported, line_number=1, line_contents="x")
    broken = []
    for options in config["contracts_options"]:
        contract = CONTRACT_TYPES[options["type"]](
            name=options["name"],
            session_options=config["session_options"],
            contract_options=options,
        )
        if not contract.check(graph, verbose=False).kept:
            broken.append(options["name"])
    return broken


@pytest.mark.parametrize(
    ("importer", "imported", "contract"),
    [
        ("oms.payments.service", "oms.refunds.service", "No import cycles"),
        ("oms.inventory.api", "oms.orders.queries", "Domains form a DAG"),
        ("oms.webhooks.service", "oms.channels.service", "Domains form a DAG"),
        ("oms.orders.service", "oms.console.pages", "Transports and entry points"),
        ("oms.core.uow", "oms.orders.models", "Transports and entry points"),
        ("oms.refunds.service", "oms.payments.models", "Only payments"),
    ],
)
def test_a_contract_catches_the_import_it_forbids(
    importer: str, imported: str, contract: str
) -> None:
    broken = _broken_with(importer, imported)
    assert any(name.startswith(contract) for name in broken), broken


def test_the_graph_today_breaks_no_contract() -> None:
    assert _broken_with("oms.refunds.service", "oms.payments.refunding") == []
