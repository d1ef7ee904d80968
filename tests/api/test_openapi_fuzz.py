"""The OpenAPI document tells the truth: schemathesis over the app's own ``/openapi.json``.

Every operation gets derandomized valid and invalid requests generated from its schema, sent in
process to the ASGI app with a real API key of a fixture tenant; no answer may be a 5xx, and
every status code, content type, body and declared header must be what the document says
(``tests.api.fuzzing.CHECKS``). The stateful run follows the document's links from each create
to the created object's operations. ``python -m tests.api.fuzzing`` prints the same counts.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import jsonschema_rs
import pytest
from fastapi import APIRouter, FastAPI, Header
from fastapi.testclient import TestClient
from pydantic import BaseModel

from oms.app import create_app
from oms.config import Settings
from oms.core.clock import ManualClock
from oms.core.db import make_engine
from oms.core.errors import CATALOGUE
from oms.core.tracing import from_request_headers
from oms.core.uow import Database
from oms.http.deps import requires
from oms.http.openapi import install_openapi
from oms.http.problems import PROBLEM_MEDIA_TYPE, PROBLEM_SCHEMA, problem_response, problems
from tests.api.fuzzing import fuzz_operations, known_ids, run_links
from tests.fixtures.orders import order_payload
from tests.fixtures.tenants import TenantKeys

# The budget: examples per operation, so `make test` stays within minutes on two cores.
MAX_EXAMPLES = 30
LOW_PRIVILEGE_EXAMPLES = 10
STATEFUL_EXAMPLES = 15
# The gateways' notify URL answers refusals in the gateway's own format.
INTAKE_OPERATIONS = {("post", "/api/v1/payments/{gateway}/notify/{tenant}")}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The served /openapi.json (generating it touches no database)."""
    db = Database(make_engine("sqlite://"), ManualClock())
    app = create_app(Settings(env="test", embedded_worker=False), db=db, run_worker=False)
    response = TestClient(app).get("/openapi.json")
    assert response.status_code == 200
    served: dict[str, Any] = response.json()
    return served


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def _fail_on(findings: Any) -> None:
    if findings.total():
        pytest.fail(findings.report(), pytrace=False)


def test_every_operation_conforms_with_the_admin_key(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    """Thirty derandomized cases per operation with an admin key: no 5xx, and status codes,
    content types, bodies and headers as documented."""
    findings = fuzz_operations(
        client.app,  # type: ignore[arg-type]
        tenant.headers("admin"),
        known_ids(db, tenant),
        max_examples=MAX_EXAMPLES,
    )
    assert findings.calls >= 10 * MAX_EXAMPLES
    _fail_on(findings)


# On SQLite only (the budget): a role refused at the door reaches no backend-specific code.
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_every_operation_conforms_with_a_low_privilege_key(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    """The warehouse role may do little: its 403s are documented problems too."""
    findings = fuzz_operations(
        client.app,  # type: ignore[arg-type]
        tenant.headers("warehouse"),
        known_ids(db, tenant),
        max_examples=LOW_PRIVILEGE_EXAMPLES,
    )
    assert findings.count("status_code_conformance") == 0
    _fail_on(findings)


def test_links_from_creates_are_followed_statefully(client: TestClient, tenant: TenantKeys) -> None:
    """Schemathesis's state machine creates objects and follows the links to read and act on
    them; every answer on the way conforms."""
    findings = run_links(
        client.app,  # type: ignore[arg-type]
        tenant.headers("admin"),
        max_examples=STATEFUL_EXAMPLES,
    )
    followed = [
        (label, status)
        for (label, status), count in findings.answers.items()
        if label.split(" ")[1].startswith("/api/v1/orders/{order_id}") and status == 200
    ]
    assert followed, findings.answers  # the links from POST /orders reached the new order
    _fail_on(findings)


def test_every_4xx_is_a_declared_problem(document: dict[str, Any]) -> None:
    """Each operation declares its 4xx as application/problem+json with the one Problem schema,
    and FastAPI's own HTTPValidationError (never what we answer) is gone."""
    assert document["components"]["schemas"]["Problem"] == PROBLEM_SCHEMA
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        assert "422" in responses, (method, path)
        if (method, path) in INTAKE_OPERATIONS:
            continue
        for status, response in responses.items():
            if status.startswith("4"):
                assert response["content"] == {
                    PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
                }, (method, path, status)


def test_statuses_are_derived_from_each_route(document: dict[str, Any]) -> None:
    """Authentication gives 401/403 and the bearer security requirement, a path id 404, a JSON
    body 400/413/415, an authenticated POST 409 and the Idempotency-Key header, a conditional
    GET its If-None-Match."""
    paths = document["paths"]
    create = paths["/api/v1/orders"]["post"]
    assert {"400", "401", "403", "409", "413", "415", "422"} <= set(create["responses"])
    assert "Idempotency-Key" in {p["name"] for p in create["parameters"]}
    read = paths["/api/v1/orders/{order_id}"]["get"]
    assert {"304", "401", "403", "404", "422"} <= set(read["responses"])
    assert "content" not in read["responses"]["304"]
    assert {"If-None-Match", "If-Modified-Since"} <= {p["name"] for p in read["parameters"]}
    assert set(paths["/healthz"]["get"]["responses"]) == {"200", "422"}
    assert create["security"] == read["security"] == [{"apiKey": []}]
    assert "security" not in paths["/healthz"]["get"]
    assert document["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    timeline = paths["/api/v1/orders/{order_id}/timeline"]["get"]
    assert "Idempotency-Key" not in {p["name"] for p in timeline.get("parameters", [])}


def test_creates_link_to_their_reads(document: dict[str, Any]) -> None:
    """POST /orders and POST /refunds link to the created object's read, fed by its id."""
    paths = document["paths"]
    for collection, param in (("/api/v1/orders", "order_id"), ("/api/v1/refunds", "refund_id")):
        read_id = paths[f"{collection}/{{{param}}}"]["get"]["operationId"]
        links = paths[collection]["post"]["responses"]["201"]["links"]
        assert links["Get"] == {
            "operationId": read_id,
            "parameters": {param: "$response.body#/id"},
            "description": f"GET {collection}/{{{param}}} for the object just created",
        }
    order_links = paths["/api/v1/orders"]["post"]["responses"]["201"]["links"]
    assert {"PostEvents", "GetTimeline"} <= set(order_links)


def test_routes_added_later_are_documented_by_the_same_rules() -> None:
    """A new router gets its problems without listing them: If-Match gives 412/428, a path
    id 404, authentication 401/403; ``problems()`` adds what the rules cannot see."""
    router = APIRouter(prefix="/api/v1/things")

    @router.post("", status_code=201, dependencies=[requires("orders:create")])
    def create(body: _Thing) -> _Thing:
        return body

    @router.get("/{thing_id}", dependencies=[requires("orders:read")])
    def read(thing_id: str) -> _Thing:
        return _Thing(id=thing_id)

    @router.put("/{thing_id}", responses=problems(429), dependencies=[requires("orders:read")])
    def replace(
        thing_id: str, body: _Thing, if_match: Annotated[str | None, Header()] = None
    ) -> _Thing:
        return body

    app = FastAPI()
    app.include_router(router)
    install_openapi(app)
    paths = app.openapi()["paths"]
    put = paths["/api/v1/things/{thing_id}"]["put"]["responses"]
    assert set(put) == {"200", "400", "401", "403", "404", "412", "413", "415", "422", "428", "429"}
    assert all(
        PROBLEM_MEDIA_TYPE in response["content"] for key, response in put.items() if key != "200"
    )
    link = paths["/api/v1/things"]["post"]["responses"]["201"]["links"]["Get"]
    assert link["parameters"] == {"thing_id": "$response.body#/id"}


class _Thing(BaseModel):
    id: str


def test_the_problem_schema_describes_every_rendered_problem() -> None:
    """What problem_response renders validates against the documented schema, for every
    code in the catalogue."""
    trace = from_request_headers(None, None, None)
    for error_class in CATALOGUE.values():
        response = problem_response(error_class("detail", field="x"), trace=trace, instance="/p")
        jsonschema_rs.validate(PROBLEM_SCHEMA, json.loads(response.body))
    declared = problems(404, 409)
    assert set(declared) == {404, 409}
    assert declared[409]["content"] == {
        PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
    }


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
