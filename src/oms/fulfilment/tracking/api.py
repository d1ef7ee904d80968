"""Carrier tracking over HTTP: the carriers' push endpoints and the unmatched pushes."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from oms.core.paging import Page, Paging
from oms.fulfilment.tracking import queries, service
from oms.fulfilment.tracking.schemas import UnmatchedPushOut
from oms.http.deps import CurrentPrincipal, Db, requires
from oms.http.problems import ProblemResponse, problem_response, problems

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/tracking", tags=["tracking"])


@router.get("/unmatched", dependencies=[requires("orders:read")])
def read_unmatched(principal: CurrentPrincipal, db: Db, page: Paging) -> Page[UnmatchedPushOut]:
    """Pushes for parcels no shipment is recorded under, newest first (kept, not refused)."""
    return queries.unmatched_pushes(db, principal.tenant_id, page=page)


@router.post(
    "/{protocol}/{tenant}",
    responses=problems(400, 401, 404, 409)
    | {200: {"description": "accepted (also a duplicate), in the carrier's own reply format"}},
)
async def post_push(protocol: str, tenant: str, request: Request, db: Db) -> JSONResponse:
    """A carrier's push (unauthenticated: its signature or URL token is the proof).

    Answered in the carrier's format; a refusal is problem+json whose members also carry the
    carrier's failure fields (``result``/``returnCode``, ``return_code``, ``success``).
    """
    answer = await run_in_threadpool(
        service.receive_push,
        db,
        protocol=protocol,
        tenant_id=tenant,
        headers=dict(request.headers),
        body=await request.body(),
        query=dict(request.query_params),
        truncated=getattr(request.state, "body_truncated", False),
    )
    if answer.error is None:
        return JSONResponse(answer.body, status_code=answer.status)
    problem = problem_response(answer.error, trace=getattr(request.state, "trace", None))
    body: dict[str, Any] = json.loads(bytes(problem.body))
    return ProblemResponse(body | answer.body, status_code=answer.status)
