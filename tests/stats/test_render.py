"""The renderers and the `hotline stats` command, on the seeded dataset (SQLite)."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from hotline.stats import compute, render_csv, render_html, render_json, render_table
from hotline.stats.model import Repeat

from .conftest import FROM, TO, seed


@pytest.fixture
def seeded(make_hotline):  # type: ignore[no-untyped-def]
    app = make_hotline()
    with app.db.session() as session:
        seed(session)
    return app


@pytest.fixture
def stats(seeded):  # type: ignore[no-untyped-def]
    with seeded.db.sessions() as session:
        return compute(session, FROM, TO)


def test_csv_has_one_row_per_figure(stats) -> None:
    table = list(csv.reader(io.StringIO(render_csv(stats))))
    assert table[0] == ["section", "key", "value", "percent"]
    found = {(section, key): (value, percent) for section, key, value, percent in table[1:]}
    assert found[("reports", "received, growth")] == ("", "150.0")
    assert found[("reports by source", "public")] == ("5", "50.0")
    assert found[("hosting countries (of valid URLs)", "NL")] == ("3", "50.0")
    assert found[("destinations (of URLs forwarded)", "police")] == ("3", "42.86")
    assert found[("time to removal", "from report: 90th percentile hours")] == ("268.8", "")
    assert found[("within 3 days (of valid URLs)", "sent to police")] == ("2", "33.33")
    assert found[("top repeat hosts (valid URLs)", "repeat.example-synth.nl")] == ("3", "")


def test_json_carries_every_figure(stats) -> None:
    data = json.loads(render_json(stats))
    assert data == json.loads(json.dumps(stats.to_dict()))
    assert data["period_from"] == "2026-01-01T00:00:00+00:00"
    assert data["removal_from_forward"] == {"count": 5, "median_hours": 47.0, "p90_hours": 249.6}
    assert data["removed_within_3_days"] == {"count": 3, "base": 6, "percent": 50.0}


def test_table_shows_each_section(stats) -> None:
    out = io.StringIO()
    render_table(stats, Console(file=out, width=120, color_system=None))
    text = out.getvalue()
    for section in ("reports by source", "reports not valid by reason", "hosting countries",
                    "time to removal by destination", "repeats"):
        assert section in text
    assert "50.0%" in text and "268.8" in text


def test_html_is_self_contained_with_png_charts_and_escapes_text(stats) -> None:
    hostile = replace(stats, top_repeat_urls=[Repeat("http://x.example-synth.ro/<script>alert(1)</script>", 2)])
    page = render_html(hostile)
    assert page.startswith("<!doctype html>")
    assert "<script" not in page, "no scripts, and reported text is escaped"
    assert "&lt;script&gt;" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "no external assets"
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 5  # sources, reasons not valid, countries, destinations, removal
    assert "20.0%<span>of reports were not valid</span>" in page
    assert all(base64.b64decode(image).startswith(b"\x89PNG\r\n\x1a\n") for image in images)


def test_the_cli_writes_each_format(seeded, tmp_path: Path) -> None:
    from cli import app as cli_app

    runner = CliRunner()
    env = {"HOTLINE_DATA_DIR": str(seeded.settings.data_dir)}
    period = ["--from", "2026-01-01", "--to", "2026-01-31"]  # --to is the last day, included

    as_json = runner.invoke(cli_app, ["stats", *period, "--format", "json"], env=env)
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["reports_received"] == {"current": 10, "previous": 4, "percent": 150.0}

    out = tmp_path / "stats.html"
    as_html = runner.invoke(cli_app, ["stats", *period, "--format", "html", "--out", str(out)], env=env)
    assert as_html.exit_code == 0, as_html.output
    assert out.read_text().startswith("<!doctype html>")

    as_table = runner.invoke(cli_app, ["stats", *period], env=env)
    assert as_table.exit_code == 0 and "reports by source" in as_table.stdout

    bad = runner.invoke(cli_app, ["stats", "--from", "2026-13-01"], env=env)
    assert bad.exit_code == 2 and "--from must be a date like" in bad.output
    backwards = runner.invoke(cli_app, ["stats", "--from", "2026-02-01", "--to", "2026-01-01"], env=env)
    assert backwards.exit_code == 2 and "is before --from" in backwards.output
