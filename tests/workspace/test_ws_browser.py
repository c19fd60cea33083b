"""The workspace in a real headless Chromium: log in, work the queue, reveal, assess and approve.

The main walk runs with JavaScript switched off: everything an analyst does is a plain form.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.models import Forward, ReportSource
from tests.conftest import AXE_JS, axe_violations
from tests.workspace.conftest import PASSWORD, seed_url

pytestmark = pytest.mark.timeout(120)


def _login(page, base: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/workspace/queue")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url(f"{base}/workspace/queue")


def _preview_is_colour(page, media_id: int) -> bool:  # type: ignore[no-untyped-def]
    # Read the served preview's pixels through Playwright's own request (no page script needed).
    import io

    from PIL import Image

    src = page.get_attribute(f"#media-{media_id} img.preview", "src")
    body = page.request.get(page.url.split("/workspace")[0] + src).body()
    return Image.open(io.BytesIO(body)).mode == "RGB"


def test_an_analyst_works_an_item_from_queue_to_forward(app, live_server, browser, artifacts_dir: Path) -> None:
    # given a queue with a partner report, a public report and an item with a known-list match
    normal = seed_url(app, "http://gallery-ro.example-synth.ro/album/1", country="NL")
    seed_url(app, "http://forum.example-synth.ro/t/9", source=ReportSource.PARTNER, country="DE")
    known = seed_url(app, "http://img.example-synth.ro/k", known=True, country="US")
    base = live_server(app)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        # when the analyst logs in, the queue lists the waiting items, most urgent first
        _login(page, base, "ana")
        rows = page.locator("table.queue tbody tr")
        assert rows.count() == 3
        assert "img.example-synth.ro" in rows.nth(0).inner_text()
        page.screenshot(path=str(artifacts_dir / "workspace-queue.png"), full_page=True)

        # she claims the NL item and lands on its page
        rows.filter(has_text="gallery-ro.example-synth.ro").locator("button:has-text('Claim')").click()
        page.wait_for_url(f"{base}/workspace/items/{normal.url_id}")
        assert page.locator("text=You are working on this item.").is_visible()
        assert page.locator(".proposals-short").inner_text().count("hotline-nl-offlimits") == 1
        page.click("summary:has-text('Capture and hosting')")  # the details an analyst rarely needs, folded
        assert page.locator("table.hops").inner_text().count("5.2.130.1") == 2
        # the preview is blurred greyscale until she reveals it
        assert not _preview_is_colour(page, normal.image_id)
        page.screenshot(path=str(artifacts_dir / "workspace-item.png"), full_page=True)
        page.click(f"#media-{normal.image_id} button:has-text('Reveal')")
        page.wait_for_url(f"{base}/workspace/items/{normal.url_id}?view=*")
        assert _preview_is_colour(page, normal.image_id)
        page.screenshot(path=str(artifacts_dir / "workspace-item-revealed.png"), full_page=True)

        # she assesses it and approves the forwards in one go
        page.check("input[name=legal][value=baseline]")
        page.select_option("#f-content_type", "image")
        page.select_option("#f-age_group", "pre-pubescent")
        page.select_option("#f-gender", "unknown")
        page.fill("#f-notes", "synthetic test item")
        page.click("button:has-text('Save and approve forwards')")
        page.wait_for_url(f"{base}/workspace/items/{normal.url_id}?view=*")  # what she revealed stays revealed
        forwards = page.locator("table.forwards").inner_text()
        assert "queued" in forwards and "partner-api" in forwards
        # the heading says what happened: approved, nothing delivered yet (the outbox has not sent it)
        assert page.locator("#item-status").inner_text() == "approved, forwards not delivered yet"
        page.screenshot(path=str(artifacts_dir / "workspace-item-forwarded.png"), full_page=True)

        # then the item left the queue, and the known-list item shows no image at all
        page.goto(f"{base}/workspace/queue")
        assert page.locator("table.queue tbody tr").count() == 2
        page.goto(f"{base}/workspace/items/{known.url_id}")
        assert page.locator(f"#media-{known.known_id}").count() == 0
        assert page.locator("text=matched a known list with a verdict").is_visible()
    finally:
        context.close()
    with app.db.sessions() as session:
        assert session.scalars(select(Forward).where(Forward.reported_url_id == normal.url_id)).all()


@pytest.mark.skipif(not AXE_JS.exists(), reason="axe-core is not installed: run `make browser`")
def test_queue_and_item_pages_have_no_serious_accessibility_problems(app, live_server, browser) -> None:
    seeded = seed_url(app)
    base = live_server(app)
    # axe is injected by the test, so the page's own CSP (no inline scripts) is bypassed for it only
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        _login(page, base, "ana")
        for path in ("/workspace/queue", f"/workspace/items/{seeded.url_id}", "/workspace/login"):
            page.goto(base + path)
            violations = axe_violations(page)
            assert violations == [], (path, violations)
    finally:
        context.close()
