"""The item page offers to capture again (another referrer, User-Agent or language, or in a browser), says
plainly when a site answered with an error status, and shows a browser capture's screenshot like media:
blurred and greyscale until an analyst reveals it (audited), hidden with known-list items.

(The re-capture itself, in a real browser through real Squid: tests/egress/test_browser_pipeline.py.)
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import select

from hotline.evidence.warc import Document, Exchange, build_warc, screenshot_uri
from hotline.models import AuditEvent, Capture
from tests.workspace.conftest import seed_url


def _screenshot() -> bytes:
    """A synthetic 'page': coloured bands and text, taller than wide like a full-page screenshot."""
    image = Image.new("RGB", (1280, 2400), (240, 240, 240))
    draw = ImageDraw.Draw(image)
    for n in range(6):
        draw.rectangle((40, 60 + n * 380, 1240, 380 + n * 380), fill=(200, 40 * n, 255 - 40 * n))
        draw.text((60, 80 + n * 380), f"SYNTHETIC BAND {n}", fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _browser_capture(app: Any, url_id: int, url: str) -> int:
    """A browser capture as the pipeline stores one: its WARC holds the page and the screenshot."""
    shot = _screenshot()
    warc = build_warc([Exchange(url=url, status=200, response_headers=[("Content-Type", "text/html")],
                                body=b"<html><body><script>1</script></body></html>")],
                      {"engine": "browser"}, target_uri=url,
                      documents=[Document(screenshot_uri(url), "image/png", shot)])
    with app.db.session() as session:
        capture = Capture(reported_url_id=url_id, outcome="ok", status=200, final_url=url, engine="browser",
                          screenshot_sha256=hashlib.sha256(shot).hexdigest(), hops=[], options={},
                          warc_path=app.evidence.write_warc(f"browser-{url_id}", warc))
        session.add(capture)
        session.flush()
        return capture.id


def _grey(png: bytes) -> bool:
    with Image.open(io.BytesIO(png)) as image:
        red, green, blue = image.convert("RGB").split()
        return red.tobytes() == green.tobytes() == blue.tobytes()


def test_an_error_status_is_said_plainly_and_a_recapture_is_offered(app: Any, client_for: Any) -> None:
    seeded = seed_url(app)
    with app.db.session() as session:
        session.add(Capture(reported_url_id=seeded.url_id, outcome="http-error", status=404,
                            reason="HTTP 404 Not Found", hops=[], options={}))
    ana = client_for("ana")

    page = ana.get(f"/workspace/items/{seeded.url_id}").text

    assert "http-error, HTTP 404" in page and "The site answered HTTP 404" in page
    for field in ('name="referer"', 'name="user_agent"', 'name="accept_language"'):
        assert field in page
    assert 'value="browser">Re-capture in a browser</button>' in page


def test_a_browser_recapture_without_an_egress_proxy_is_refused_in_one_line(app: Any, client_for: Any) -> None:
    seeded = seed_url(app)
    ana = client_for("ana")
    ana.get(f"/workspace/items/{seeded.url_id}")

    answer = ana.post(f"/workspace/items/{seeded.url_id}/recapture",
                      {"engine": "browser", "referer": "https://forum.example-synth.ro/t/1"})

    assert answer.status_code == 409 and "needs an egress proxy" in answer.text
    with app.db.sessions() as session:
        assert session.query(Capture).filter_by(reported_url_id=seeded.url_id).count() == 1


def test_recapture_fields_must_be_one_line_and_the_referrer_a_web_address(app: Any, client_for: Any) -> None:
    seeded = seed_url(app)
    ana = client_for("ana")
    ana.get(f"/workspace/items/{seeded.url_id}")

    bad_referrer = ana.post(f"/workspace/items/{seeded.url_id}/recapture", {"referer": "javascript:alert(1)"})
    two_lines = ana.post(f"/workspace/items/{seeded.url_id}/recapture", {"user_agent": "a\r\nX-Injected: 1"})

    assert bad_referrer.status_code == 409 and "http:// or https://" in bad_referrer.text
    assert two_lines.status_code == 409 and "one line" in two_lines.text


def test_the_screenshot_is_blurred_and_greyscale_until_revealed_and_the_reveal_is_audited(
        app: Any, client_for: Any) -> None:
    seeded = seed_url(app, "http://scripted-gallery.example-synth.ro/")
    capture_id = _browser_capture(app, seeded.url_id, "http://scripted-gallery.example-synth.ro/")
    ana = client_for("ana")

    page = ana.get(f"/workspace/items/{seeded.url_id}").text
    blurred = ana.get(f"/workspace/captures/{capture_id}/screenshot")
    revealed_page = ana.post(f"/workspace/captures/{capture_id}/screenshot/reveal", {"view": ""})
    view = revealed_page.headers["location"].split("view=", 1)[1].split("#", 1)[0]
    shown = ana.get(f"/workspace/captures/{capture_id}/screenshot?view={view}")

    assert "in a browser" in page and 'class="preview blurred"' in page and "Reveal the screenshot" in page
    assert blurred.status_code == 200 and blurred.headers["content-type"] == "image/png" and _grey(blurred.content)
    assert shown.status_code == 200 and not _grey(shown.content)
    with app.db.sessions() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "screenshot.reveal")).all()
        assert (event.actor, event.subject_id) == ("ana", str(capture_id))


def test_a_screenshot_of_a_capture_with_a_known_list_item_is_for_supervisors_only(
        app: Any, client_for: Any) -> None:
    seeded = seed_url(app, "http://scripted-known.example-synth.ro/", known=True)
    capture_id = _browser_capture(app, seeded.url_id, "http://scripted-known.example-synth.ro/")
    with app.db.session() as session:  # the known item belongs to the browser capture now
        from hotline.models import MediaItem

        session.get(MediaItem, seeded.known_id).capture_id = capture_id  # type: ignore[union-attr]

    analyst = client_for("ana").get(f"/workspace/captures/{capture_id}/screenshot")
    supervisor = client_for("sue").get(f"/workspace/captures/{capture_id}/screenshot")

    assert analyst.status_code == 404 and "supervisors only" in analyst.text
    assert supervisor.status_code == 200 and _grey(supervisor.content)
