"""Statistics a hotline publishes for a period (the shape of Safernet.ro's and INHOPE's annual figures).

    compute(session, from_, to, progress=None) -> Stats
    render_table(stats, console) / render_csv(stats) / render_json(stats) / render_html(stats) -> str
"""

from __future__ import annotations

from hotline.stats.compute import compute
from hotline.stats.model import Stats

__all__ = ["Stats", "compute"]
