"""BI feeds over HTTP: ``GET /api/v1/exports/{dataset}`` streams one dataset as CSV or Parquet."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from oms.core.instants import Instant
from oms.http.deps import AppSettings, CurrentPrincipal, Db, requires
from oms.intelligence.exports.service import feed_read, stream_export

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/exports", tags=["exports"])
_MEDIA = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}
WATERMARK_HEADER = "OMS-Next-Updated-Since"


@router.get(
    "/{dataset}",
    dependencies=[requires("exports:read")],
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "the dataset's rows changed since `updated_since`, as one file",
            "content": {
                media.split(";")[0]: {"schema": {"type": "string"}} for media in _MEDIA.values()
            },
        }
    },
)
def export_dataset(
    dataset: str,
    principal: CurrentPrincipal,
    db: Db,
    settings: AppSettings,
    format: Annotated[str, Query(max_length=16, description="csv or parquet")] = "parquet",
    updated_since: Annotated[
        Instant | None,
        Query(description=f"rows changed from here on; pass the last answer's {WATERMARK_HEADER}"),
    ] = None,
) -> StreamingResponse:
    """A dataset's rows changed since ``updated_since`` (every row without it), as one file.

    Datasets: orders, order_lines, payments, refunds, shipments. The answer's
    ``OMS-Next-Updated-Since`` header is the instant to send as ``updated_since`` next time;
    rows are read from a little before it (late commits), so a few repeat: keep the newest copy
    per key.
    """
    read = feed_read(db, principal.tenant_id, dataset, updated_since)
    overlap = timedelta(seconds=settings.sync_overlap_seconds)
    body = stream_export(db, read, format, overlap=overlap)
    filename = f"{dataset}-{read.until.strftime('%Y%m%dT%H%M%SZ')}.{format}"
    return StreamingResponse(
        body,
        media_type=_MEDIA[format],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            WATERMARK_HEADER: read.until.isoformat(),
            "Cache-Control": "no-store",
        },
    )
