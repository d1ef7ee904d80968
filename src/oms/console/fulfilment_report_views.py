"""Console monthly fulfilment health report (``/console/fulfilment/report?month=``): the
figures with last month's and the change, ECharts charts (vendored, drawn from the same chart
specs as the PDF's), stall and exception tables, improvement items, a month picker and the PDF.

``standalone_html`` renders the same body as one self-contained file for ``oms reports
fulfilment --format html`` (ECharts inlined, no console around it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from oms.config import Settings
from oms.console import i18n
from oms.console.deps import Db
from oms.console.render import render
from oms.console.session import permitted
from oms.fulfilment.report.charts import charts
from oms.fulfilment.report.pdf import format_value, report_pdf, target_text
from oms.fulfilment.report.service import (
    FulfilmentReport,
    Improvement,
    fulfilment_report,
    report_targets,
)
from oms.users.schemas import SessionUser

__all__ = ["chart_options", "router", "standalone_html"]

router = APIRouter(prefix="/console", include_in_schema=False)
FulfilmentReader = Annotated[SessionUser, Depends(permitted("fulfilment:read"))]
Month = Annotated[str | None, Query(max_length=32)]
_STATIC = Path(__file__).resolve().parent / "static"


def chart_options(report: FulfilmentReport, gettext: Callable[[str], str]) -> dict[str, Any]:
    """Chart key → what the page's script hands ECharts: title, categories, series."""
    out: dict[str, Any] = {}
    names = i18n.REPORT_SERIES_LABELS
    causes = i18n.TRACKING_SUB_STATUS_LABELS
    for chart in charts(report):
        if chart.key == "exceptions_by_cause":
            categories = [gettext(causes[c]) if c in causes else c for c in chart.categories]
        else:
            categories = [gettext(names[c]) if c in names else c for c in chart.categories]
        series = [
            {
                "name": gettext(names[s.name]),
                "type": "line" if s.name == "benchmark" else "bar",
                "data": s.values,
            }
            for s in chart.series
        ]
        title = gettext(i18n.REPORT_CHART_LABELS[chart.key])
        out[chart.key] = {"title": title, "categories": categories, "series": series}
    return out


def _improvement(item: Improvement, gettext: Callable[[str], str]) -> Markup:
    figure = escape(gettext(i18n.REPORT_FIGURE_LABELS[item.key]))
    if item.subject:
        # The subject is data (a carrier code, an outlet): not for translation.
        figure = Markup('{} <span translate="no">{}</span>').format(figure, item.subject)
    text = gettext("%(figure)s %(value)s → target %(target)s, %(days)s days left in the month")
    return escape(text) % {
        "figure": figure,
        "value": format_value(item.value, item.unit),
        "target": format_value(item.target, item.unit),
        "days": item.days_left,
    }


def _context(report: FulfilmentReport, locale: str) -> dict[str, Any]:
    gettext = i18n.translations(locale).gettext
    return {
        "report": report,
        "charts_json": json.dumps(chart_options(report, gettext), ensure_ascii=False),
        "improvement_texts": [_improvement(i, gettext) for i in report.improvements],
        "fmt": format_value,
        "target_text": lambda key: target_text(key, report.targets),
        "REPORT_FIGURE_LABELS": i18n.REPORT_FIGURE_LABELS,
        "REPORT_CHART_LABELS": i18n.REPORT_CHART_LABELS,
        "last_day": report.period_end.date().fromordinal(report.period_end.toordinal() - 1),
    }


def standalone_html(report: FulfilmentReport, locale: str = i18n.DEFAULT_LOCALE) -> str:
    """The report as one HTML file: the console page's body, ECharts and its script inlined."""
    language = locale if locale in i18n.LOCALES else i18n.DEFAULT_LOCALE
    scripts = [
        (_STATIC / "vendor" / "echarts" / "echarts.min.js").read_text(encoding="utf-8"),
        (_STATIC / "fulfilment_report.js").read_text(encoding="utf-8"),
    ]
    template = i18n.environment(language).get_template("fulfilment_report_file.html")
    return template.render(
        locale=language,
        scripts=scripts,
        TRACKING_SUB_STATUS_LABELS=i18n.TRACKING_SUB_STATUS_LABELS,
        **_context(report, language),
    )


def _this_month(settings: Settings, user: SessionUser, now: datetime) -> str:
    zone = ZoneInfo(user.timezone or settings.default_timezone)
    return now.astimezone(zone).strftime("%Y-%m")


@router.get("/fulfilment/report", response_class=HTMLResponse)
def fulfilment_report_page(
    request: Request, db: Db, user: FulfilmentReader, month: Month = None
) -> HTMLResponse:
    """The month's report (this month when none is asked); a bad month is named (422)."""
    settings: Settings = request.app.state.settings
    chosen = (month or "").strip() or _this_month(settings, user, db.clock.now())
    report = fulfilment_report(db, user.tenant_id, chosen, targets=report_targets(settings))
    language = user.locale if user.locale in i18n.LOCALES else i18n.DEFAULT_LOCALE
    return render(
        request,
        "fulfilment_report.html",
        user=user,
        active="fulfilment",
        **_context(report, language),
    )


@router.get("/fulfilment/report.pdf")
def fulfilment_report_download(
    request: Request, db: Db, user: FulfilmentReader, month: Month = None
) -> Response:
    """The same month's report as PDF, as a download."""
    settings: Settings = request.app.state.settings
    chosen = (month or "").strip() or _this_month(settings, user, db.clock.now())
    report = fulfilment_report(db, user.tenant_id, chosen, targets=report_targets(settings))
    filename = f"fulfilment-report-{report.month}.pdf"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(report_pdf(report), media_type="application/pdf", headers=headers)
