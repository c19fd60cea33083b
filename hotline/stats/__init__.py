"""Statistics a hotline publishes for a period (the shape of Safernet.ro's and INHOPE's annual figures).

    compute(session, from_, to, progress=None) -> Stats
    render_table(stats, console); render_csv(stats) / render_json(stats) / render_html(stats) -> str
"""

from __future__ import annotations

from hotline.stats.compute import compute
from hotline.stats.html import render_html
from hotline.stats.model import Stats
from hotline.stats.render import render_csv, render_json, render_table, rows

__all__ = ["Stats", "compute", "render_csv", "render_html", "render_json", "render_table", "rows"]
