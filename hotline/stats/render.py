"""Stats as a terminal table (rich), CSV and JSON. All read the same flat rows, so they always agree."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby

from rich.console import Console
from rich.table import Table

from hotline.stats.model import Durations, Growth, Ratio, Share, Stats

CSV_COLUMNS = ("section", "key", "value", "percent")


@dataclass(frozen=True)
class Row:
    section: str
    key: str
    value: str | int | float | None
    percent: float | None = None


def rows(stats: Stats) -> Iterator[Row]:
    """Every figure as (section, key, value, percent), in reading order."""
    yield Row("period", "from", stats.period_from.date().isoformat())
    yield Row("period", "to (exclusive)", stats.period_to.date().isoformat())
    yield Row("period", "previous period from", stats.previous_from.date().isoformat())
    yield from _growth("reports", "received", stats.reports_received)
    yield from _shares("reports by source", stats.reports_by_source)
    yield from _ratio("reports", "valid (illegal content found)", stats.reports_valid)
    yield from _ratio("reports", "not valid", stats.reports_not_valid)
    yield from _shares("reports not valid by reason", stats.reports_closed)
    yield from _shares("categories claimed by reporters", stats.categories_claimed)
    yield from _growth("URLs", "reported", stats.urls_reported)
    yield Row("URLs", "assessed", stats.urls_assessed)
    yield from _growth("URLs", "valid (illegal)", stats.valid)
    yield Row("URLs", "not illegal", stats.not_illegal)
    yield from _shares("classifications (of URLs assessed)", stats.classifications)
    yield from _shares("hosting countries (of valid URLs)", stats.hosting_countries)
    yield Row("destinations (of URLs forwarded)", "URLs forwarded", stats.urls_forwarded)
    yield from _shares("destinations (of URLs forwarded)", stats.destinations)
    yield Row("time to removal", "URLs removed", stats.urls_removed)
    yield from _durations("time to removal", "from report", stats.removal_from_report)
    yield from _durations("time to removal", "from first forward", stats.removal_from_forward)
    for entry in stats.removal_by_destination:
        yield Row("time to removal by destination", f"{entry.group}: removed", entry.removed)
        yield Row("time to removal by destination", f"{entry.group}: median hours", entry.median_hours)
    yield from _ratio("within 3 days (of valid URLs)", "removed", stats.removed_within_3_days)
    yield from _ratio("within 3 days (of valid URLs)", "sent to police", stats.police_within_3_days)
    yield Row("repeats", "repeat URLs", stats.repeat_urls)
    yield Row("repeats", "repeat hosts", stats.repeat_hosts)
    for repeat in stats.top_repeat_urls:
        yield Row("top repeat URLs (reports)", repeat.key, repeat.count)
    for repeat in stats.top_repeat_hosts:
        yield Row("top repeat hosts (valid URLs)", repeat.key, repeat.count)
    found = stats.discovered
    yield Row("discovered by crawls (not in the figures above)", "URLs discovered", found.urls)
    yield Row("discovered by crawls (not in the figures above)", "valid (illegal)", found.valid)
    yield Row("discovered by crawls (not in the figures above)", "URLs forwarded", found.forwarded)
    yield Row("discovered by crawls (not in the figures above)", "URLs removed", found.removed)
    yield from _durations("discovered by crawls (not in the figures above)", "removal from discovery",
                          found.removal_from_discovery)
    yield from _durations("discovered by crawls (not in the figures above)", "removal from first forward",
                          found.removal_from_forward)


def _growth(section: str, key: str, growth: Growth) -> Iterator[Row]:
    yield Row(section, key, growth.current)
    yield Row(section, f"{key}, previous period", growth.previous)
    yield Row(section, f"{key}, growth", None, growth.percent)


def _shares(section: str, shares: list[Share]) -> Iterator[Row]:
    for share in shares:
        yield Row(section, share.key, share.count, share.percent)


def _durations(section: str, key: str, durations: Durations) -> Iterator[Row]:
    yield Row(section, f"{key}: median hours", durations.median_hours)
    yield Row(section, f"{key}: 90th percentile hours", durations.p90_hours)


def _ratio(section: str, key: str, ratio: Ratio) -> Iterator[Row]:
    yield Row(section, key, ratio.count, ratio.percent)


def render_json(stats: Stats) -> str:
    return json.dumps(stats.to_dict(), indent=2, ensure_ascii=False)


def render_csv(stats: Stats) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows(stats):
        writer.writerow([row.section, row.key, _blank(row.value), _blank(row.percent)])
    return out.getvalue()


def render_table(stats: Stats, console: Console) -> None:
    for section, group in groupby(rows(stats), key=lambda row: row.section):
        table = Table(title=section, title_justify="left", show_header=False, min_width=60)
        table.add_column("figure")
        table.add_column("value", justify="right")
        table.add_column("%", justify="right")
        for row in group:
            table.add_row(row.key, format_value(row.value), format_percent(row.percent))
        console.print(table)


def format_value(value: str | float | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return value


def format_percent(percent: float | None) -> str:
    return "" if percent is None else f"{percent:.1f}%"


def _blank(value: object) -> object:
    return "" if value is None else value
