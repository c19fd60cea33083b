"""From an analyst's approval to the partner's intake: the assessment service writes the outbox rows in
its transaction and the worker delivers them; and `hotline serve`'s background loop runs the outbox."""

from __future__ import annotations

import time

from outbox_support import add_partner, forwards, outbox_options, seed_url
from sqlalchemy import select

from hotline.auth import create_user
from hotline.executors.embedded import BackgroundWorker
from hotline.models import ReportedUrl, UrlState
from hotline.outbox import forward_until_idle
from hotline.triage.assessment import assess

BASELINE = {"legal": "baseline", "content_type": "image", "age_group": "pre-pubescent", "gender": "unknown"}


def _approve(app, url_id: int) -> None:  # type: ignore[no-untyped-def]
    with app.db.session() as session:
        user = create_user(session, "ana", "analyst", "correct horse battery staple")
        assess(app, session, url_id, user, BASELINE, approve=True)


def test_an_approved_url_is_forwarded_to_the_partner_hotline_of_the_hosting_country(hotline_db,
                                                                                   partner_endpoint) -> None:
    # given a URL hosted in the Netherlands, triaged, and the Dutch hotline's intake on loopback
    app = hotline_db
    add_partner(app, partner_endpoint.url)
    url_id = seed_url(app, 1, country="NL", state=UrlState.TRIAGED)
    # when an analyst assesses it as baseline and approves, and the outbox runs
    _approve(app, url_id)
    forward_until_idle(app, options=outbox_options())
    # then the partner received it once and the forward is delivered
    partner = [f for f in forwards(app) if f.destination_kind == "hotline"]
    assert [f.state for f in partner] == ["delivered"]
    assert list(partner_endpoint.stored) == [partner[0].idempotency_key]


def test_the_background_loop_runs_the_outbox(make_hotline, partner_endpoint) -> None:
    # given an approved forward and `hotline serve`'s background worker
    app = make_hotline(forward_rate_per_second=100.0)
    add_partner(app, partner_endpoint.url)
    url_id = seed_url(app, 1, country="NL", state=UrlState.TRIAGED)
    _approve(app, url_id)
    worker = BackgroundWorker(app, idle_seconds=0.05)
    # when it runs
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while not partner_endpoint.stored and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        worker.stop()
        worker.join(10)
    # then the forward was delivered without anyone running `hotline forward`
    assert len(partner_endpoint.stored) == 1
    with app.db.sessions() as session:
        assert session.scalar(select(ReportedUrl.state).where(ReportedUrl.id == url_id)) is UrlState.FORWARDED
