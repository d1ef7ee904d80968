"""Schema-driven fuzzing of the whole HTTP API with schemathesis, in process.

Every operation in the app's own ``/openapi.json`` gets valid and invalid requests generated
from its schema, sent with the tenant's admin key to the ASGI app (no network), and no answer
may be a 5xx. Path parameters sometimes name a real order or job, so requests reach past the
404s into the domain code.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from oms.core import jobs
from oms.core.uow import Database
from oms.orders import service
from oms.orders.schemas import OrderEventIn
from tests.fixtures.orders import order_create, order_payload
from tests.fixtures.tenants import TenantKeys

MAX_EXAMPLES = 30


def _known_ids(db: Database, tenant: TenantKeys) -> dict[str, list[str]]:
    """Orders (one paid, one left pending) and their outbox jobs, for path parameters."""
    paid = service.place_order(db, tenant.actor(), order_create(external_id="fuzz-1")).order
    pending = service.place_order(db, tenant.actor(), order_create()).order
    service.apply_event(db, tenant.actor(), paid.id, OrderEventIn(event="pay"))
    job_ids = [job.id for job in jobs.list_jobs(db, tenant_id=tenant.tenant_id, status=None)]
    assert job_ids
    return {"order_id": [paid.id, pending.id], "job_id": job_ids[:3], "code": ["ERR_VALIDATION"]}


def _strategy(operation: Any, known: dict[str, list[str]]) -> st.SearchStrategy[Any]:
    """Valid and invalid cases, plus valid cases whose path names something that exists."""
    strategies = [
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    ]
    names = [p.name for p in operation.path_parameters]
    if names and all(name in known for name in names):
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


def test_no_operation_answers_5xx(client: TestClient, db: Database, tenant: TenantKeys) -> None:
    """Schema-generated requests to every operation, valid or not, never get a 5xx answer.

    Runs about thirty derandomized examples per operation against the in-process app.
    """
    known = _known_ids(db, tenant)
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    headers = tenant.headers("admin")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    failures: list[str] = []
    for operation in operations:

        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=_strategy(operation, known))
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as error:  # report every operation that fails
            failures.append(f"{operation.label}: {error}")

    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


# Requests the fuzzing above produced (or that follow from its finding) that carry U+0000 in a
# string; PostgreSQL text cannot hold it, so each must be refused with a 4xx, not reach the DB.
NUL_REQUESTS = [
    pytest.param("GET", "/api/v1/jobs", {"params": {"status": "dead\x00"}}, id="jobs-status"),
    pytest.param("GET", "/api/v1/orders", {"params": {"q": "1380\x00"}}, id="orders-q"),
    pytest.param("GET", "/api/v1/orders", {"params": {"channel": "tm\x00"}}, id="orders-channel"),
    pytest.param("GET", "/api/v1/orders/x%00y", {}, id="order-id"),
    pytest.param("GET", "/api/v1/orders/x%00y/timeline", {}, id="timeline-order-id"),
    pytest.param(
        "POST", "/api/v1/orders/x%00y/events", {"json": {"event": "pay"}}, id="event-order-id"
    ),
    pytest.param("POST", "/api/v1/jobs/x%00y/retry", {}, id="retry-job-id"),
    pytest.param(
        "POST",
        "/api/v1/orders",
        {"json": order_payload(lines=[{"sku": "g\x00", "name": "tea", "qty": 1, "unit_price": 1}])},
        id="order-line-sku",
    ),
    pytest.param("POST", "/api/v1/orders", {"json": order_payload(note="a\x00b")}, id="order-note"),
    pytest.param(
        "POST", "/api/v1/api-keys", {"json": {"role": "ops", "name": "a\x00b"}}, id="api-key-name"
    ),
]


@pytest.mark.parametrize(("method", "url", "kwargs"), NUL_REQUESTS)
def test_nul_characters_are_refused_not_500(
    client: TestClient, tenant: TenantKeys, method: str, url: str, kwargs: dict[str, Any]
) -> None:
    """A NUL character in a path, query or body string is a client error, on every backend.

    Pins what the schema fuzzing found, so it does not depend on the examples drawn.
    """
    response = client.request(method, url, headers=tenant.headers("admin"), **kwargs)
    assert response.status_code < 500, response.text
