"""No code outside a ``states`` module writes a status: ``core.states.Machine`` is the only writer.

The source is walked with ``ast`` (not grepped), and a write is any of:

- an assignment to an attribute named ``status`` (``row.status = …``, also inside tuple
  targets and augmented assignments), or ``setattr(row, "status", …)``;
- an UPDATE's values naming ``status``: ``.values(status=…)``, ``.values({"status": …})``,
  ``.values(**{"status": …})``, ``on_conflict_do_update(set_={"status": …})``, and the same
  through a local name (``values = {"status": …}`` or ``values["status"] = …`` or
  ``values |= {"status": …}``, then ``.values(**values)``) or as the parameters of
  ``execute(update(…), {"status": …})``.

Not writes, so not matched: the status a row is created with (``insert(…).values(status=…)``,
``Model(status=…)``: a new row enters its machine there, and no move is made), HTTP status
codes (``status_code``, ``response.status`` of a client, ASGI ``message["status"]``: a dict
never passed to an UPDATE), and reads (``X.status == …``). Modules named ``*states.py`` and
migrations are exempt; nothing else is allowed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "oms"
STATUS = "status"


def _exempt(path: Path) -> bool:
    return path.name.endswith("states.py") or "migrations" in path.relative_to(SRC).parts


def _names_status(node: ast.AST | None) -> bool:
    """A dict display or ``dict(...)`` call with a ``"status"`` key."""
    if isinstance(node, ast.Dict):
        keyed = any(isinstance(k, ast.Constant) and k.value == STATUS for k in node.keys)
        pairs = zip(node.keys, node.values, strict=True)
        spread = any(k is None and _names_status(v) for k, v in pairs)
        return keyed or spread
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        return any(
            k.arg == STATUS or (k.arg is None and _names_status(k.value)) for k in node.keywords
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _names_status(node.left) or _names_status(node.right)
    if isinstance(node, ast.List | ast.Tuple):  # executemany parameters
        return any(_names_status(element) for element in node.elts)
    if isinstance(node, ast.ListComp):
        return _names_status(node.elt)
    return False


def _root_call(node: ast.expr) -> str | None:
    """The function a method chain starts from: ``update`` for ``update(X).where(…).values``."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Call | ast.Attribute):
                node = node.value
            else:
                return node.attr
        elif isinstance(node, ast.Name):
            return node.id
        else:
            return None


def _status_dicts(function: ast.AST) -> set[str]:
    """Local names that hold a dict with a ``"status"`` key somewhere in ``function``."""
    names: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign) and _names_status(
            node.value
        ):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.value, ast.Name)
                    and isinstance(target.slice, ast.Constant)
                    and target.slice.value == STATUS
                ):
                    names.add(target.value.id)
    return names


def _carries_status(node: ast.expr, local: set[str]) -> bool:
    return _names_status(node) or (isinstance(node, ast.Name) and node.id in local)


def _assigns_status_attribute(node: ast.AST) -> bool:
    if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(
            isinstance(sub, ast.Attribute) and sub.attr == STATUS
            for target in targets
            for sub in ast.walk(target)
        )
    return False


def _call_writes_status(call: ast.Call, local: set[str]) -> bool:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    arguments = [*call.args, *(k.value for k in call.keywords if k.arg is None)]
    if name == "setattr":
        return len(call.args) >= 2 and _is_status_constant(call.args[1])
    if name == "values" and isinstance(func, ast.Attribute):
        if _root_call(func.value) == "insert":
            return False  # a new row's first status: no move
        named = any(k.arg == STATUS for k in call.keywords)
        return named or any(_carries_status(a, local) for a in arguments)
    if name == "on_conflict_do_update":
        return any(k.arg == "set_" and _carries_status(k.value, local) for k in call.keywords)
    if name == "execute" and call.args and _root_call(call.args[0]) == "update":
        return any(_carries_status(a, local) for a in call.args[1:])
    return False


def _is_status_constant(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == STATUS


def _scopes(tree: ast.Module) -> Iterator[ast.AST]:
    yield tree
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def status_writes(path: Path) -> list[int]:
    """Lines of ``path`` that write a status."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[int] = set()
    for scope in _scopes(tree):
        local = _status_dicts(scope)
        for node in ast.walk(scope):
            call = isinstance(node, ast.Call) and _call_writes_status(node, local)
            if call or _assigns_status_attribute(node):
                found.add(getattr(node, "lineno", 0))
    return sorted(found)


def _writers() -> list[str]:
    return [
        f"{path.relative_to(SRC.parent)}:{line}"
        for path in sorted(SRC.rglob("*.py"))
        if not _exempt(path)
        for line in status_writes(path)
    ]


def test_no_code_outside_a_states_module_writes_a_status() -> None:
    writers = _writers()
    assert not writers, "status written outside a states module (use its Machine):\n" + "\n".join(
        writers
    )


SAMPLES = """
from sqlalchemy import insert, update

def attribute(row, other):
    row.status = "paid"                                        # 4
    row.status, row.decided_at = "done", None                  # 5
    setattr(other, "status", "x")                              # 6

def statements(session, values, now):
    session.execute(update(T).where(T.id == 1).values(status="x"))      # 9
    stmt = update(T).values({"status": "x"})                            # 10
    stmt = update(T).values(**{"status": "x", "at": now})               # 11
    stmt = pg_insert(T).values(x=1).on_conflict_do_update(set_={"status": "y"})  # 12
    session.execute(update(T), [{"id": 1, "status": "x"}])              # 13

def through_a_name(session):
    values = {"version": 2}
    values["status"] = "paid"
    session.execute(update(T).values(**values))                        # 18
    more = {"at": 1}
    more |= {"status": "done"}
    session.execute(update(T).values(more))                            # 21

def not_writes(session, response, message):
    session.execute(insert(T).values(status="new"))
    row = T(status="new")
    code = response.status_code
    captured = {"status": 500}
    captured["status"] = message["status"]
    return session.execute(select(T).where(T.status == "paid")), row, code, captured
"""


def test_the_walker_finds_each_kind_of_write_and_nothing_else(tmp_path: Path) -> None:
    sample = tmp_path / "service.py"
    sample.write_text(SAMPLES.lstrip("\n"), encoding="utf-8")
    assert status_writes(sample) == [4, 5, 6, 9, 10, 11, 12, 13, 18, 21]


def test_states_modules_and_migrations_are_the_only_exempt_files() -> None:
    assert _exempt(SRC / "orders" / "states.py")
    assert _exempt(SRC / "core" / "job_states.py")
    assert _exempt(SRC / "migrations" / "versions" / "0001_initial.py")
    assert not _exempt(SRC / "orders" / "service.py")
    assert not _exempt(SRC / "core" / "jobs.py")
