"""Stats as one self-contained HTML page: tables plus matplotlib charts embedded as base64 PNG.

No scripts and no external assets, so it can be mailed, archived, or served under a strict CSP
(`img-src data:`; inline styles only).
"""

from __future__ import annotations

import base64
import io
from html import escape
from itertools import groupby

from hotline.stats.model import Stats
from hotline.stats.render import format_percent, format_value, rows

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b;max-width:70rem}
h1{font-size:1.5rem} h2{font-size:1.1rem;margin-top:1.5rem}
table{border-collapse:collapse;min-width:28rem} td{padding:.2rem .8rem;border-bottom:1px solid #ddd}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:1rem} figure{margin:0} figcaption{font-size:.9rem;color:#444}
.headline{display:flex;gap:2rem;flex-wrap:wrap} .headline div{font-size:1.6rem;font-weight:600}
.headline span{display:block;font-size:.85rem;font-weight:400;color:#444}
"""


def render_html(stats: Stats, title: str = "Hotline statistics", preamble: str = "") -> str:
    """The whole page as a string (the workspace serves it; `hotline stats --format html` writes it).

    `preamble` is trusted HTML placed first in the body (the workspace's period form and back link).
    """
    period = f"{stats.period_from:%Y-%m-%d} to {stats.period_to:%Y-%m-%d} (exclusive)"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        preamble,
        f"<h1>{escape(title)}</h1><p>{escape(period)}</p>",
        _headline(stats),
        '<div class="charts">',
        *_charts(stats),
        "</div>",
        *_tables(stats),
        "</body></html>",
    ]
    return "\n".join(parts)


def _headline(stats: Stats) -> str:
    figures = [
        (format_value(stats.reports_received.current), "reports received"),
        (format_percent(stats.reports_not_valid.percent) or "-", "of reports were not valid"),
        (format_value(stats.valid.current), "valid (illegal) URLs"),
        (_hours(stats.removal_from_report.median_hours), "median time to removal from report"),
        (format_percent(stats.removed_within_3_days.percent) or "-", "removed within 3 days"),
        (format_percent(stats.police_within_3_days.percent) or "-", "sent to police within 3 days"),
    ]
    cells = "".join(f"<div>{escape(value)}<span>{escape(label)}</span></div>" for value, label in figures)
    return f'<div class="headline">{cells}</div>'


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} h"


def _tables(stats: Stats) -> list[str]:
    out = []
    for section, group in groupby(rows(stats), key=lambda row: row.section):
        body = "".join(
            f"<tr><td>{escape(row.key)}</td><td class=n>{escape(format_value(row.value))}</td>"
            f"<td class=n>{escape(format_percent(row.percent))}</td></tr>"
            for row in group
        )
        out.append(f"<h2>{escape(section)}</h2><table>{body}</table>")
    return out


def _charts(stats: Stats) -> list[str]:
    charts: list[tuple[str, list[tuple[str, float]], str]] = [
        ("Reports by source", [(s.key, s.count) for s in stats.reports_by_source], "reports"),
        ("Reports not valid, by reason", [(s.key, s.count) for s in stats.reports_closed], "reports"),
        ("Hosting countries of valid URLs", [(s.key, s.count) for s in stats.hosting_countries[:10]], "URLs"),
        ("URLs forwarded, by destination", [(s.key, s.count) for s in stats.destinations], "URLs"),
        ("Median hours to removal, by destination",
         [(d.group, d.median_hours or 0.0) for d in stats.removal_by_destination], "hours"),
    ]
    return [_figure(title, data, unit) for title, data, unit in charts if any(v for _, v in data)]


def _figure(title: str, data: list[tuple[str, float]], unit: str) -> str:
    png = bar_chart_png(title, data, unit)
    encoded = base64.b64encode(png).decode("ascii")
    return (f'<figure><img alt="{escape(title)}" width="480" height="260" '
            f'src="data:image/png;base64,{encoded}"><figcaption>{escape(title)}</figcaption></figure>')


def bar_chart_png(title: str, data: list[tuple[str, float]], unit: str) -> bytes:
    """A horizontal bar chart as PNG, drawn with matplotlib's Agg canvas (no pyplot, no display)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(4.8, 2.6), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    labels = [label for label, _ in data][::-1]
    values = [value for _, value in data][::-1]
    axes.barh(labels, values, color="#3b6ea5")
    axes.set_title(title, fontsize=10)
    axes.set_xlabel(unit, fontsize=8)
    axes.tick_params(labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    if all(float(value).is_integer() for value in values):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 0.5 ticks
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
