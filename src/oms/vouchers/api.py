"""Vouchers over HTTP: chain verification and exports for the accounting system."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from oms.http.deps import CurrentPrincipal, Db, requires
from oms.vouchers import queries
from oms.vouchers.schemas import VerifyReport

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/vouchers", tags=["vouchers"])
_MEDIA = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


@router.get("/verify", dependencies=[requires("vouchers:read")])
def verify(principal: CurrentPrincipal, db: Db) -> VerifyReport:
    """Check the tenant's chain; ``first_bad_seq`` names the first altered or missing voucher."""
    return queries.verify_chain(db, principal.tenant_id)


@router.get(
    "",
    dependencies=[requires("vouchers:read")],
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "the vouchers, one per line",
            "content": {
                media.split(";")[0]: {"schema": {"type": "string"}} for media in _MEDIA.values()
            },
        }
    },
)
def export(
    principal: CurrentPrincipal,
    db: Db,
    format: Annotated[str, Query(max_length=16)] = "jsonl",
) -> StreamingResponse:
    """All vouchers in sequence order, as JSON lines or CSV."""
    lines = queries.export_vouchers(db, principal.tenant_id, format)
    filename = f"vouchers-{principal.tenant_id}.{format}"
    return StreamingResponse(
        lines,
        media_type=_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
