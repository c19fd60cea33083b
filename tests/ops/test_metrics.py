"""/metrics: who may read it, and figures that match the database on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from hotline.config import SettingsError, load_settings
from hotline.models import MAX_STAGE_ATTEMPTS, Capture, Forward, ReportedUrl, UrlState, utcnow

from .metrics_support import value

TOKEN = "0123456789abcdef-metrics"


def _metrics(base: str, token: str | None = TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{base}/metrics", headers=headers, timeout=30)


def test_without_a_token_the_web_listener_does_not_serve_metrics(make_hotline, live_server) -> None:  # type: ignore[no-untyped-def]
    base = live_server(make_hotline())

    assert _metrics(base, token=None).status_code == 404
    assert _metrics(base, token="anything-at-all-long-enough").status_code == 404


def test_with_a_token_only_the_bearer_of_it_reads_metrics(make_hotline, live_server) -> None:  # type: ignore[no-untyped-def]
    base = live_server(make_hotline(metrics_token=TOKEN))

    missing = _metrics(base, token=None)
    wrong = _metrics(base, token=TOKEN[:-1] + "X")
    right = _metrics(base)

    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    assert wrong.status_code == 401
    assert right.status_code == 200
    assert right.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert value(right.text, "hotline_database_up") == 1


def test_prometheus_asking_for_openmetrics_gets_it(make_hotline, live_server) -> None:  # type: ignore[no-untyped-def]
    base = live_server(make_hotline(metrics_token=TOKEN))

    answer = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}",
                                                   "Accept": "application/openmetrics-text; version=1.0.0"})

    assert answer.headers["content-type"].startswith("application/openmetrics-text")
    assert answer.text.rstrip().endswith("# EOF")


@pytest.mark.parametrize("token", ["short", "fifteen-chars-x"])
def test_a_short_token_is_refused_with_one_line(token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_METRICS_TOKEN", token)

    with pytest.raises(SettingsError) as caught:
        load_settings()

    assert str(caught.value).startswith("setting HOTLINE_METRICS_TOKEN is invalid: it must be at least 16")
    assert token not in str(caught.value) and "\n" not in str(caught.value)


def _seed(app) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    with app.db.session() as session:
        def url(n: int, state: UrlState, **fields) -> ReportedUrl:  # type: ignore[no-untyped-def]
            row = ReportedUrl(url=f"http://site-{n}.example-synth.ro/p", host=f"site-{n}.example-synth.ro",
                              state=state, **fields)
            session.add(row)
            session.flush()
            return row

        new = [url(n, UrlState.NEW) for n in range(2)]
        url(2, UrlState.NEW, stage_attempts=MAX_STAGE_ATTEMPTS)  # stopped: waits for a person
        url(3, UrlState.TRIAGED)
        url(4, UrlState.TRIAGED)
        forwarded = url(5, UrlState.FORWARDED, first_forwarded_at=now - timedelta(hours=1))
        url(6, UrlState.REMOVED, first_forwarded_at=now - timedelta(hours=10), removed_at=now - timedelta(hours=8))
        url(7, UrlState.REMOVED, first_forwarded_at=now - timedelta(days=5), removed_at=now - timedelta(days=1))
        for purpose, outcome in [("report", "ok"), ("report", "ok"), ("report", "failed"), ("monitor", "ok")]:
            session.add(Capture(reported_url_id=new[0].id, purpose=purpose, outcome=outcome))

        def forward(n: int, kind: str, channel: str, state: str, created: timedelta, due: timedelta) -> None:
            session.add(Forward(reported_url_id=forwarded.id, destination=f"{kind}-{n}", destination_kind=kind,
                                channel=channel, idempotency_key=f"key-{n}", state=state,
                                created_at=now - created, next_attempt_at=now - due))

        forward(1, "police", "email", "delivered", timedelta(days=2), timedelta(days=2))
        forward(2, "hotline", "partner-api", "queued", timedelta(hours=2), timedelta(minutes=10))
        forward(3, "hotline", "partner-api", "queued", timedelta(minutes=30), -timedelta(minutes=5))
        forward(4, "hotline", "partner-api", "held", timedelta(hours=5), timedelta(hours=5))  # a person's turn


def test_the_figures_from_the_database_match_what_was_stored(make_hotline, database_url, live_server) -> None:  # type: ignore[no-untyped-def]
    app = make_hotline(database_url=database_url, metrics_token=TOKEN)
    _seed(app)
    base = live_server(app)

    text = _metrics(base).text

    def v(name: str, **labels: str) -> float | None:
        return value(text, name, **labels)

    assert v("hotline_database_up") == 1
    assert {state: v("hotline_urls", state=state) for state in ("new", "triaged", "forwarded", "removed", "closed")} \
        == {"new": 3, "triaged": 2, "forwarded": 1, "removed": 2, "closed": 0}
    assert v("hotline_urls_stopped", state="new") == 1 and v("hotline_urls_stopped", state="captured") == 0
    assert v("hotline_captures", purpose="report", outcome="ok") == 2
    assert v("hotline_captures", purpose="report", outcome="failed") == 1
    assert v("hotline_captures", purpose="monitor", outcome="ok") == 1
    assert v("hotline_forwards", destination_kind="police", channel="email", state="delivered") == 1
    assert v("hotline_forwards", destination_kind="hotline", channel="partner-api", state="queued") == 2
    assert v("hotline_forwards", destination_kind="hotline", channel="partner-api", state="held") == 1
    # The held forward (5 h) waits for a person, not for delivery: the oldest waiting one is 2 h old.
    assert 7200 - 60 <= (v("hotline_outbox_oldest_seconds") or 0) <= 7200 + 60
    assert 600 - 60 <= (v("hotline_outbox_overdue_seconds") or 0) <= 600 + 60
    # Removed 2 h and 4 days after the first forward.
    assert v("hotline_time_to_removal_seconds_bucket", le="3600.0") == 0
    assert v("hotline_time_to_removal_seconds_bucket", le="21600.0") == 1
    assert v("hotline_time_to_removal_seconds_bucket", le="259200.0") == 1
    assert v("hotline_time_to_removal_seconds_bucket", le="604800.0") == 2
    assert v("hotline_time_to_removal_seconds_bucket", le="+Inf") == 2
    assert v("hotline_time_to_removal_seconds_count") == 2
    assert abs((v("hotline_time_to_removal_seconds_sum") or 0) - (2 * 3600 + 4 * 86400)) < 60


def test_a_database_that_stops_answering_shows_as_down(make_hotline, live_server) -> None:  # type: ignore[no-untyped-def]
    app = make_hotline(metrics_token=TOKEN)
    app.db.engine.dispose()
    app.settings.data_dir.joinpath("hotline.sqlite3").unlink()
    app.settings.data_dir.joinpath("hotline.sqlite3").mkdir()  # SQLite cannot open a directory
    base = live_server(app)

    text = _metrics(base).text

    assert value(text, "hotline_database_up") == 0
    assert value(text, "hotline_urls", state="new") is None  # left out, not reported as zero


def test_stage_runs_and_requests_are_counted(make_hotline, live_server) -> None:  # type: ignore[no-untyped-def]
    from hotline.executors.embedded import run_stage_once
    from hotline.executors.registry import STAGE_BY_NAME

    app = make_hotline(metrics_token=TOKEN)
    with app.db.session() as session:
        session.add(ReportedUrl(url="http://a.example-synth.ro/", host="a.example-synth.ro", state=UrlState.LOCATED))
    base = live_server(app)
    before = _metrics(base).text

    taken = run_stage_once(app, STAGE_BY_NAME["triage"])
    assert httpx.get(f"{base}/report").status_code == 200
    after = _metrics(base).text

    def grew(name: str, **labels: str) -> float:
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

    assert taken == 1
    assert grew("hotline_stage_urls_total", stage="triage") == 1
    assert grew("hotline_stage_seconds_count", stage="triage") == 1
    assert grew("hotline_http_requests_total", area="public", status="200") == 1
    assert grew("hotline_http_request_seconds_count", area="public") == 1
