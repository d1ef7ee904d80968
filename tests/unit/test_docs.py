"""The documentation site: generated tables cover the code, and no link leaves the repository.

The tables themselves are produced at build time (``oms.docs_gen`` via the MkDocs hook), so
they cannot go stale; these tests make sure the generator misses nothing and that every
states module, error, setting, permission, command and route has a place in the docs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oms import docs_gen
from oms.config import Settings
from oms.core.auth import ROLE_PERMISSIONS
from oms.core.errors import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "oms"
DOCS = ROOT / "docs"

# Variables read by the test suite and the benchmarks, not by oms itself.
TEST_ONLY_VARIABLES = {"OMS_TEST_POSTGRES_URL", "OMS_TEST_NATS_URL", "OMS_BENCH_POSTGRES_URL"}


def _pages() -> list[Path]:
    """The site's pages: docs/ without the incoming fragments (not published)."""
    return sorted(p for p in DOCS.rglob("*.md") if "incoming" not in p.relative_to(DOCS).parts)


def _all_text() -> str:
    return "\n".join(p.read_text() for p in [ROOT / "README.md", *_pages()])


def _markers(kind: str) -> set[str]:
    found = set()
    for page in _pages():
        for match in docs_gen.MARKER.finditer(page.read_text()):
            if match.group("kind") == kind:
                found.add(match.group("arg") or "")
    return found


def _source_modules(pattern: str) -> set[str]:
    """Modules whose source matches ``pattern`` (what a grep over src/oms finds)."""
    found = set()
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        if re.search(pattern, path.read_text(), re.M):
            found.add(".".join(path.relative_to(SRC.parent).with_suffix("").parts))
    return found


def test_every_status_class_in_the_source_is_found_by_the_generator() -> None:
    declared = set()
    for module in _source_modules(r"^class \w+Status\b"):
        text = (SRC.parent / (module.replace(".", "/") + ".py")).read_text()
        declared |= {(module, name) for name in re.findall(r"^class (\w+Status)\b", text, re.M)}
    found = {(m.module, m.name) for m in docs_gen.machines()}
    assert declared, "the grep found no status class at all"
    assert declared <= found


def test_every_transition_table_is_rendered_on_a_page() -> None:
    with_tables = _source_modules(r"^_?\w*TRANSITIONS\b.*=")
    rendered = {m.module for m in docs_gen.machines() if m.table is not None}
    assert with_tables <= rendered
    assert {"oms.orders.states", "oms.refunds.states", "oms.payments.states"} <= rendered
    # The statuses page shows every module; the domain pages show their own.
    assert "all" in _markers("states")
    for module in docs_gen.machines():
        assert f"### `{module.module}`" in docs_gen.states_page("all")
    assert {"oms.orders.states", "oms.refunds.states", "oms.inventory.states"} <= _markers("states")


def test_every_state_machine_is_rendered_with_its_table() -> None:
    from oms.core.states import Machine as StateMachine

    rendered = {(m.module, m.name): m for m in docs_gen.machines()}
    machines = [
        (module.__name__, value)
        for module in docs_gen.import_all()
        for value in vars(module).values()
        if isinstance(value, StateMachine) and value.status.__module__ == module.__name__
    ]
    assert len(machines) >= 13
    for module, machine in machines:
        found = rendered[(module, machine.status.__name__)]
        assert found.table is not None, f"{module}.{machine.status.__name__} has no table"
    page = docs_gen.states_page("oms.finance.states")
    assert "| `review` | `matched`, `unmatched` |" in page
    assert "Final: `confirmed`, `rejected`." in page


def test_order_table_shows_every_transition() -> None:
    from oms.orders.states import TRANSITIONS

    rows = {
        line.split("|")[1].strip(" `"): line
        for line in docs_gen.states_page("oms.orders.states").splitlines()
        if line.startswith("| `")
    }
    for event, moves in TRANSITIONS.items():
        for current, to in moves.items():
            assert f"`{event}` → `{to}`" in rows[str(current)]
    assert "Final: `cancelled`, `closed`." in docs_gen.states_page("oms.orders.states")


def test_refund_table_lists_every_move_and_the_final_statuses() -> None:
    from oms.refunds.states import TRANSITIONS

    page = docs_gen.states_page("oms.refunds.states")
    for current, targets in TRANSITIONS.items():
        row = next(line for line in page.splitlines() if line.startswith(f"| `{current}` |"))
        for target in targets:
            assert f"`{target}`" in row
    assert "Final: `rejected`, `refunded`." in page


def test_error_catalogue_lists_every_code_once_per_domain() -> None:
    docs_gen.import_all()
    everything = docs_gen.error_catalogue("all")
    domains = {cls.__module__.split(".")[1] for cls in CATALOGUE.values()}
    for code in CATALOGUE:
        assert f"| `{code}` |" in everything
        assert sum(f"| `{code}` |" in docs_gen.error_catalogue(d) for d in domains) == 1
    assert "all" in _markers("errors")


def test_every_setting_has_a_description_and_a_row() -> None:
    table = docs_gen.settings_table()
    for name, info in Settings.model_fields.items():
        assert info.description, f"OMS_{name.upper()} has no Field description"
        assert f"| `OMS_{name.upper()}` |" in table
    assert "| `OMS_MAX_BODY_BYTES` | `1048576` |" in table
    assert _markers("settings")


def test_permission_matrix_has_every_permission_with_its_roles() -> None:
    rows = {
        line.split("|")[1].strip(" `"): line
        for line in docs_gen.permission_matrix().splitlines()
        if line.startswith("| `")
    }
    assert set(rows) == set(ROLE_PERMISSIONS)
    for permission, roles in ROLE_PERMISSIONS.items():
        assert rows[permission].count("✓") == len(roles)
        assert docs_gen.PERMISSION_NOTES.get(permission), f"{permission} has no note"
    assert _markers("permissions")


def test_cli_reference_lists_every_command() -> None:
    import typer

    from oms.cli import app

    table = docs_gen.cli_reference()
    root = typer.main.get_command(app)
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        for sub in getattr(command, "commands", {None: None}):
            assert f"| `oms {name}{' ' + sub if sub else ''}" in table
    assert "all" in _markers("cli")


def test_routes_table_lists_every_api_route_with_its_permission() -> None:
    table = docs_gen.routes_table()
    assert "| `POST /api/v1/orders` | `orders:create` |" in table
    assert "| `GET /api/v1/errors` | — |" in table
    assert "| `POST /api/v1/refunds/{refund_id}/approve` | `refunds:review` |" in table
    assert "all" in _markers("routes")


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_every_marker_expands(page: Path) -> None:
    expanded = docs_gen.expand(page.read_text())
    assert "oms:gen" not in expanded


def test_unknown_marker_is_an_error() -> None:
    with pytest.raises(docs_gen.UnknownMarker):
        docs_gen.expand("<!-- oms:gen states oms.nowhere -->\n")
    with pytest.raises(docs_gen.UnknownMarker):
        docs_gen.expand("<!-- oms:gen tables -->\n")


def test_error_codes_named_in_the_docs_exist() -> None:
    docs_gen.import_all()
    named = set(re.findall(r"\bERR_[A-Z0-9_]*[A-Z0-9]\b", _all_text()))
    # Prose may abbreviate a family as `ERR_PAYMENT_…` / `_UNKNOWN_TENANT`; full codes must exist.
    assert named, "no error code named anywhere"
    assert named - set(CATALOGUE) == set()


def test_variables_named_in_the_docs_exist() -> None:
    named = set(re.findall(r"\bOMS_[A-Z0-9_]*[A-Z0-9]\b", _all_text()))
    known = {f"OMS_{name.upper()}" for name in Settings.model_fields} | TEST_ONLY_VARIABLES
    assert named - known == set()


_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


@pytest.mark.parametrize(
    "page", [ROOT / "README.md", *_pages()], ids=lambda p: str(p.relative_to(ROOT))
)
def test_no_link_leaves_the_repository(page: Path) -> None:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)  # code blocks are not links
    for target in _LINK.findall(text):
        assert not re.match(r"[a-z][a-z0-9+.-]*:", target), f"{page.name}: external {target}"
        path = target.split("#")[0]
        if not path:
            continue
        resolved = (page.parent / path).resolve()
        assert resolved.is_relative_to(ROOT), f"{page.name}: {target} leaves the repository"
        assert resolved.exists(), f"{page.name}: {target} does not exist"


def test_readme_is_a_short_entry_point() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 60
    assert "make run" in readme
    assert "make test" in readme
    assert "docs/index.md" in readme


def test_incoming_fragments_are_not_published() -> None:
    config = (ROOT / "mkdocs.yml").read_text()
    assert "incoming/" in config.split("exclude_docs:")[1].split("\n\n")[0]
    assert (DOCS / "incoming" / "README.md").exists()


def test_jobs_table_lists_every_handler_and_sweep() -> None:
    table = docs_gen.jobs_table()
    registry = docs_gen.registered_jobs()
    for topic in [*registry.handlers, *registry.subscribers]:
        event_type = registry.event_type(topic)
        assert event_type is not None
        assert f"| `{topic}` | `{event_type.__module__}.{event_type.__name__}` |" in table
    for name in registry.sweeps:
        assert f"| `{name}` |" in table
    assert "payment.confirm" in registry.handlers
    assert _markers("jobs")


def test_console_navigation_lists_every_page_with_its_permission() -> None:
    from oms.console.pages import NAVIGATION

    table = docs_gen.console_navigation()
    for item in NAVIGATION:
        assert f"| `{item.href}` | `{item.permission}` |" in table
    assert _markers("console")
