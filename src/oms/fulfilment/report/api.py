"""The monthly fulfilment health report over HTTP: JSON, or the PDF with ``format=pdf``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from oms.fulfilment.report.pdf import report_pdf
from oms.fulfilment.report.service import FulfilmentReport, fulfilment_report, report_targets
from oms.http.deps import AppSettings, CurrentPrincipal, Db, requires
from oms.http.problems import problems

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["fulfilment"])


@router.get(
    "/reports/fulfilment",
    dependencies=[requires("fulfilment:read")],
    response_model=FulfilmentReport,
    responses=problems(404, 422, 503) | {200: {"content": {"application/pdf": {}}}},
)
def read_fulfilment_report(
    principal: CurrentPrincipal,
    db: Db,
    settings: AppSettings,
    month: Annotated[str, Query(max_length=32, description="YYYY-MM in the tenant's zone")],
    format: Annotated[Literal["json", "pdf"], Query()] = "json",
    benchmark_hours: Annotated[float | None, Query(description="outbound benchmark")] = None,
) -> FulfilmentReport | Response:
    """The month's fulfilment health: figures, last month's, trend, improvement items.

    Raises ERR_REPORT_MONTH_INVALID (422), ERR_DOCUMENT_FONT_MISSING (503, PDF only).
    """
    targets = report_targets(settings, outbound_hours=benchmark_hours)
    report = fulfilment_report(db, principal.tenant_id, month, targets=targets)
    if format == "pdf":
        filename = f"fulfilment-report-{report.month}.pdf"
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
        return Response(report_pdf(report), media_type="application/pdf", headers=headers)
    return report
