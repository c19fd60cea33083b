"""Discovery in the workspace: supervisors start, list, stop and pause crawls; the item page says "N URLs
found, M matched" and lists the matched pages with their reasons, never a page without a match."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.models import AuditEvent, CrawlRecord, DiscoveryJob
from tests.conftest import AXE_JS, axe_violations
from tests.workspace.conftest import seed_url
from tests.workspace.test_ws_browser import _login


def test_a_supervisor_starts_a_crawl_from_an_item_and_sees_it_listed(app, client_for) -> None:  # type: ignore[no-untyped-def]
    app.settings.discovery_enabled = True
    seeded = seed_url(app, known=True)
    sue, ana = client_for("sue"), client_for("ana")
    item = f"/workspace/items/{seeded.url_id}"
    assert "Not crawled from." in ana.get(item).text
    assert f"{item}/discover" not in ana.get(item).text
    assert ana.post(f"{item}/discover", {"depth": "1"}).status_code == 403
    assert ana.get("/workspace/discovery").status_code == 403

    assert f"{item}/discover" in sue.get(item).text
    refused = sue.post(f"{item}/discover", {"depth": "99"})  # one clear line, nothing queued
    assert refused.status_code == 409 and "the depth must be a whole number from 0 to 10" in refused.text
    sue.get(item)
    started = sue.post(f"{item}/discover", {"depth": "1", "pages": "5"})
    assert started.status_code == 303
    with app.db.sessions() as session:
        [job] = session.scalars(select(DiscoveryJob)).all()
        assert (job.max_depth, job.max_pages, job.requested_by, job.state) == (1, 5, "sue", "queued")
        assert session.scalar(select(AuditEvent.actor).where(AuditEvent.action == "discovery.start")) == "sue"
    listing = sue.get("/workspace/discovery").text
    assert "gallery-ro.example-synth.ro/album/1" in listing and "manual (sue)" in listing

    sue.get("/workspace/discovery")
    assert sue.post(f"/workspace/discovery/{job.id}/cancel").status_code == 303
    sue.get("/workspace/discovery")
    assert sue.post("/workspace/discovery/pause", {"paused": "yes"}).status_code == 303
    page = sue.get("/workspace/discovery").text
    assert "Discovery is paused" in page and "stopped by sue" in page


def test_the_item_page_counts_what_a_crawl_found_and_shows_only_the_matched_pages(app, client_for) -> None:  # type: ignore[no-untyped-def]
    app.settings.discovery_enabled = True
    seeded = seed_url(app, known=True)
    found = seed_url(app, "http://gallery-ro.example-synth.ro/album/2")
    with app.db.session() as session:
        job = DiscoveryJob(reported_url_id=seeded.url_id, origin_report_id=1, seed_url="http://x/", domain="x",
                           trigger="rule:member-country-hotline", requested_by="system", state="done",
                           stop_reason="every page within reach was fetched", pages=2, matched=1)
        session.add(job)
        session.flush()
        session.add_all([
            CrawlRecord(job_id=job.id, url="http://gallery-ro.example-synth.ro/album/2", depth=1, outcome="ok",
                        status=200, matched=True, reported_url_id=found.url_id,
                        reasons=["http://gallery-ro.example-synth.ro/k.png: on trusted list verified (pdq, distance 4)"]),
            CrawlRecord(job_id=job.id, url="http://gallery-ro.example-synth.ro/unknown-page", depth=1, outcome="ok",
                        status=200, matched=False),
        ])
    page = client_for("ana").get(f"/workspace/items/{seeded.url_id}").text
    assert "2 URLs found, 1 matched" in page
    assert f'href="/workspace/items/{found.url_id}"' in page and "on trusted list verified (pdq, distance 4)" in page
    assert "unknown-page" not in page


@pytest.mark.skipif(not AXE_JS.exists(), reason="axe-core is not installed: run `make browser`")
def test_the_discovery_page_and_the_item_section_have_no_serious_accessibility_problems(  # type: ignore[no-untyped-def]
    app, live_server, browser
) -> None:
    app.settings.discovery_enabled = True
    seeded = seed_url(app, known=True)
    base = live_server(app)
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        _login(page, base, "sue")
        for path in ("/workspace/discovery", f"/workspace/items/{seeded.url_id}"):
            page.goto(base + path)
            violations = axe_violations(page)
            assert violations == [], (path, violations)
    finally:
        context.close()


def test_a_discovery_report_names_the_report_it_was_found_from(app, client_for) -> None:  # type: ignore[no-untyped-def]
    from hotline.models import Report, ReportSource

    seed_url(app, known=True)
    with app.db.session() as session:
        origin = session.scalars(select(Report)).one()
        session.add(Report(reference="HL-2026-DISC-0001", source=ReportSource.DISCOVERY, origin_report_id=origin.id))
        origin_reference = origin.reference
    page = client_for("ana").get("/workspace/reports/HL-2026-DISC-0001").text
    assert "Found by a discovery crawl" in page
    assert f'href="/workspace/reports/{origin_reference}"' in page
