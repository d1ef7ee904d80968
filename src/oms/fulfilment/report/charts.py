"""The report's charts as data (what the console's ECharts draw) and as PNG (matplotlib, for
the PDF): one spec, two renderers, so the page and the PDF show the same charts."""

from __future__ import annotations

import io
from dataclasses import dataclass

from oms.fulfilment.report.figures import OUTBOUND_BUCKETS, MonthFigures, Rate
from oms.fulfilment.report.service import FulfilmentReport

__all__ = ["CHART_TITLES", "MAX_OUTLETS", "Chart", "Series", "bucket_label", "charts", "png"]

#: Outlets shown in the outlet chart: the highest stall rates.
MAX_OUTLETS = 10
#: Each chart's title in Chinese and English (the console translates the English one).
CHART_TITLES = {
    "outbound": ("出库时长 (小时)", "Outbound time (hours)"),
    "outbound_distribution": ("出库时长分布 (包裹数)", "Outbound time distribution (parcels)"),
    "stall_by_carrier": ("各快递停滞率 (%)", "Stall rate by carrier (%)"),
    "stall_by_outlet": ("各网点停滞率 (%)", "Stall rate by outlet (%)"),
    "exceptions_by_cause": ("异常原因 (工单数)", "Exceptions by cause (tickets)"),
}


@dataclass(frozen=True, slots=True)
class Series:
    """``name``: ``this_month``, ``last_month`` or ``benchmark``."""

    name: str
    values: list[float | None]


@dataclass(frozen=True, slots=True)
class Chart:
    key: str
    categories: list[str]
    series: list[Series]


def bucket_label(index: int) -> str:
    """The outbound bucket's label: ``≤1h``, ``≤2h`` … ``>48h``."""
    if index < len(OUTBOUND_BUCKETS):
        return f"≤{OUTBOUND_BUCKETS[index]:g}h"
    return f">{OUTBOUND_BUCKETS[-1]:g}h"


def _percent(rates: list[Rate], keys: list[str]) -> list[float | None]:
    by_key = {r.key: r.rate for r in rates}
    return [round(by_key[k] * 100, 2) if k in by_key else None for k in keys]


def charts(report: FulfilmentReport) -> list[Chart]:
    """The five charts of the report, this month against last month where both exist."""
    now, before = report.current, report.previous
    return [
        Chart(
            "outbound",
            ["median", "p90"],
            [
                Series("this_month", _hours(now)),
                Series("last_month", _hours(before)),
                Series("benchmark", [report.targets.outbound_hours] * 2),
            ],
        ),
        Chart(
            "outbound_distribution",
            [bucket_label(i) for i in range(len(OUTBOUND_BUCKETS) + 1)],
            [
                Series("this_month", [float(b.parcels) for b in now.outbound.distribution]),
                Series("last_month", [float(b.parcels) for b in before.outbound.distribution]),
            ],
        ),
        _rate_chart("stall_by_carrier", now.stall_by_carrier, before.stall_by_carrier, None),
        _rate_chart("stall_by_outlet", now.stall_by_outlet, before.stall_by_outlet, MAX_OUTLETS),
        _cause_chart(now, before),
    ]


def _hours(figures: MonthFigures) -> list[float | None]:
    values = (figures.outbound.median_hours, figures.outbound.p90_hours)
    return [round(v, 2) if v is not None else None for v in values]


def _rate_chart(key: str, now: list[Rate], before: list[Rate], limit: int | None) -> Chart:
    keys = [r.key for r in now][:limit] if limit else [r.key for r in now]
    return Chart(
        key,
        keys,
        [Series("this_month", _percent(now, keys)), Series("last_month", _percent(before, keys))],
    )


def _cause_chart(now: MonthFigures, before: MonthFigures) -> Chart:
    keys = list(dict.fromkeys([c.cause for c in now.exceptions_by_cause]))
    old = {c.cause: float(c.tickets) for c in before.exceptions_by_cause}
    this = {c.cause: float(c.tickets) for c in now.exceptions_by_cause}
    return Chart(
        "exceptions_by_cause",
        keys,
        [
            Series("this_month", [this[k] for k in keys]),
            Series("last_month", [old.get(k) for k in keys]),
        ],
    )


_SERIES_NAMES = {"this_month": "本月 This month", "last_month": "上月 Last month"}
_SERIES_NAMES["benchmark"] = "基准 Benchmark"
_COLOURS = {"this_month": "#5470c6", "last_month": "#91cc75", "benchmark": "#ee6666"}


def png(chart: Chart, font_path: str, *, labels: dict[str, str] | None = None) -> bytes:
    """The chart drawn by matplotlib (Agg) as PNG, labels in the CJK font at ``font_path``."""
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    font = FontProperties(fname=font_path, size=9)
    figure = Figure(figsize=(7.0, 2.8), dpi=150)
    axes = figure.subplots()
    names = [(labels or {}).get(c, c) for c in chart.categories] or ["—"]
    width = 0.8 / max(len(chart.series), 1)
    for index, series in enumerate(chart.series):
        colour, label = _COLOURS[series.name], _SERIES_NAMES[series.name]
        if series.name == "benchmark":
            axes.axhline(series.values[0] or 0.0, color=colour, linestyle="--", label=label)
            continue
        values = [v if v is not None else 0.0 for v in series.values] or [0.0]
        offsets = [i + (index - (len(chart.series) - 1) / 2) * width for i in range(len(names))]
        axes.bar(offsets, values, width, label=label, color=colour)
    axes.set_xticks(range(len(names)), names, fontproperties=font)
    title = " · ".join(CHART_TITLES[chart.key])
    axes.set_title(title, fontproperties=FontProperties(fname=font_path, size=10))
    axes.legend(prop=font, loc="upper right")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
