"""The analyst's day in Chromium at 1366x768: one analyst assesses a three-image item with the keyboard
and hands it off; another approves it. Log-ins use one-time codes (scripted), every action is counted,
screenshots are saved to test-artifacts/, and axe-core finds no violation on any workspace page.

An action is a click or a key press that changes what the page shows or saves."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from hotline.auth import find_user
from hotline.auth.totp import store_totp_secret
from hotline.models import AuditEvent, Forward, ReportedUrl, UrlState
from hotline.triage.assessment import set_four_eyes
from tests.conftest import AXE_JS, axe_violations
from tests.workspace.conftest import PASSWORD, seed_url
from tests.workspace.test_ws_item_page import add_images

pytestmark = [pytest.mark.timeout(180),
              pytest.mark.skipif(not AXE_JS.exists(), reason="axe-core is not installed: run `make browser`")]
VIEWPORT = {"width": 1366, "height": 768}


@dataclass
class Actions:
    """Counts what a person does: each key press and each click."""

    page: object
    done: list[str] = field(default_factory=list)

    def press(self, key: str) -> None:
        self.done.append(f"key {key}")
        self.page.keyboard.press(key)  # type: ignore[attr-defined]

    def click(self, selector: str) -> None:
        self.done.append(f"click {selector}")
        self.page.click(selector)  # type: ignore[attr-defined]


def _enrol(app, name: str) -> str:  # type: ignore[no-untyped-def]
    secret = pyotp.random_base32()
    with app.db.session() as session:
        store_totp_secret(session, find_user(session, name), secret, "test")
    return secret


def _login(page, base: str, name: str, secret: str) -> None:  # type: ignore[no-untyped-def]
    """The log-in, scripted: name, password and the current one-time code."""
    page.goto(f"{base}/workspace/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("button:has-text('Log in')")
    page.wait_for_url(f"{base}/workspace/queue")


def _axe(page, where: str) -> None:  # type: ignore[no-untyped-def]
    violations = axe_violations(page, impacts=None)  # any impact, not only serious ones
    assert violations == [], (where, violations)


def _in_view(page, selector: str) -> bool:  # type: ignore[no-untyped-def]
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"] and \
        box["x"] + box["width"] <= VIEWPORT["width"]


def test_a_three_image_item_is_assessed_by_one_analyst_and_approved_by_another(
        app, live_server, browser, artifacts_dir: Path) -> None:
    # given a three-image item reported as CSAM and an older, lower-ranked one; four-eyes on baseline
    item = seed_url(app, "http://gallery-ro.example-synth.ro/album/7", country="NL")
    second, third = add_images(app, item)
    images = [item.image_id, second, third]
    later = seed_url(app, "http://forum.example-synth.ro/t/3", category="other", country="DE")
    with app.db.session() as session:
        set_four_eyes(session, find_user(session, "sue"), ["baseline"], "analyst")
        # ana opens items with previews revealed (her choice on the account page; each reveal is recorded)
        find_user(session, "ana").preferences = {"language": "en", "reveal_on_open": True}
    secrets = {name: _enrol(app, name) for name in ("ana", "bob")}
    base = live_server(app)

    # -- the first analyst ----------------------------------------------------------------------
    context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)  # bypass only so axe can be injected
    page = context.new_page()
    ana = Actions(page)
    try:
        _login(page, base, "ana", secrets["ana"])
        _axe(page, "queue")
        page.screenshot(path=str(artifacts_dir / "day-1-queue.png"))
        ana.click("button:has-text('Take the next item')")
        page.wait_for_url(f"{base}/workspace/items/{item.url_id}?view=*")
        started = len(ana.done)
        # the whole working set fits the screen: every image, the verdict and the save button
        for media_id in images:
            assert _in_view(page, f'img[data-media="{media_id}"]'), media_id
            assert "blurred" not in (page.get_attribute(f'img[data-media="{media_id}"]', "class") or "")
        page.screenshot(path=str(artifacts_dir / "day-2-item.png"))
        assert _in_view(page, "#assess-form button[data-key=s]") and _in_view(page, "#f-legal")
        assert page.locator("details.shortcuts dl.keys").count() == 1  # the keys are listed on the page
        _axe(page, "item")
        page.screenshot(path=str(artifacts_dir / "day-2-item.png"))
        # she classifies it with the keyboard: baseline, pre-pubescent, female; save, approve and next
        ana.press("1")
        ana.press("p")
        ana.press("f")
        page.screenshot(path=str(artifacts_dir / "day-3-item-typed.png"))
        ana.press("s")
        page.wait_for_url(f"{base}/workspace/items/{later.url_id}*")
        per_item = ana.done[started:]
        assert len(per_item) <= 4, per_item
        page.screenshot(path=str(artifacts_dir / "day-4-next-item.png"))
        for path in ("/workspace/approvals", "/workspace/account", "/workspace/attention", "/workspace/reports/new",
                     "/workspace/reports/HL-2026-TEST-0001", "/workspace/queue?q=HL-2026-TEST-0001"):
            page.goto(base + path)
            _axe(page, path)
    finally:
        context.close()
    with app.db.sessions() as session:
        row = session.get(ReportedUrl, item.url_id)
        assert row.state == UrlState.ASSESSED and row.claimed_by_id is None  # handed off, released
        latest = row.assessments[-1]
        assert (latest.legal, latest.age_group, latest.gender) == ("baseline", "pre-pubescent", "female")
        assert session.scalars(select(Forward)).all() == []
        reveals = session.scalars(select(AuditEvent.subject_id).where(AuditEvent.action == "media.reveal")).all()
        assert set(map(str, images)) <= set(reveals)

    # -- the second analyst ---------------------------------------------------------------------
    context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)
    page = context.new_page()
    bob = Actions(page)
    try:
        _login(page, base, "bob", secrets["bob"])
        assert page.locator("header .count").inner_text() == "1"
        bob.click("a:has-text('Awaiting my approval')")
        page.wait_for_url(f"{base}/workspace/approvals")
        _axe(page, "approvals")
        page.screenshot(path=str(artifacts_dir / "day-5-approvals.png"))
        bob.click(f"a[href='/workspace/items/{item.url_id}']")
        page.wait_for_url(f"{base}/workspace/items/{item.url_id}")
        assert page.locator("#item-status").inner_text() == "assessed, awaiting approval by a second person"
        verdict = page.locator("dl.verdict").inner_text()
        assert "Illegal internationally (INTERPOL baseline) · Pre-pubescent · Female" in verdict
        assert page.locator("p.item-verdict").count() == 3  # what the assessor said of each image
        # he reveals all three without the page reloading, then approves with the keyboard
        bob.press("r")
        for media_id in images:
            page.wait_for_function(f"!document.querySelector('img[data-media=\"{media_id}\"]').classList.contains('blurred')")
        assert page.url == f"{base}/workspace/items/{item.url_id}"  # no reload
        page.screenshot(path=str(artifacts_dir / "day-6-approver-revealed.png"))
        bob.press("v")
        page.wait_for_url(f"{base}/workspace/items/{item.url_id}")
        page.wait_for_selector("#item-status:has-text('approved')")
        assert page.locator("#item-status").inner_text() == "approved, forwards not delivered yet"
        assert len(bob.done) <= 4, bob.done
        _axe(page, "item after approval")
        page.screenshot(path=str(artifacts_dir / "day-7-approved.png"))
        page.goto(f"{base}/workspace/login")
        _axe(page, "login")
    finally:
        context.close()
    with app.db.sessions() as session:
        row = session.get(ReportedUrl, item.url_id)
        assert row.state == UrlState.FORWARDED and row.forwards
        assert {a.confirmed_by_id for a in row.assessments} == {find_user(session, "bob").id}


def test_a_half_typed_assessment_survives_a_lapsed_session(app, live_server, browser) -> None:
    from hotline.auth import sessions as login_sessions

    item = seed_url(app, "http://gallery-ro.example-synth.ro/album/8")
    base = live_server(app)
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        page.goto(f"{base}/workspace/login")
        page.fill("#name", "ana")
        page.fill("#password", PASSWORD)
        page.click("button:has-text('Log in')")
        page.wait_for_url(f"{base}/workspace/queue")
        page.goto(f"{base}/workspace/items/{item.url_id}")
        # she types half an assessment
        page.keyboard.press("1")
        page.select_option("#f-age_group", "pubescent")
        page.fill("#f-notes", "two faces, one watermark")
        # the session ends while she reads (idle too long, or "log out everywhere" elsewhere)
        with app.db.session() as session:
            assert login_sessions.revoke_all(session, find_user(session, "ana"), "test") == 1
        # her save sends her to log in; after it she is back on the item with what she typed
        page.click("#assess-form button:has-text('Save only')")
        page.wait_for_url(f"{base}/workspace/login?next=/workspace/items/{item.url_id}")
        page.fill("#name", "ana")
        page.fill("#password", PASSWORD)
        page.click("button:has-text('Log in')")
        page.wait_for_url(f"{base}/workspace/items/{item.url_id}")
        assert page.locator(".draft-note").is_visible()
        assert page.is_checked("input[name=legal][value=baseline]")
        assert page.input_value("#f-age_group") == "pubescent"
        assert page.input_value("#f-notes") == "two faces, one watermark"
        # once saved, the draft is gone
        page.select_option("#f-gender", "unknown")
        page.click("#assess-form button:has-text('Save only')")
        page.wait_for_url(f"{base}/workspace/items/{item.url_id}?view=*")
        assert not page.locator(".draft-note").is_visible()
        assert page.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('hotline-draft:')).length") == 0
    finally:
        context.close()
    with app.db.sessions() as session:
        latest = session.get(ReportedUrl, item.url_id).assessments[-1]
        assert (latest.legal, latest.age_group, latest.notes) == ("baseline", "pubescent", "two faces, one watermark")


def test_supervisor_and_admin_pages_have_no_accessibility_violations(app, live_server, browser) -> None:
    item = seed_url(app)
    base = live_server(app)
    for name, paths in (("sue", ["/workspace/settings", "/workspace/stats", f"/workspace/items/{item.url_id}",
                                 f"/workspace/media/{item.page_id}/text"]),
                        ("adam", ["/workspace/users", "/workspace/audit", "/workspace/audit?verify=true"])):
        context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)
        page = context.new_page()
        try:
            page.goto(f"{base}/workspace/login")
            page.fill("#name", name)
            page.fill("#password", PASSWORD)
            page.click("button:has-text('Log in')")
            page.wait_for_url(f"{base}/workspace/queue")
            for path in paths:
                page.goto(base + path)
                _axe(page, path)
            if name == "sue":
                # a page that says no, and the item page answering a form with mistakes
                page.goto(f"{base}/workspace/items/999999")
                _axe(page, "not found")
                page.goto(f"{base}/workspace/items/{item.url_id}")
                page.check("input[name=legal][value=baseline]")
                page.click("#assess-form button:has-text('Save only')")
                page.wait_for_selector("#form-error")
                _axe(page, "item with mistakes")
        finally:
            context.close()
