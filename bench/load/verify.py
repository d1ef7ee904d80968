"""After the run: nothing lost, nothing done twice. Each check is a verdict with its figures."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from bench.load.generator import Generator
from bench.load.messages import ORDER, PlacedOrder

__all__ = ["Verdict", "drain", "verdicts"]

Conn = psycopg.Connection[Any]


@dataclass(frozen=True, slots=True)
class Verdict:
    name: str
    ok: bool
    detail: str


def drain(database_url: str, *, timeout: float) -> tuple[float, dict[str, int]]:
    """Wait until no job is due or running (the worker has caught up, and the claims of a
    killed worker have come back after their lease); the seconds it took, and what is left
    by topic and status."""
    sql = (
        "SELECT topic || ' ' || status, count(*) FROM outbox_messages WHERE status = 'running'"
        " OR (status = 'pending' AND available_at <= now()) GROUP BY 1"
    )
    began = time.monotonic()
    while True:
        with psycopg.connect(database_url) as conn:
            left = {str(k): int(n) for k, n in conn.execute(sql)}
        if not left or time.monotonic() - began > timeout:
            return time.monotonic() - began, left
        time.sleep(1.0)


def _orders(conn: Conn, created: Sequence[PlacedOrder]) -> Verdict:
    ids = [o.order_id for o in created]
    sql = (
        "SELECT o.id, count(DISTINCT r.sku) FROM orders o LEFT JOIN stock_reservations r"
        " ON r.tenant_id = o.tenant_id AND r.order_id = o.id WHERE o.id = ANY(%s) GROUP BY o.id"
    )
    holds = {str(i): int(str(n)) for i, n in conn.execute(sql, (ids,))}
    missing = [o.order_id for o in created if o.order_id not in holds]
    short = [o.order_id for o in created if o.order_id in holds and holds[o.order_id] < o.lines]
    detail = f"{len(created)} answered 201; {len(missing)} missing; {len(short)} without all holds"
    return Verdict("every 201 order exists with its holds", not missing and not short, detail)


def _in_doubt(conn: Conn, generator: Generator) -> Verdict:
    """Orders whose answer the client never got: whether the server committed them anyway
    (either is correct; a retry with the same external id would be answered with the order)."""
    refs = [
        s.ref for s in generator.samples if s.kind == ORDER and s.outcome.startswith("transport:")
    ]
    row = conn.execute(
        "SELECT count(*) FROM orders WHERE tenant_id = %s AND external_id = ANY(%s)",
        (generator.mix.tenant_id, refs),
    ).fetchone()
    detail = f"{len(refs)} order requests without an answer; {row[0] if row else '?'} committed"
    return Verdict("orders in doubt accounted for", True, detail)


def _payments(conn: Conn, tenant_id: str) -> Verdict:
    by_status = dict(
        conn.execute(
            "SELECT status, count(*) FROM payments WHERE tenant_id = %s GROUP BY status",
            (tenant_id,),
        ).fetchall()
    )
    twice = conn.execute(
        "SELECT count(*) FROM (SELECT order_id FROM payments WHERE tenant_id = %s"
        " AND status = 'confirmed' GROUP BY order_id HAVING count(*) > 1) t",
        (tenant_id,),
    ).fetchone()
    paid_twice = conn.execute(
        "SELECT count(*) FROM (SELECT aggregate_id FROM audit_entries WHERE tenant_id = %s"
        " AND aggregate_type = 'order' AND to_status = 'paid'"
        " GROUP BY aggregate_id HAVING count(*) > 1) t",
        (tenant_id,),
    ).fetchone()
    unpaid = conn.execute(
        "SELECT count(*) FROM payments p JOIN orders o ON o.tenant_id = p.tenant_id"
        " AND o.id = p.order_id WHERE p.tenant_id = %s AND p.status = 'confirmed'"
        " AND o.paid_at IS NULL",
        (tenant_id,),
    ).fetchone()
    retried = conn.execute(
        "SELECT count(*) FROM outbox_messages WHERE tenant_id = %s"
        " AND topic = 'payment.confirm' AND attempts > 1",
        (tenant_id,),
    ).fetchone()
    doubles = [int(str(r[0])) if r else -1 for r in (twice, paid_twice, unpaid)]
    detail = (
        f"payments by status {by_status}; orders with >1 confirmed payment {doubles[0]};"
        f" orders paid twice (audit) {doubles[1]}; confirmed but order unpaid {doubles[2]};"
        f" confirmation jobs that needed a retry {retried[0] if retried else '?'}"
    )
    return Verdict("every confirmed payment applied once", doubles == [0, 0, 0], detail)


def _webhooks(conn: Conn, generator: Generator) -> Verdict:
    answers = generator.shopify_answers
    sql = "SELECT message_id, deliveries FROM inbox_messages WHERE message_id = ANY(%s)"
    ids = sorted({d for found in answers.values() for d in found})
    rows = {str(m): int(str(n)) for m, n in conn.execute(sql, (ids,))}
    changed = [p for p, found in answers.items() if len(set(found)) != 1]
    missing = [d for d in ids if d not in rows]
    under = [p for p, found in answers.items() if rows.get(found[0], 0) < len(found)]
    channel_rows = conn.execute(
        "SELECT count(*) FROM channel_orders WHERE channel = 'shopify' AND tenant_id = %s",
        (generator.mix.tenant_id,),
    ).fetchone()
    detail = (
        f"{len(answers)} platform orders accepted, {sum(map(len, answers.values()))} deliveries;"
        f" id changed on redelivery {len(changed)}; inbox rows missing {len(missing)};"
        f" deliveries under-counted {len(under)}; shopify channel orders"
        f" {channel_rows[0] if channel_rows else '?'}"
    )
    ok = not changed and not missing and not under
    return Verdict("every webhook recorded once per platform id", ok, detail)


def _poison(conn: Conn, poison_ids: list[str]) -> Verdict:
    rows = conn.execute(
        "SELECT status, attempts FROM outbox_messages WHERE id = ANY(%s)", (poison_ids,)
    ).fetchall()
    ok = len(rows) == len(poison_ids) and all(s == "dead" and a == 1 for s, a in rows)
    return Verdict("poison message dead after one attempt", ok, f"{rows}")


def _cli(name: str, args: list[str], database_url: str) -> Verdict:
    oms = Path(sys.executable).parent / "oms"
    env = os.environ | {"OMS_DATABASE_URL": database_url}
    done = subprocess.run([str(oms), *args], env=env, capture_output=True, text=True, check=False)
    # The first line says it (stock) or the JSON report's fields do (vouchers): keep it short.
    said = " ".join((done.stdout.strip() or done.stderr.strip()).split())[:200]
    return Verdict(name, done.returncode == 0, f"exit {done.returncode}: {said}")


def verdicts(generator: Generator, database_url: str, poison_ids: list[str]) -> list[Verdict]:
    tenant = generator.mix.tenant_id
    with psycopg.connect(database_url) as conn:
        found = [
            _orders(conn, generator.mix.created),
            _in_doubt(conn, generator),
            _payments(conn, tenant),
            _webhooks(conn, generator),
        ]
        if poison_ids:
            found.append(_poison(conn, poison_ids))
    found.append(_cli("oms stock verify clean", ["stock", "verify"], database_url))
    vouchers = ["vouchers", "verify", "--tenant", tenant]
    found.append(_cli("oms vouchers verify clean", vouchers, database_url))
    return found
