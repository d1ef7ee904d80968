"""The monthly report as PDF (fpdf2, Noto Sans CJK SC as the packing slips use), bilingual
labels, the same charts as the console page drawn by matplotlib.

Pages: 1 the figures with the trend and the improvement items; 2 outbound time; 3 stalls by
carrier and outlet; 4 exceptions by cause.
"""

from __future__ import annotations

import io
from datetime import timedelta

from fpdf import FPDF

from oms.fulfilment.documents import FONT_PATHS, document
from oms.fulfilment.report.charts import Chart, charts, png
from oms.fulfilment.report.figures import Rate, Targets
from oms.fulfilment.report.service import FulfilmentReport, Improvement, TrendRow

__all__ = ["FIGURE_NAMES", "format_value", "improvement_text", "report_pdf", "target_text"]

#: The headline figures' names, Chinese and English.
FIGURE_NAMES = {
    "parcels": "发货包裹 Parcels shipped",
    "outbound_median": "出库时长中位数 Outbound median",
    "outbound_p90": "出库时长 P90 Outbound p90",
    "on_time_rate": "准时送达率 On-time delivery",
    "stall_rate": "停滞率 Stall rate",
    "stall_rate_carrier": "停滞率 Stall rate",
    "exception_rate": "异常率 Exception rate",
}


def format_value(value: float | None, unit: str, *, signed: bool = False) -> str:
    """``3.1 h``, ``96.0 %``, ``120``; ``—`` when there is no figure."""
    if value is None:
        return "—"
    sign = "+" if signed else ""
    if unit == "h":
        return f"{value:{sign}.1f} h"
    if unit == "ratio":
        return f"{value * 100:{sign}.1f} %"
    return f"{value:{sign}.0f}"


def improvement_text(item: Improvement) -> str:
    """``出库时长 P90 Outbound p90 3.1 h → 目标 target 2.3 h · 剩余 27 天 days left``."""
    name = FIGURE_NAMES[item.key] + (f" {item.subject}" if item.subject else "")
    value, target = format_value(item.value, item.unit), format_value(item.target, item.unit)
    return f"{name} {value} → 目标 target {target} · 剩余 {item.days_left} 天 days left"


def report_pdf(report: FulfilmentReport) -> bytes:
    """The report as PDF. Raises: ERR_DOCUMENT_FONT_MISSING."""
    pdf = document()
    font = str(next(p for p in FONT_PATHS if p.exists()))
    drawn = {chart.key: chart for chart in charts(report)}
    _summary_page(pdf, report)
    _page(pdf, "出库时长 Outbound time", report)
    for key in ("outbound", "outbound_distribution"):
        _chart(pdf, drawn[key], font)
    _page(pdf, "停滞 Stalls", report)
    _chart(pdf, drawn["stall_by_carrier"], font)
    _rates(pdf, "快递 Carrier", report.current.stall_by_carrier)
    _chart(pdf, drawn["stall_by_outlet"], font)
    _rates(pdf, "网点 Outlet", report.current.stall_by_outlet)
    _page(pdf, "异常原因 Exceptions by cause", report)
    _chart(pdf, drawn["exceptions_by_cause"], font)
    _row(pdf, ["原因 Cause", "工单 Tickets"], (120, 50))
    for cause in report.current.exceptions_by_cause:
        _row(pdf, [cause.cause, str(cause.tickets)], (120, 50))
    return bytes(pdf.output())


def _page(pdf: FPDF, title: str, report: FulfilmentReport) -> None:
    pdf.add_page()
    pdf.set_font_size(14)
    pdf.cell(0, 9, text=f"{title} · {report.month}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font_size(10)


def _summary_page(pdf: FPDF, report: FulfilmentReport) -> None:
    pdf.add_page()
    pdf.set_font_size(16)
    pdf.cell(0, 10, text=f"履约健康月报 Fulfilment health report · {report.month}")
    pdf.ln(10)
    pdf.set_font_size(10)
    start = report.period_start.strftime("%Y-%m-%d")
    end = (report.period_end - timedelta(days=1)).strftime("%Y-%m-%d")
    generated = report.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    pdf.multi_cell(
        0,
        6,
        text=f"期间 Period: {start} ~ {end} ({report.timezone}) · 生成 Generated: {generated}\n"
        f"承诺时效 Promise: {report.promise_hours} h · 出库基准 Outbound benchmark: "
        f"≤ {report.targets.outbound_hours:g} h",
    )
    pdf.ln(2)
    widths = (62, 32, 32, 32, 32)
    _row(pdf, ["指标 Figure", "本月 This month", "上月 Last month", "变化 Change", "目标 Target"])
    for row in report.trend:
        _row(pdf, _trend_cells(row, report), widths)
    pdf.ln(4)
    pdf.set_font_size(12)
    pdf.cell(0, 8, text="改进事项 Improvement items", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font_size(10)
    items = [improvement_text(i) for i in report.improvements] or ["全部达标 Every target met"]
    for text in items:
        pdf.multi_cell(0, 6, text=f"• {text}", new_x="LMARGIN", new_y="NEXT")


def target_text(key: str, targets: Targets) -> str:
    """A headline figure's target: ``≤ 2.3 h``, ``≥ 95 %``; empty for one without."""
    return {
        "outbound_median": f"≤ {targets.outbound_hours:g} h",
        "outbound_p90": f"≤ {targets.outbound_hours:g} h",
        "on_time_rate": f"≥ {targets.on_time_rate * 100:g} %",
        "stall_rate": f"≤ {targets.stall_rate * 100:g} %",
        "exception_rate": f"≤ {targets.exception_rate * 100:g} %",
    }.get(key, "")


def _trend_cells(row: TrendRow, report: FulfilmentReport) -> list[str]:
    return [
        FIGURE_NAMES[row.key],
        format_value(row.value, row.unit),
        format_value(row.previous, row.unit),
        format_value(row.delta, row.unit, signed=True),
        target_text(row.key, report.targets),
    ]


def _chart(pdf: FPDF, chart: Chart, font: str) -> None:
    pdf.image(io.BytesIO(png(chart, font)), w=180)
    pdf.ln(2)


def _rates(pdf: FPDF, heading: str, rates: list[Rate]) -> None:
    widths = (90, 30, 30, 30)
    _row(pdf, [heading, "停滞 Stalled", "包裹 Parcels", "停滞率 Rate"], widths)
    for rate in rates:
        cells = [rate.key, str(rate.stalled), str(rate.parcels), format_value(rate.rate, "ratio")]
        _row(pdf, cells, widths)
    pdf.ln(2)


def _row(pdf: FPDF, cells: list[str], widths: tuple[int, ...] = (62, 32, 32, 32, 32)) -> None:
    for text, width in zip(cells, widths, strict=True):
        pdf.cell(width, 7, text=text[:60], border=1)
    pdf.ln()
