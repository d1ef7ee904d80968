"""The OpenAPI document, made to tell the truth about errors and to link creates to reads.

FastAPI documents the answers a route returns itself; the errors come from elsewhere (the
authentication dependency, the edge middleware, the error handlers), so ``install_openapi``
post-processes the generated document once, from the routes themselves:

- every 4xx an operation can answer is declared with the one ``Problem`` schema, served as
  ``application/problem+json``: 401/403/429 when the route authenticates, 404 when its path names
  something or it acts on a tenant (``OMS-Tenant`` may name one that is not the caller's),
  400/413/415 when it takes a body, 409 + 422 and the ``Idempotency-Key`` header on
  authenticated POSTs, 412/428 when it reads ``If-Match``, 422 everywhere (the edge refuses a
  NUL in any URL; parameters are validated); an authenticated route also names the bearer
  API key as its security requirement;
- a route declares the domain errors the rules cannot see with ``responses=problems(409)``;
  a 4xx a route documents with content of its own (a gateway's format) is left as it is;
- a create (a POST on a collection answering an object with an ``id``) gets an OpenAPI link to
  every operation on that object's path (``GET /orders/{order_id}``, its events, timeline…),
  fed with ``$response.body#/id``, so stateful tests and clients can follow them.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from oms.http.deps import get_partner, get_principal
from oms.http.problems import PROBLEM_REF, PROBLEM_SCHEMA, problem_openapi_response

__all__ = ["install_openapi", "refine_openapi"]

_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes a POST safe to retry: the same key and request answer the first response again "
        "(`Idempotent-Replayed: true`); the key with another request is a 422, while the first "
        "is still running a 409."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
_OMS_TENANT = {
    "name": "OMS-Tenant",
    "in": "header",
    "required": False,
    "description": (
        "With a partner key: the id of one of the partner's tenants to act on (any other "
        "tenant is a 404). A tenant's own key may name only its own tenant."
    ),
    "schema": {"type": "string", "maxLength": 64},
}
_CONDITIONAL_HEADERS = (
    ("If-None-Match", "Answer 304 when the current ETag matches"),
    ("If-Modified-Since", "Answer 304 when nothing changed since this HTTP date"),
)
_BODY_METHODS = {"post", "put", "patch"}
_SECURITY_SCHEME = "apiKey"
_STALE_COMPONENTS = ("HTTPValidationError", "ValidationError")
_PATH_PARAM = re.compile(r"\{([^}]+)\}")


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` (and so ``/openapi.json``) return the refined document."""
    generate = app.openapi  # FastAPI's own, which caches until the routes change
    cache: dict[str, dict[str, Any]] = {}

    def openapi() -> dict[str, Any]:
        generated = generate()
        if cache.get("generated") is not generated:
            cache["generated"] = generated
            cache["refined"] = refine_openapi(generated, app.routes)
        return cache["refined"]

    app.openapi = openapi  # type: ignore[method-assign]


def refine_openapi(document: dict[str, Any], routes: Iterable[Any]) -> dict[str, Any]:
    """The document with every operation's problems declared and creates linked to reads."""
    document = copy.deepcopy(document)
    paths: dict[str, dict[str, Any]] = document.get("paths", {})
    for route, method in _operations(routes):
        operation = paths.get(route.path_format, {}).get(method)
        if operation is not None:
            _declare_problems(operation, route, method)
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = copy.deepcopy(PROBLEM_SCHEMA)
    document["components"].setdefault("securitySchemes", {})[_SECURITY_SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": (
            "An API key of the tenant (`oms tenants …`, `POST /api/v1/api-keys`), or a "
            "partner key (`oms partners create`) with `OMS-Tenant`"
        ),
    }
    _add_links(paths, components)
    _drop_unused(document, components)
    return document


def _operations(routes: Iterable[Any]) -> Iterator[tuple[Any, str]]:
    """Each documented route with each of its methods, found the way FastAPI's own
    generator finds them (routes included from routers come with their prefix and the
    router's dependencies)."""
    for context in routing.iter_route_contexts(list(routes)):
        if isinstance(context.original_route, APIRoute) and context.include_in_schema:
            for method in sorted(context.methods or ()):
                yield context, method.lower()


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def _header_names(operation: dict[str, Any]) -> set[str]:
    return {p["name"].lower() for p in operation.get("parameters", []) if p.get("in") == "header"}


def _is_authenticated(route: Any) -> bool:
    return bool({get_principal, get_partner} & set(_calls(route.dependant)))


def _acts_on_a_tenant(route: Any) -> bool:
    return get_principal in set(_calls(route.dependant))


def _inferred_statuses(operation: dict[str, Any], route: Any, method: str) -> set[int]:
    """The 4xx that the shared layers (auth, edge middleware, validation) can answer here."""
    statuses = {422}
    authenticated = _is_authenticated(route)
    if authenticated:
        # 429: the per-tenant and per-key rate limits (core.rate_limits) count every caller.
        statuses |= {401, 403, 429}
    if route.dependant.path_params or _acts_on_a_tenant(route):
        # OMS-Tenant may name a tenant that is not the caller's: a 404 like another's object.
        statuses.add(404)
    if method in _BODY_METHODS:
        statuses.add(413)
        if route.body_field is not None:
            statuses |= {400, 415}
    if method == "post" and authenticated:
        statuses.add(409)
    if "if-match" in _header_names(operation):
        statuses |= {412, 428}
    return statuses


def _declare_problems(operation: dict[str, Any], route: Any, method: str) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status in _inferred_statuses(operation, route, method):
        responses.setdefault(str(status), {})
    for key, response in responses.items():
        if key.isdigit() and 400 <= int(key) < 500 and _has_no_content_of_its_own(response):
            description = response.get("description")
            if description == "Validation Error":  # FastAPI's default says nothing
                description = None
            response.clear()
            response.update(problem_openapi_response(int(key), description))
        elif key == "304":
            response.pop("content", None)  # a 304 has no body
    operation["responses"] = dict(sorted(responses.items()))
    if _is_authenticated(route):
        operation.setdefault("security", [{_SECURITY_SCHEME: []}])
    _declare_headers(operation, route, method)


def _declare_headers(operation: dict[str, Any], route: Any, method: str) -> None:
    """The request headers the shared layers read: Idempotency-Key, conditional GET."""
    known = _header_names(operation)
    added: list[dict[str, Any]] = []
    if method == "post" and _acts_on_a_tenant(route):
        added.append(copy.deepcopy(_IDEMPOTENCY_KEY))
    if _acts_on_a_tenant(route):
        added.append(copy.deepcopy(_OMS_TENANT))
    if method == "get" and "304" in operation["responses"]:
        added.extend(
            {
                "name": name,
                "in": "header",
                "required": False,
                "description": description,
                "schema": {"type": "string"},
            }
            for name, description in _CONDITIONAL_HEADERS
        )
    fresh = [header for header in added if header["name"].lower() not in known]
    if fresh:
        operation.setdefault("parameters", []).extend(fresh)


def _has_no_content_of_its_own(response: dict[str, Any]) -> bool:
    """True for a 4xx declared bare, by ``problems()``, or by FastAPI's validation default."""
    content: dict[str, Any] = response.get("content") or {}
    if not content:
        return True
    for media in content.values():
        ref = (media.get("schema") or {}).get("$ref", "")
        if ref not in ("#/components/schemas/HTTPValidationError", PROBLEM_REF["$ref"]):
            return False
    return True


def _add_links(paths: dict[str, dict[str, Any]], components: dict[str, Any]) -> None:
    """Link each create to every operation on the created object's own path."""
    for path, item in paths.items():
        create = item.get("post")
        if create is None or _PATH_PARAM.search(path.rsplit("/", 1)[-1]):
            continue
        for status in ("201", "200"):
            response = create.get("responses", {}).get(status)
            properties = _body_properties(response, components)
            if response is None or properties is None:
                continue
            links = _links_to_object(paths, path, properties)
            if links:
                response.setdefault("links", {}).update(links)


def _body_properties(
    response: dict[str, Any] | None, components: dict[str, Any]
) -> dict[str, Any] | None:
    if not response:
        return None
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    ref: str = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = components.get(ref.rsplit("/", 1)[-1], {})
    properties = schema.get("properties")
    return properties if isinstance(properties, dict) else None


def _links_to_object(
    paths: dict[str, dict[str, Any]], collection: str, properties: dict[str, Any]
) -> dict[str, Any]:
    """``{collection}/{x_id}`` and its sub-paths, each fed with the created object's id."""
    pattern = re.compile(re.escape(collection) + r"/\{([^}]+)\}(/[^{}]*)?")
    links: dict[str, Any] = {}
    for path, item in sorted(paths.items()):
        match = pattern.fullmatch(path)
        if match is None:
            continue
        param = match.group(1)
        field = param if param in properties else "id" if "id" in properties else None
        if field is None:
            continue
        for method, operation in sorted(item.items()):
            operation_id = operation.get("operationId") if isinstance(operation, dict) else None
            if not operation_id:
                continue
            name = _link_name(method, path.removeprefix(collection))
            links[name] = {
                "operationId": operation_id,
                "parameters": {param: f"$response.body#/{field}"},
                "description": f"{method.upper()} {path} for the object just created",
            }
    return links


def _link_name(method: str, tail: str) -> str:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", _PATH_PARAM.sub("", tail)) if w]
    return method.capitalize() + "".join(w.capitalize() for w in words)


def _drop_unused(document: dict[str, Any], components: dict[str, Any]) -> None:
    """FastAPI's own validation error schemas, once no response refers to them."""
    rest = {k: v for k, v in components.items() if k not in _STALE_COMPONENTS}
    used = json.dumps([document.get("paths"), rest])
    for name in _STALE_COMPONENTS:
        if f'"#/components/schemas/{name}"' not in used:
            components.pop(name, None)
