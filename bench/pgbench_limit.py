"""The database's own limit for order placement: the same transaction, driven by ``pgbench``.

The raw baseline (``bench.raw_sql``) is Python: with many clients on a small machine it is
bound by its own interpreter as much as by PostgreSQL. ``pgbench`` is C, so the rate it gets
from the same statements is the ceiling any oms process could approach on this server.

How the script is made, so that it is the same transaction and not one written to be fast:
one order is placed by the raw placer against a recording cursor (then rolled back), and every
statement it issued becomes a line of the pgbench script, in order, with its values inlined
as literals. What must differ per transaction to be real work is replaced:

* every row id the order inserts (order, audit entry, outbox messages, ledger entries, holds),
  its order number and its external id become pgbench random variables, so each transaction
  inserts new rows into the same unique indexes;
* the stock compare-and-set (``... SET reserved = <n> WHERE ... version = <v>``) becomes the
  same row update written relative (``reserved = reserved + qty, version = version + 1``): the
  literal version would match only the first transaction, and every later one would update
  nothing. The row is locked by the ``FOR UPDATE`` select before it, as in oms.

``executemany`` rows run as one statement each (psycopg pipelines them in one round trip),
which makes the limit slightly lower than the placer's: a conservative ceiling for the ratio.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench.raw_sql import _POSTGRES, _place, _Tx
from oms.core.context import Actor

__all__ = ["LimitRun", "pgbench_available", "pgbench_script", "run_pgbench"]

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_STOCK_CAS = re.compile(r"^UPDATE stock_items SET ")
_ID_RANGE = 9_000_000_000_000_000_000  # random ids: 19 digits, collisions negligible
_HELD = "__held_qty"
_LOOKS_LIKE_VARIABLE = re.compile(r"(?<!:):(?=[A-Za-z_\u0080-\uffff])")
_COLON_JOINED = ":' || '"
_QUOTED_AND_CAST = re.compile(r"(E?'.*')(::[\w ]+)?", re.DOTALL)


@dataclass(frozen=True, slots=True)
class LimitRun:
    """What one pgbench run measured."""

    clients: int
    transactions: int
    seconds: float
    latencies_ms: tuple[float, ...]

    @property
    def rate(self) -> float:
        return self.transactions / self.seconds

    def percentile_ms(self, q: int) -> float:
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[q - 1]


def pgbench_available() -> bool:
    return shutil.which("pgbench") is not None


class _Recorder:
    """A cursor that runs nothing it is not asked to fetch from, and keeps what it was given."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor
        self.statements: list[tuple[str, dict[str, Any]]] = []
        self.rowcount = 0

    def execute(self, query: str, params: dict[str, Any]) -> None:
        self.statements.append((query, params))
        self._cursor.execute(query, params)
        self.rowcount = self._cursor.rowcount

    def executemany(self, query: str, rows: list[dict[str, Any]]) -> None:
        for params in rows:
            self.execute(query, params)

    def fetchall(self) -> list[Any]:
        found: list[Any] = self._cursor.fetchall()
        return found


def _record_one_order(
    conninfo: str, actor: Actor, hold: timedelta, payload: dict[str, Any]
) -> list[tuple[str, dict[str, Any]]]:
    with psycopg.connect(conninfo) as conn:
        recorder = _Recorder(conn.cursor())
        try:
            _place(_Tx(recorder, _POSTGRES), payload, actor, hold)
        finally:
            conn.rollback()
    return recorder.statements


def _generated_values(statements: list[tuple[str, dict[str, Any]]]) -> dict[str, str]:
    """The values one order made up (ids, order number, external id), each to a variable."""
    made: list[str] = []
    for query, params in statements:
        if query.startswith("INSERT INTO"):
            made.append(str(params["id"]) if "id" in params else "")
        if query.startswith("INSERT INTO orders"):
            made.extend([str(params["order_no"]), str(params["external_id"])])
    unique = [value for value in dict.fromkeys(made) if value]
    return {value: f"g{n}" for n, value in enumerate(unique, start=1)}


def _literal(conn: psycopg.Connection[Any], value: Any) -> str:
    """``value`` as an SQL literal that pgbench will not take for a variable.

    pgbench reads ``:name`` as a variable even inside quotes (``'channel:shop.web'``), so
    such a literal is split at the colon and joined again by the server.
    """
    wrapped = psycopg.types.json.Jsonb(value) if isinstance(value, dict) else value
    rendered = sql.Literal(wrapped).as_string(conn)
    if not _LOOKS_LIKE_VARIABLE.search(rendered):
        return rendered
    quoted, cast = _QUOTED_AND_CAST.fullmatch(rendered).groups()  # type: ignore[union-attr]
    split = _LOOKS_LIKE_VARIABLE.sub(_COLON_JOINED, quoted)
    return f"({split}){cast or ''}"


def _relative_stock_update(params: dict[str, Any], conn: psycopg.Connection[Any]) -> str:
    """The stock compare-and-set as the same update of the locked row, written relative."""
    keys = ("tenant_id", "sku", "warehouse", "bucket")
    where = " AND ".join(f"stock_items.{k} = {_literal(conn, params[k + '_1'])}" for k in keys)
    return (
        f"UPDATE stock_items SET reserved = reserved + {int(params[_HELD])}, "
        f"version = version + 1, updated_at = {_literal(conn, params['updated_at'])} "
        f"WHERE {where}"
    )


def pgbench_script(conninfo: str, actor: Actor, hold: timedelta, payload: dict[str, Any]) -> str:
    """The pgbench script of one order placement, as the raw placer issues it."""
    statements = _with_held_qty(_record_one_order(conninfo, actor, hold, payload))
    variables = _generated_values(statements)
    lines = [f"\\set {name} random(1, {_ID_RANGE})" for name in variables.values()]
    lines.append("BEGIN;")
    with psycopg.connect(conninfo) as conn:
        for query, params in statements:
            if _STOCK_CAS.match(query):
                lines.append(_relative_stock_update(params, conn) + ";")
                continue
            lines.append(_inline(query, params, variables, conn) + ";")
    lines.append("COMMIT;")
    return "\n".join(line.replace("\n", " ") for line in lines) + "\n"


def _with_held_qty(
    statements: list[tuple[str, dict[str, Any]]],
) -> list[tuple[str, dict[str, Any]]]:
    """Tag each stock update with the qty it holds on its row.

    The placer updates a row, then batches its hold; the n-th hold insert is the n-th
    update's, and its ``qty`` is what the relative update adds to ``reserved``.
    """
    holds = [p for q, p in statements if q.startswith("INSERT INTO stock_reservations")]
    updates = [i for i, (q, _) in enumerate(statements) if _STOCK_CAS.match(q)]
    tagged = list(statements)
    for index, held in zip(updates, holds, strict=True):
        query, params = tagged[index]
        tagged[index] = (query, params | {_HELD: held["qty"]})
    return tagged


def _inline(
    query: str, params: dict[str, Any], variables: dict[str, str], conn: psycopg.Connection[Any]
) -> str:
    def value_of(match: re.Match[str]) -> str:
        value = params[match.group(1)]
        if isinstance(value, str) and value in variables:
            return f":{variables[value]}"
        return "NULL" if value is None else _literal(conn, value)

    return _PLACEHOLDER.sub(value_of, query)


def run_pgbench(conninfo: str, script: str, *, clients: int, seconds: int) -> LimitRun:
    """Run ``script`` with ``clients`` connections for ``seconds``; per-transaction latencies."""
    with tempfile.TemporaryDirectory(prefix="oms-pgbench-") as tmp:
        path = Path(tmp) / "order.sql"
        path.write_text(script)
        command = [
            "pgbench",
            "--no-vacuum",
            "--protocol=prepared",
            f"--client={clients}",
            f"--jobs={min(clients, 2)}",
            f"--time={seconds}",
            "--log",
            f"--log-prefix={Path(tmp) / 'tx'}",
            f"--file={path}",
            conninfo,
        ]
        done = subprocess.run(command, capture_output=True, text=True, cwd=tmp, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"pgbench failed: {done.stderr[-2000:]}")
        latencies = _logged_latencies(Path(tmp))
    return LimitRun(clients, len(latencies), float(seconds), latencies)


def _logged_latencies(directory: Path) -> tuple[float, ...]:
    """Latencies (ms) from pgbench's per-transaction logs: the third field, in microseconds."""
    found: list[float] = []
    for log in directory.glob("tx.*"):
        for line in log.read_text().splitlines():
            fields = line.split()
            if len(fields) >= 3:
                found.append(int(fields[2]) / 1000)
    if not found:
        raise RuntimeError("pgbench logged no transaction")
    return tuple(found)
