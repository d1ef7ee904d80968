"""Reference tables for the documentation site, generated from the code at build time.

The docs (``docs/*.md``) hold markers such as ``<!-- oms:gen states oms.orders.states -->``;
the MkDocs hook (``tools/mkdocs_hooks.py``) calls :func:`expand` on every page, which replaces
each marker with a Markdown table read from the code itself: the status enums and transition
tables of the ``states`` modules, the error catalogue, the settings, the role permissions and
the command line. Nothing here is copied by hand, so the site cannot drift from the code.

Markers (one per line): ``states MODULE|all``, ``errors DOMAIN|all``, ``settings``,
``permissions``, ``cli GROUP|all``, ``routes DOMAIN|all``, ``jobs``, ``console``. A route
whose permission shows as "—" has no route-level permission: it is public, signed (gateway and
platform intake), for a console session, or checks its permission inside (order events: per
event).
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

import typer
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

import oms
from oms.core.states import Machine as StateMachine

if TYPE_CHECKING:
    from oms.core.jobs import JobRegistry

__all__ = [
    "MARKER",
    "Machine",
    "UnknownMarker",
    "cli_reference",
    "console_navigation",
    "error_catalogue",
    "expand",
    "import_all",
    "jobs_table",
    "machines",
    "permission_matrix",
    "registered_jobs",
    "routes_table",
    "settings_table",
    "states_page",
]

MARKER = re.compile(r"^<!--\s*oms:gen\s+(?P<kind>[a-z]+)(?:\s+(?P<arg>\S+))?\s*-->\s*$", re.M)

# What each permission lets a role do; a permission missing here still gets its row.
PERMISSION_NOTES: dict[str, str] = {
    "orders:read": "read orders, timelines, reservations and shipments",
    "orders:create": "create orders",
    "orders:pay": "`pay` (and the system's `payment_timeout`)",
    "orders:service": "`cancel`, `hold`, `release`, `complete`",
    "orders:fulfil": "`partial_ship`, `ship`, `deliver`; post shipments",
    "orders:close": "`close` (after a full refund)",
    "stock:read": "read stock, ledger, warehouses",
    "stock:write": "stock movements, safety stock, warehouses, buckets",
    "tickets:read": "read exception tickets",
    "tickets:write": "assign, comment, resolve tickets",
    "fulfilment:read": "console fulfilment page: parcels by tracking status, stalls, interventions",
    "payments:configure": "configure payment gateways",
    "channels:configure": "configure platform channels",
    "channels:health": "channel webhook health check; console webhooks page",
    "webhooks:manage": "outbound webhook subscriptions, delivery log, replay",
    "notifications:manage": "buyer notification rules: templates, conditions, quiet hours, preview",
    "alerts:manage": "alert routes",
    "users:manage": "console users: invite, change role, disable, enable",
    "jobs:read": "list jobs and dead letters",
    "jobs:retry": "retry dead letters",
    "keys:manage": "issue API keys",
    "finance:read": "bank statements, lines, matches, settings",
    "exports:read": "BI feeds: orders, lines, payments, refunds, shipments as CSV or Parquet",
    "finance:write": "import statements, decide matches, match by hand, settings",
    "refunds:read": "read refunds; feedback summary",
    "refunds:request": "request refunds",
    "refunds:review": "approve, reject, retry refunds; SLA board",
    "refunds:receive": "receive returned goods",
    "refunds:configure": "refund routing, groups, auto-refund settings",
    "vouchers:read": "verify and export the voucher chain",
    "accounting:read": "the accounting page: documents sent, the sinks' state",
    "accounting:resend": "resend a rejected accounting document (under its own id)",
    "risk:read": "read orders' risk assessments and the risk queue",
    "risk:review": "release or cancel an order held for risk",
    "risk:configure": "write risk rules, dry-run them, import blacklists",
}


class UnknownMarker(ValueError):
    """A page asks for a table the generator does not know; the docs build fails on it."""


def import_all() -> list[ModuleType]:
    """Import every module of the package (migrations aside), so every error class registers."""
    modules = [oms]
    for info in pkgutil.walk_packages(oms.__path__, "oms."):
        if info.name.startswith("oms.migrations"):
            continue
        modules.append(importlib.import_module(info.name))
    return modules


# --- statuses and transition tables -------------------------------------------------------


@dataclass
class Machine:
    """A set of statuses (or kinds) declared in one module, with its transition table if any."""

    module: str
    name: str
    values: list[str]
    table: Mapping[Any, Any] | None = None
    table_name: str | None = None
    events: list[str] = field(default_factory=list)


def _values_of(cls: type) -> list[str]:
    if isinstance(cls, type) and issubclass(cls, enum.Enum):
        return [str(member.value) for member in cls]
    return [v for k, v in vars(cls).items() if k.isupper() and isinstance(v, str)]


def _is_status_class(name: str, obj: object, module: str) -> bool:
    return (
        isinstance(obj, type)
        and obj.__module__ == module
        and name.endswith(("Status", "Kind"))
        and bool(_values_of(obj))
    )


def _tables(module: ModuleType) -> dict[str, Mapping[Any, Any]]:
    return {
        name: obj
        for name, obj in vars(module).items()
        if name.lstrip("_").endswith("TRANSITIONS") and isinstance(obj, Mapping)
    }


def _flatten(table: Mapping[Any, Any]) -> set[str]:
    found: set[str] = set()
    for key, value in table.items():
        found.add(str(key))
        if isinstance(value, Mapping):
            found |= {str(k) for k in value} | {str(v) for v in value.values()}
        else:
            found |= {str(v) for v in value}
    return found


def machines(modules: Iterable[ModuleType] | None = None) -> list[Machine]:
    """Every ``*Status`` / ``*Kind`` class in the package, each with the table that uses it: a
    ``*TRANSITIONS`` table over its values, or else the table of its ``Machine``."""
    found: list[Machine] = []
    for module in modules if modules is not None else import_all():
        tables = _tables(module)
        for name, obj in sorted(vars(module).items()):
            if not _is_status_class(name, obj, module.__name__):
                continue
            machine = Machine(module.__name__, name, _values_of(obj))
            for table_name, table in tables.items():
                nested = all(isinstance(v, Mapping) for v in table.values())
                statuses = {str(s) for s in machine.values}
                if nested and all(str(k) not in statuses for k in table):
                    # event → {from → to}: the statuses sit inside (the order lifecycle).
                    inner = _flatten(table) - {str(k) for k in table}
                    if inner <= statuses:
                        machine.table, machine.table_name = table, table_name
                        machine.events = [str(k) for k in table]
                elif _flatten(table) <= statuses and table:
                    machine.table, machine.table_name = table, table_name
            if machine.table is None:
                _use_state_machine(machine, module, obj)
            found.append(machine)
    return found


def _use_state_machine(machine: Machine, module: ModuleType, status: type) -> None:
    """Take the table of the module's ``core.states.Machine`` over ``status``, if it has one
    (machines whose table is written inline, with no ``*TRANSITIONS`` name of its own)."""
    for name, obj in sorted(vars(module).items()):
        if isinstance(obj, StateMachine) and obj.status is status:
            machine.table_name = name
            if obj.event_table:
                machine.table = obj.event_table
                machine.events = [str(k) for k in obj.event_table]
            else:
                machine.table = obj.table
            return


def _event_matrix(machine: Machine) -> list[str]:
    """One row per status: the events allowed from it and where each leads."""
    assert machine.table is not None
    lines = ["| from | event → to |", "| --- | --- |"]
    for status in machine.values:
        moves = []
        for event, targets in machine.table.items():
            to = {str(k): str(v) for k, v in targets.items()}.get(status)
            if to is not None:
                moves.append(f"`{event}` → `{to}`")
        lines.append(f"| `{status}` | " + (", ".join(moves) or "—") + " |")
    return lines


def _status_matrix(machine: Machine) -> list[str]:
    assert machine.table is not None
    lines = ["| from | may become |", "| --- | --- |"]
    for status in machine.values:
        targets = sorted(str(t) for t in machine.table.get(status, ()))
        lines.append(f"| `{status}` | " + (", ".join(f"`{t}`" for t in targets) or "—") + " |")
    return lines


def _final(machine: Machine) -> list[str]:
    assert machine.table is not None
    if machine.events:
        leaving = {str(k) for moves in machine.table.values() for k in moves}
        return [s for s in machine.values if s not in leaving]
    return [s for s in machine.values if not machine.table.get(s)]


def _render_machine(machine: Machine) -> list[str]:
    lines = [f"**`{machine.name}`** (`{machine.module}`)", ""]
    if machine.table is None:
        lines.append("Values: " + ", ".join(f"`{v}`" for v in machine.values) + ".")
        return [*lines, ""]
    rows = _event_matrix(machine) if machine.events else _status_matrix(machine)
    lines += [*rows, ""]
    final = _final(machine)
    lines.append(
        f"Table `{machine.table_name}`. "
        + ("Final: " + ", ".join(f"`{s}`" for s in final) + "." if final else "No final status.")
    )
    return [*lines, ""]


def states_page(module: str, found: Iterable[Machine] | None = None) -> str:
    """The statuses and tables declared in ``module`` (e.g. ``oms.orders.states``), or in
    every module (``all``, one heading per module)."""
    every = list(found if found is not None else machines())
    if module == "all":
        parts = []
        for name in sorted({m.module for m in every}):
            parts.append(f"### `{name}`\n\n" + states_page(name, every))
        return "\n".join(parts)
    selected = [m for m in every if m.module == module]
    if not selected:
        raise UnknownMarker(f"no *Status or *Kind class in {module}")
    lines: list[str] = []
    for machine in selected:
        lines += _render_machine(machine)
    return "\n".join(lines)


# --- errors -------------------------------------------------------------------------------


def _domain_of(cls: type) -> str:
    return cls.__module__.split(".")[1]


def error_catalogue(domain: str = "all") -> str:
    """The error codes (all, or one domain's: ``orders``, ``core``, …) with status and title."""
    from oms.core.errors import CATALOGUE

    import_all()
    rows = sorted(
        (code, cls)
        for code, cls in CATALOGUE.items()
        if domain == "all" or _domain_of(cls) == domain
    )
    if not rows:
        raise UnknownMarker(f"no error codes in domain {domain}")
    head = ["| code | HTTP | title |", "| --- | --: | --- |"]
    if domain == "all":
        head = ["| code | HTTP | title | domain |", "| --- | --: | --- | --- |"]
    lines = list(head)
    for code, cls in rows:
        row = f"| `{code}` | {cls.http_status} | {_cell(cls.title)} |"
        lines.append(row + (f" {_domain_of(cls)} |" if domain == "all" else ""))
    return "\n".join(lines) + "\n"


# --- settings -----------------------------------------------------------------------------


def _default(info: FieldInfo) -> str:
    if info.default is PydanticUndefined:
        return "(required)"
    value = info.default
    if isinstance(value, bool):
        return "`1`" if value else "`0`"
    if value == "":
        return "(empty)"
    return f"`{value}`"


def settings_table() -> str:
    """Every ``OMS_*`` variable with its default and description, from ``oms.config``."""
    from oms.config import Settings

    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, info in Settings.model_fields.items():
        env = f"OMS_{name.upper()}"
        lines.append(f"| `{env}` | {_default(info)} | {_cell(info.description or '')} |")
    return "\n".join(lines) + "\n"


# --- permissions --------------------------------------------------------------------------


def permission_matrix() -> str:
    """Permission by role, from ``core.auth.ROLE_PERMISSIONS``."""
    from oms.core.auth import ROLE_PERMISSIONS, Role

    roles = list(Role)
    lines = [
        "| permission | " + " | ".join(str(r) for r in roles) + " | what it allows |",
        "| --- |" + " :-: |" * len(roles) + " --- |",
    ]
    for permission, granted in ROLE_PERMISSIONS.items():
        marks = ["✓" if role in granted else "" for role in roles]
        note = _cell(PERMISSION_NOTES.get(permission, ""))
        lines.append(f"| `{permission}` | " + " | ".join(marks) + f" | {note} |")
    return "\n".join(lines) + "\n"


# --- command line -------------------------------------------------------------------------


# Typer vendors its own click, so commands and parameters are read by duck typing.
def _commands(group: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
    subcommands = getattr(group, "commands", None)
    if subcommands is not None:
        for name, command in sorted(subcommands.items()):
            yield from _commands(command, [*path, name])
    else:
        yield path, group


def _usage(command: Any) -> str:
    parts: list[str] = []
    for param in command.params:
        if param.param_type_name == "argument":
            parts.append(str(param.name).upper())
        elif param.param_type_name == "option" and param.name != "help":
            flag = max(param.opts, key=len)
            if param.secondary_opts:  # --worker/--no-worker
                parts.append(f"[{flag}/{param.secondary_opts[0]}]")
            elif param.is_flag:
                parts.append(f"[{flag}]")
            elif param.required:
                parts.append(f"{flag} {str(param.name).upper()}")
            else:
                parts.append(f"[{flag} {str(param.name).upper()}]")
    return " ".join(parts)


def cli_reference(group: str = "all") -> str:
    """Every ``oms`` command (or one group's) with its options and first help line."""
    from oms.cli import app

    root = typer.main.get_command(app)
    lines = ["| command | what |", "| --- | --- |"]
    found = 0
    for path, command in _commands(root, []):
        if group != "all" and path[0] != group:
            continue
        found += 1
        usage = " ".join(["oms", *path, _usage(command)]).strip()
        summary = (command.help or "").strip().split("\n\n")[0].replace("\n", " ")
        lines.append(f"| `{_cell(usage)}` | {_cell(summary)} |")
    if not found:
        raise UnknownMarker(f"no oms command group {group}")
    return "\n".join(lines) + "\n"


# --- HTTP routes --------------------------------------------------------------------------


def _route_permission(route: Any) -> str:
    """The permission a ``requires(...)`` dependency checks, read from its closure."""
    for dependency in getattr(route, "dependencies", []):
        for cell in getattr(dependency.dependency, "__closure__", None) or ():
            if isinstance(cell.cell_contents, str):
                return str(cell.cell_contents)
    return ""


def _first_line(doc: str | None) -> str:
    text = (doc or "").strip().split("\n\n")[0].replace("\n", " ")
    return re.sub(r"\s+", " ", text).replace("``", "`")


def routes_table(domain: str = "all") -> str:
    """Every HTTP route (or one domain's) with its route-level permission and summary."""
    from fastapi import APIRouter

    lines = ["| method and path | permission | what |", "| --- | --- | --- |"]
    found = 0
    for module in import_all():
        router = getattr(module, "router", None)
        if not isinstance(router, APIRouter):
            continue
        if domain != "all" and module.__name__.split(".")[1] != domain:
            continue
        for route in router.routes:
            methods = "/".join(sorted(getattr(route, "methods", ()) or ()))
            path = getattr(route, "path", "")
            permission = _route_permission(route)
            summary = _first_line(getattr(route, "endpoint", None).__doc__)
            cell = f"`{permission}`" if permission else "—"
            lines.append(f"| `{methods} {path}` | {cell} | {_cell(summary)} |")
            found += 1
    if not found:
        raise UnknownMarker(f"no HTTP routes in domain {domain}")
    return "\n".join(lines) + "\n"


# --- jobs ---------------------------------------------------------------------------------


def _handler_doc(handler: Any) -> str:
    func = getattr(handler, "func", handler)  # functools.partial
    where = f"`{func.__module__}`"
    return f"{where}: {_first_line(func.__doc__)}" if func.__doc__ else where


def registered_jobs() -> JobRegistry:
    """The registry ``oms serve`` and ``oms worker`` build (``jobs_wiring.build_registry``)."""
    from oms.config import Settings
    from oms.jobs_wiring import build_registry

    return build_registry(Settings())


def jobs_table() -> str:
    """Job topics with their event, handler, fan-out subscribers, and the periodic sweeps."""
    registry = registered_jobs()
    handlers, subscribers = registry.handlers, registry.subscribers
    lines = ["| topic | event | handled by |", "| --- | --- | --- |"]
    for topic in sorted({*handlers, *subscribers}):
        event_type = registry.event_type(topic)
        event = f"`{event_type.__module__}.{event_type.__name__}`" if event_type else "—"
        extra = sorted(subscribers.get(topic, {}))
        if topic in handlers:
            also = f" (also: {', '.join(extra)})" if extra else ""
            lines.append(f"| `{topic}` | {event} | {_cell(_handler_doc(handlers[topic]))}{also} |")
        else:
            lines.append(f"| `{topic}` | {event} | subscribers only: {', '.join(extra)} |")
    lines += ["", "| sweep | every | runs |", "| --- | --: | --- |"]
    for name, sweep in sorted(registry.sweeps.items()):
        doc = _cell(_handler_doc(sweep.task))
        lines.append(f"| `{name}` | {sweep.interval_seconds:g} s | {doc} |")
    return "\n".join(lines) + "\n"


# --- console navigation -------------------------------------------------------------------


def console_navigation() -> str:
    """The console's pages with the permission that shows each (``console.pages.NAVIGATION``)."""
    from oms.console.pages import NAVIGATION
    from oms.core.auth import ROLE_PERMISSIONS, Role

    lines = ["| page | path | permission | roles |", "| --- | --- | --- | --- |"]
    for item in NAVIGATION:
        roles = ", ".join(str(r) for r in Role if r in ROLE_PERMISSIONS[item.permission])
        lines.append(f"| {item.label} | `{item.href}` | `{item.permission}` | {roles} |")
    return "\n".join(lines) + "\n"


def tracking_codes() -> str:
    """The carrier code normalisation table (fulfilment.tracking.normalise.TABLE)."""
    from oms.fulfilment.tracking.normalise import TABLE

    lines = ["| scheme | code | tracking status | sub-status |", "| --- | --- | --- | --- |"]
    for (scheme, code), (status, sub_status) in TABLE.items():
        lines.append(f"| {scheme} | `{_cell(code)}` | `{status}` | `{sub_status}` |")
    return "\n".join(lines) + "\n"


# --- markers ------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _render(kind: str, arg: str | None) -> str:
    renderers: dict[str, Callable[[], str]] = {
        "states": lambda: states_page(arg or ""),
        "errors": lambda: error_catalogue(arg or "all"),
        "settings": settings_table,
        "permissions": permission_matrix,
        "cli": lambda: cli_reference(arg or "all"),
        "routes": lambda: routes_table(arg or "all"),
        "jobs": jobs_table,
        "console": console_navigation,
        "tracking": tracking_codes,
    }
    renderer = renderers.get(kind)
    if renderer is None:
        raise UnknownMarker(f"unknown marker oms:gen {kind}")
    return renderer()


def expand(markdown: str) -> str:
    """Replace every ``<!-- oms:gen … -->`` line with its generated table."""
    # A blank line after each table, so the paragraph that follows never joins it.
    return MARKER.sub(lambda m: _render(m.group("kind"), m.group("arg")) + "\n", markdown)
