"""Schemathesis over the app's own ``/openapi.json``: the runner the fuzz tests share.

Every operation gets derandomized valid and invalid requests generated from its schema, sent
in process to the ASGI app; each answer is run through every check in ``CHECKS`` and every
failure is recorded (not raised), so one run counts them all and Hypothesis never spends the
budget shrinking.

``python -m tests.api.fuzzing [max_examples]`` prints the counts on a fresh SQLite database:
undocumented status codes, undeclared problem+json answers, and distinct failures by check.
"""

from __future__ import annotations

import itertools
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import hypothesis.errors
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import Failure, FailureGroup

from oms.core import jobs
from oms.core.uow import Database
from oms.orders import service
from oms.orders.schemas import OrderEventIn
from tests.fixtures.orders import order_create, order_payload
from tests.fixtures.tenants import TenantKeys

__all__ = ["CHECKS", "REPORTED_CHECKS", "Findings", "fuzz_operations", "known_ids", "run_links"]

# What "the OpenAPI tells the truth" means: no 5xx, and every status code, content type, body
# and declared header of every answer is what the document says.
CHECKS: list[Callable[..., Any]] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Reported by ``main`` but not required by the tests: an invalid request that is answered 2xx
# (a domain's own validation, e.g. a date-time that takes an integer).
REPORTED_CHECKS: list[Callable[..., Any]] = [negative_data_rejection]
PROBLEM_MEDIA_TYPE = "application/problem+json"


@dataclass
class Findings:
    """Distinct failures by check; a failure's key names the operation and what was wrong."""

    by_check: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    calls: int = 0
    answers: Counter[tuple[str, int]] = field(default_factory=Counter)
    stopped_by_replay: bool = False

    def record(self, check: str, operation: str, response: Any, failure: Failure) -> None:
        status = response.status_code
        detail = getattr(failure, "content_type", None) or failure.title
        key = f"{operation} -> {status} {detail}"
        self.by_check[check].setdefault(key, failure.message.strip().splitlines()[0][:300])

    def count(self, check: str) -> int:
        return len(self.by_check.get(check, {}))

    def undeclared_problem_json(self) -> int:
        """Answers in problem+json whose operation declares no problem+json for that status."""
        keys = self.by_check.get(content_type_conformance.__name__, {})
        return sum(1 for key in keys if key.endswith(PROBLEM_MEDIA_TYPE))

    def total(self) -> int:
        return sum(len(keys) for keys in self.by_check.values())

    def report(self) -> str:
        lines = [
            f"calls: {self.calls}" + (" (stopped by a replay)" if self.stopped_by_replay else "")
        ]
        lines.append(f"undocumented status codes: {self.count(status_code_conformance.__name__)}")
        lines.append(f"undeclared problem+json responses: {self.undeclared_problem_json()}")
        for check in CHECKS + REPORTED_CHECKS:
            lines.append(f"  {check.__name__}: {self.count(check.__name__)}")
        for check, keys in sorted(self.by_check.items()):
            for key, message in sorted(keys.items()):
                lines.append(f"[{check}] {key}: {message}")
        return "\n".join(lines)


def _validate(
    findings: Findings,
    case: Any,
    response: Any,
    headers: dict[str, str],
    checks: list[Callable[..., Any]] = CHECKS,
) -> None:
    """Run each check on its own, so every failure is attributed to the check that found it."""
    findings.calls += 1
    findings.answers[(case.operation.label, response.status_code)] += 1
    for check in checks:
        try:
            case.validate_response(response, checks=[check], headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                findings.record(check.__name__, case.operation.label, response, failure)


def known_ids(db: Database, tenant: TenantKeys) -> dict[str, list[str]]:
    """Orders (one paid, one left pending) and their outbox jobs, for path parameters."""
    paid = service.place_order(db, tenant.actor(), order_create(external_id="fuzz-1")).order
    pending = service.place_order(db, tenant.actor(), order_create()).order
    service.apply_event(db, tenant.actor(), paid.id, OrderEventIn(event="pay"))
    job_ids = [job.id for job in jobs.list_jobs(db, tenant_id=tenant.tenant_id, status=None)]
    return {"order_id": [paid.id, pending.id], "job_id": job_ids[:3], "code": ["ERR_VALIDATION"]}


def _strategy(operation: Any, known: dict[str, list[str]]) -> st.SearchStrategy[Any]:
    """Valid and invalid cases, plus valid cases whose path names something that exists."""
    strategies = [
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    ]
    names = [p.name for p in operation.path_parameters]
    if names and all(known.get(name) for name in names):
        strategies.extend(
            st.sampled_from(
                [{name: known[name][i % len(known[name])] for name in names} for i in range(3)]
            ).flatmap(
                lambda params: operation.as_strategy(
                    generation_mode=GenerationMode.POSITIVE, path_parameters=params
                )
            )
            for _ in range(2)
        )
    return st.one_of(strategies)


def _settings(max_examples: int) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )


def _load(app: FastAPI) -> Any:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # The document names the bearer API key; the runs send a real one instead of generating
    # (mostly invalid) Authorization headers, so the budget goes past authentication.
    schema.config.generation.update(with_security_parameters=False)
    return schema


def fuzz_operations(
    app: FastAPI,
    headers: dict[str, str],
    known: dict[str, list[str]],
    *,
    max_examples: int,
    checks: list[Callable[..., Any]] = CHECKS,
) -> Findings:
    """Every operation, ``max_examples`` derandomized cases each, every check on each answer."""
    schema = _load(app)
    findings = Findings()
    for result in schema.get_all_operations():
        operation = result.ok()

        @_settings(max_examples)
        @given(case=_strategy(operation, known))
        def fuzz(case: Any) -> None:
            _validate(findings, case, case.call(headers=headers), headers, checks)

        fuzz()
    return findings


def _linked_operation_ids(document: dict[str, Any], under: str) -> set[str]:
    """The operations on either end of a link whose source path starts with ``under``."""
    linked: set[str] = set()
    for path, item in document["paths"].items():
        if not path.startswith(under):
            continue
        for operation in item.values():
            for response in operation.get("responses", {}).values():
                targets = {link["operationId"] for link in response.get("links", {}).values()}
                if targets:
                    linked |= targets | {operation["operationId"]}
    return linked


def _valid_orders() -> Callable[[], dict[str, Any]]:
    numbers = itertools.count(1)
    return lambda: order_payload(external_id=f"links-{next(numbers)}")


def run_links(app: FastAPI, headers: dict[str, str], *, max_examples: int) -> Findings:
    """Stateful run: follow the OpenAPI links from each create to its read (and onwards)."""
    creates = {"POST /api/v1/orders": _valid_orders()}
    schema = _load(app)
    # Only the order's links, both ends: the whole budget goes to following them (with every
    # domain's create links in, 15 examples rarely drew POST /orders at all). The other
    # links' operations are still fuzzed one by one.
    linked = _linked_operation_ids(schema.raw_schema, under="/api/v1/orders")
    schema = schema.include(operation_id=sorted(linked))
    findings = Findings()
    base = schema.as_state_machine()

    class Links(base):  # type: ignore[valid-type,misc]
        def before_call(self, case: Any) -> None:
            # A random order names unstocked SKUs and is refused, so the links from it would
            # never be followed: the stateful run creates real orders (the plain fuzzing
            # covers random bodies), then follows the links from them.
            seed = creates.get(case.operation.label)
            if seed is not None:
                case.body = seed()

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            _validate(findings, case, response, headers)

    settings = _settings(max_examples)
    settings = hypothesis.settings(settings, stateful_step_count=6)
    try:
        Links.run(settings=settings)
    except hypothesis.errors.Flaky:
        # A replayed scenario meets a database its first run changed, so it can draw a
        # different rule; schemathesis's own runner ends the suite the same way. Failures are
        # recorded as they happen, so none is lost by stopping here.
        findings.stopped_by_replay = True
    return findings


@contextmanager
def _fresh_app() -> Iterator[tuple[TestClient, Database, TenantKeys]]:
    from oms.app import create_app
    from oms.config import Settings
    from oms.core.clock import ManualClock
    from oms.core.db import make_engine
    from oms.core.migrate import upgrade
    from tests.fixtures.tenants import UNLIMITED, make_tenant

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'oms.db'}")
        upgrade(engine)
        db = Database(engine, ManualClock())
        # Thousands of requests with one key on a frozen clock: no rate limits, as in the
        # suite's client fixture (tests/api/test_rate_limits.py tests them).
        unlimited = Settings(env="test", embedded_worker=False, **UNLIMITED)
        app = create_app(unlimited, db=db, run_worker=False)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client, db, make_tenant(db)
        engine.dispose()


def main(argv: list[str]) -> None:
    max_examples = int(argv[0]) if argv else 30
    with _fresh_app() as (client, db, tenant):
        known = known_ids(db, tenant)
        for role in ("admin", "warehouse"):
            app: Any = client.app
            findings = fuzz_operations(
                app,
                tenant.headers(role),
                known,
                max_examples=max_examples,
                checks=CHECKS + REPORTED_CHECKS,
            )
            print(f"== {role} key, {max_examples} examples per operation ==")
            print(findings.report())
        links = run_links(client.app, tenant.headers("admin"), max_examples=max_examples)  # type: ignore[arg-type]
        print("== links (stateful), admin key ==")
        print(links.report())


if __name__ == "__main__":
    main(sys.argv[1:])
