"""The form in real headless Chromium, in both languages, with the keyboard only, checked by axe-core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from hotline.models import Report
from hotline.web import create_app

# The same file tests/conftest.py names (installed by `make browser`).
AXE_JS = Path(__file__).resolve().parents[2] / ".venv" / "node" / "node_modules" / "axe-core" / "axe.min.js"
RULESETS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
TEXT = {
    "en": {"error": "There is a problem", "done": "Thank you. We received your report.", "step": "Received"},
    "ro": {"error": "Există o problemă", "done": "Vă mulțumim. Am primit raportarea dumneavoastră.",
           "step": "Primită"},
}


def axe_violations(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                 targets: v.nodes.map(n => n.target.join(' '))}));
        }""",
        RULESETS,
    )


def assert_accessible(page: Any, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    violations = axe_violations(page)
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{name}: {serious}"


def tab_to(page: Any, element_id: str, limit: int = 40) -> None:
    """Press Tab until the element with this id has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} cannot be reached with the Tab key")


@pytest.fixture
def shots(artifacts_dir: Path) -> Path:
    path = artifacts_dir / "public-form"
    path.mkdir(exist_ok=True)
    return path


@pytest.mark.parametrize("lang", ["en", "ro"])
def test_a_keyboard_user_reports_corrects_an_error_and_checks_progress(
    lang: str, browser, make_hotline, serve, shots: Path
) -> None:
    hotline = make_hotline()
    base = serve(create_app(hotline))
    context = browser.new_context(bypass_csp=True, locale="en-US" if lang == "en" else "ro-RO")
    page = context.new_page()
    try:
        # given the form in the reporter's language
        page.goto(f"{base}/{lang}/report")
        assert page.get_attribute("html", "lang") == lang
        assert_accessible(page, shots, f"{lang}-1-form")

        # when they fill it in with the keyboard only, with one bad address and no consent
        tab_to(page, "urls")
        page.keyboard.type("https://gallery.example-synth.ro/p/1")
        page.keyboard.press("Enter")
        page.keyboard.type("htp:/broken")
        tab_to(page, "category-0")
        page.keyboard.press("Space")
        tab_to(page, "description")
        page.keyboard.type("Link găsit într-un grup de chat")
        page.keyboard.press("Enter")  # submits nothing: Enter in a textarea is a new line
        tab_to(page, "contact")
        page.keyboard.press("Enter")  # Enter in a text field submits the form, as browsers do

        # then the errors are listed, linked and tied to their fields; the good address is kept
        page.wait_for_selector(".error-summary")
        assert TEXT[lang]["error"] in page.inner_text(".error-summary")
        assert page.input_value("#urls") == "https://gallery.example-synth.ro/p/1"
        assert "urls-error" in page.get_attribute("#urls", "aria-describedby")
        assert page.get_attribute("#consent", "aria-invalid") == "true"
        assert page.is_checked("#category-0")
        assert_accessible(page, shots, f"{lang}-2-errors")

        # when they tick the consent box and send again
        tab_to(page, "consent")
        page.keyboard.press("Space")
        page.keyboard.press("Tab")  # the hidden honeypot field is skipped: next comes the button
        assert page.evaluate("document.activeElement.type") == "submit"
        page.keyboard.press("Enter")

        # then they see the reference and the secret
        page.wait_for_selector("#reference")
        assert TEXT[lang]["done"] in page.inner_text("h1")
        reference, secret = page.inner_text("#reference"), page.inner_text("#secret")
        assert_accessible(page, shots, f"{lang}-3-done")

        # and the status page shows coarse progress
        page.goto(f"{base}/{lang}/report/status")
        tab_to(page, "reference")
        page.keyboard.type(reference)
        tab_to(page, "secret")
        page.keyboard.type(secret)
        page.keyboard.press("Enter")
        page.wait_for_selector(".progress-list")
        assert TEXT[lang]["step"] in page.inner_text(".progress-list")
        assert_accessible(page, shots, f"{lang}-4-status")
    finally:
        context.close()
    with hotline.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 1


def test_the_form_works_with_javascript_turned_off(browser, make_hotline, serve, shots: Path) -> None:
    hotline = make_hotline()
    base = serve(create_app(hotline))
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{base}/report")
        page.fill("#urls", "example-synth.ro/no-js")
        page.check("#category-3")
        page.check("#consent")
        page.click("button[type=submit]")
        page.wait_for_selector("#reference")
        page.screenshot(path=str(shots / "no-js-done.png"), full_page=True)
    finally:
        context.close()
    with hotline.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 1


@pytest.mark.parametrize("lang", ["en", "ro"])
def test_the_rate_limit_page_is_accessible(lang: str, browser, make_hotline, serve, shots: Path) -> None:
    from hotline.web.public.ratelimit import RateLimiter, RateLimits

    web = create_app(make_hotline())
    web.state.public_limiter = RateLimiter(RateLimits(per_client=0, global_limit=10, window_seconds=600))
    base = serve(web)
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(f"{base}/{lang}/report")
        page.fill("#urls", "example-synth.ro/x")
        page.click("button[type=submit]")
        page.wait_for_selector("text=112")
        assert page.get_attribute("html", "lang") == lang
        assert_accessible(page, shots, f"{lang}-5-rate-limited")
    finally:
        context.close()
