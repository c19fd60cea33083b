"""An operator takes a phone report through the workspace in a real headless Chromium (JavaScript off:
every step is a plain form), then closes an invalid one; the new pages pass axe."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.models import Report, ReportSource, UrlState, User
from tests.conftest import AXE_JS, axe_violations
from tests.workspace.conftest import PASSWORD

pytestmark = pytest.mark.timeout(120)


def _login(page, base: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/workspace/queue")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url(f"{base}/workspace/queue")


def test_an_operator_records_a_phone_report_in_the_workspace(app, live_server, browser, artifacts_dir: Path) -> None:
    base = live_server(app)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        # given an operator logged in to the workspace
        _login(page, base, "ana")
        # when a helpline passes on a call, she opens "New report" from the menu and takes it down
        page.click("nav >> text=New report")
        page.wait_for_url(f"{base}/workspace/reports/new")
        assert page.locator("input[name=phone], input[name=number], input[name=caller]").count() == 0
        page.select_option("#f-source", "phone")
        page.fill("#f-via", "ALO 116")
        page.select_option("#f-category", "csam")
        page.fill("#f-urls", "hxxp://gallery-ro[.]example-synth.ro/album/3\nforum.example-synth.ro/t/12")
        page.fill("#f-description", "A mother called: her son was sent these links in a game chat.")
        page.screenshot(path=str(artifacts_dir / "workspace-new-report.png"), full_page=True)
        page.click("button:has-text('Record the report')")
        # then she lands on the report's page: reference, how it came, who took it, both addresses
        page.wait_for_url(f"{base}/workspace/reports/HL-*")
        reference = page.url.rsplit("/", 1)[1]
        assert page.locator("h1").inner_text().startswith(f"Report {reference}")
        facts = page.locator("dl.facts").inner_text()
        assert "Phone call through ALO 116" in facts and "ana" in facts
        urls = page.locator("table.report-urls").inner_text()
        assert "http://gallery-ro.example-synth.ro/album/3" in urls and "http://forum.example-synth.ro/t/12" in urls
        page.screenshot(path=str(artifacts_dir / "workspace-report.png"), full_page=True)
        # and each address has its own item page, which links back to the report
        page.click("table.report-urls >> text=http://forum.example-synth.ro/t/12")
        page.wait_for_url(f"{base}/workspace/items/*")
        assert page.locator(f"dl.facts a:has-text('{reference}')").count() == 1

        # when a second call names nothing to look at, it is recorded and closed as no-url at once
        page.click("nav >> text=New report")
        page.select_option("#f-source", "helpline")
        page.fill("#f-description", "Caller asked how to block someone; no link.")
        page.click("button:has-text('Record the report')")
        page.wait_for_url(f"{base}/workspace/reports/HL-*")
        assert "closed: no-url" in page.locator("h1").inner_text()
    finally:
        context.close()
    with app.db.sessions() as session:
        report = session.scalar(select(Report).where(Report.reference == reference))
        assert report is not None and report.source == ReportSource.PHONE and report.via == "ALO 116"
        recorder = session.get(User, report.recorded_by_id)
        assert recorder is not None and recorder.name == "ana"
        assert [link.reported_url.state for link in report.urls] == [UrlState.NEW, UrlState.NEW]


def test_an_analyst_closes_a_report_as_out_of_scope_from_its_page(app, live_server, browser) -> None:
    from hotline.pipeline.intake import submit_report

    with app.db.session() as session:
        result = submit_report(session, ["http://shop.example-synth.ro/phone-offer"], description="a scam shop")
        reference = result.report.reference
        result.urls[0].state = UrlState.TRIAGED
    base = live_server(app)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        _login(page, base, "bob")
        assert page.locator("table.queue tbody tr").count() == 1
        page.goto(f"{base}/workspace/reports/{reference}")
        page.check("input[name=reason][value=out-of-scope]")
        page.fill("#close-note", "fraud, for the police's cybercrime unit")
        page.click("button:has-text('Close the report')")
        page.wait_for_url(f"{base}/workspace/reports/{reference}")
        assert "closed: out-of-scope" in page.locator("h1").inner_text()
        page.goto(f"{base}/workspace/queue")
        assert page.locator("text=Nothing waiting.").is_visible()
    finally:
        context.close()


@pytest.mark.skipif(not AXE_JS.exists(), reason="axe-core is not installed: run `make browser`")
def test_the_new_pages_have_no_serious_accessibility_problems(app, live_server, browser) -> None:
    from hotline.pipeline.intake import submit_report

    with app.db.session() as session:
        result = submit_report(session, ["http://10.0.0.9/"], description="private")
        result.urls[0].advance(UrlState.REFUSED, "private address")
        reference = result.report.reference
    base = live_server(app)
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        _login(page, base, "ana")
        for path in ("/workspace/reports/new", f"/workspace/reports/{reference}", "/workspace/attention"):
            page.goto(base + path)
            violations = axe_violations(page)
            assert violations == [], (path, violations)
    finally:
        context.close()
