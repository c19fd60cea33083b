"""The item page over HTTP: what it shows, safe rendering, protected previews, evidence, assessment."""

from __future__ import annotations

import gzip
import io
import re

from PIL import Image
from sqlalchemy import select

from hotline.models import AuditEvent, Forward, UrlState
from tests.workspace.conftest import HOSTILE, add_forward, seed_url


def _events(app, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with app.db.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _preview_src(page: str, media_id: int) -> str | None:
    found = re.search(rf'src="(/workspace/media/{media_id}/preview\?view=[^"]+)"', page)
    return found.group(1).replace("&amp;", "&") if found else None


def _image(response) -> Image.Image:  # type: ignore[no-untyped-def]
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    return Image.open(io.BytesIO(response.content))


def test_the_item_page_shows_what_is_known(app, client_for) -> None:
    seeded = seed_url(app, country="NL", known=True)
    add_forward(app, seeded.url_id)
    page = client_for("ana").get(f"/workspace/items/{seeded.url_id}").text
    # URL, redirect chain with per-hop IPs
    assert "http://gallery-ro.example-synth.ro/album/1" in page
    assert "http://gallery-ro.example-synth.ro/r/1" in page and "5.2.130.10" in page
    # hosting record and where each fact came from
    assert "Synthetic Hosting BV" in page and "AS64500" in page and "<strong>country</strong>: rdap" in page
    # fingerprints; proposals with rule and reason; forwards with state, attempts and error
    assert "abab" * 8 in page and "(quality 90)" in page
    assert "member-country-hotline" in page and "Offlimits" in page
    assert "HTTP 503 from partner" in page and "<td>failed</td><td>3</td>" in page


def test_anything_from_a_report_or_capture_is_escaped(app, client_for) -> None:
    seeded = seed_url(app)
    ana = client_for("ana")
    page = ana.get(f"/workspace/items/{seeded.url_id}").text
    assert HOSTILE not in page and "&lt;script&gt;alert(" in page
    text = ana.get(f"/workspace/media/{seeded.page_id}/text")
    assert text.headers["content-type"].startswith("text/html")  # our page, with the capture as text in it
    assert HOSTILE not in text.text and "&lt;title&gt;&lt;script&gt;" in text.text
    assert "script-src 'self'" in text.headers["content-security-policy"]
    assert text.headers["cache-control"] == "no-store"


def test_previews_are_blurred_greyscale_until_revealed_and_reveals_are_audited(app, client_for) -> None:
    seeded = seed_url(app)
    ana = client_for("ana")
    page = ana.get(f"/workspace/items/{seeded.url_id}").text
    # given the default view: a greyscale sketch with no detail left
    blurred = _image(ana.get(_preview_src(page, seeded.image_id)))
    assert blurred.mode == "L"
    assert blurred.reduce(4).getextrema()[1] - blurred.reduce(4).getextrema()[0] < 200
    assert not _events(app, "media.reveal")
    # when the analyst reveals it (a POST with the form's token)
    response = ana.post(f"/workspace/media/{seeded.image_id}/reveal",
                        {"view": re.search(r'name="view" value="([^"]+)"', page).group(1)})
    assert response.status_code == 303
    revealed_page = ana.get(response.headers["location"]).text
    # then the preview is in colour (the synthetic red disc is there) and the reveal is audited
    revealed = _image(ana.get(_preview_src(revealed_page, seeded.image_id))).convert("RGB")
    assert (250, 0, 0) in {revealed.getpixel((x, y)) for x in range(0, revealed.width, 4)
                           for y in range(0, revealed.height, 4)}
    [event] = _events(app, "media.reveal")
    assert (event.actor, event.subject_id) == ("ana", str(seeded.image_id))
    # and another analyst cannot reuse ana's reveal link
    bob = client_for("bob")
    assert _image(bob.get(_preview_src(revealed_page, seeded.image_id))).mode == "L"


def test_video_never_autoplays_and_needs_a_reveal(app, client_for) -> None:
    seeded = seed_url(app, video=True)
    ana = client_for("ana")
    page = ana.get(f"/workspace/items/{seeded.url_id}").text
    assert "<video" not in page and "Video hidden" in page
    assert ana.get(f"/workspace/media/{seeded.video_id}/raw").status_code == 404
    token = re.search(r'name="view" value="([^"]+)"', page).group(1)
    location = ana.post(f"/workspace/media/{seeded.video_id}/reveal", {"view": token}).headers["location"]
    page = ana.get(location).text
    video = re.search(r"<video[^>]*>", page).group(0)
    assert "controls" in video and 'preload="none"' in video and "autoplay" not in video
    src = re.search(r'src="([^"]+)"', video).group(1).replace("&amp;", "&")
    raw = ana.get(src)
    assert raw.status_code == 200 and raw.headers["content-type"] == "video/mp4"
    assert "sandbox" in raw.headers["content-security-policy"]


def test_known_list_items_stay_hidden_unless_a_supervisor_asks(app, client_for) -> None:
    seeded = seed_url(app, known=True)
    ana, sue = client_for("ana"), client_for("sue")
    # the analyst does not get the item at all: no preview, no link, no option in the form
    page = ana.get(f"/workspace/items/{seeded.url_id}").text
    assert f"/workspace/media/{seeded.known_id}/" not in page and f'id="media-{seeded.known_id}"' not in page
    assert "1 item matched a known list with a verdict and is not shown" in page
    assert ana.get(f"/workspace/media/{seeded.known_id}/preview").status_code == 404
    assert ana.post(f"/workspace/media/{seeded.known_id}/reveal").status_code == 404
    assert ana.post(f"/workspace/media/{seeded.known_id}/show-known").status_code == 403
    # the supervisor sees that it is hidden and why, and may ask to see it (audited, with the reason)
    page = sue.get(f"/workspace/items/{seeded.url_id}").text
    assert _preview_src(page, seeded.known_id) is None and "Show this item (supervisor)" in page
    response = sue.post(f"/workspace/media/{seeded.known_id}/show-known", {"reason": "quality check"})
    page = sue.get(response.headers["location"]).text
    src = _preview_src(page, seeded.known_id)
    assert src is not None and _image(sue.get(src)).mode == "L"  # shown, still blurred
    [event] = _events(app, "media.show_known")
    assert (event.actor, event.subject_id, event.detail["reason"]) == ("sue", str(seeded.known_id),
                                                                       "quality check")
    assert ana.get(src).status_code == 404  # the supervisor's link does not work for the analyst


def test_evidence_download_is_the_warc_and_is_audited(app, client_for) -> None:
    seeded = seed_url(app)
    response = client_for("ana").post(f"/workspace/items/{seeded.url_id}/evidence")
    assert response.status_code == 200
    assert gzip.decompress(response.content) == seeded.warc
    assert response.headers["content-type"] == "application/warc"
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    [event] = _events(app, "evidence.download")
    assert (event.actor, event.subject_id) == ("ana", str(seeded.url_id))


def test_assess_and_approve_through_the_form(app, client_for) -> None:
    seeded = seed_url(app, country="NL")
    ana = client_for("ana")
    ana.get(f"/workspace/items/{seeded.url_id}")
    # an illegal classification without the victim fields is refused with the reason
    # on the same page, in the form's words, with what was typed kept
    refused = ana.post(f"/workspace/items/{seeded.url_id}/assess", {"legal": "baseline", "notes": "kept as typed"})
    assert refused.status_code == 422
    assert "Choose an age group" in refused.text and "Age not determined" in refused.text
    assert "age_group and gender required" not in refused.text and "use 'unknown'" not in refused.text
    assert 'value="baseline" checked' in refused.text and ">kept as typed</textarea>" in refused.text
    assert 'action="/workspace/items/' in refused.text
    saved = ana.post(f"/workspace/items/{seeded.url_id}/assess",
                     {"legal": "baseline", "age_group": "pubescent", "gender": "unknown",
                      "content_type": "image", "site_type": "image-host", "notes": "<b>bold</b>"})
    assert saved.status_code == 303
    page = ana.get(f"/workspace/items/{seeded.url_id}").text
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "Approve all pending proposals" in page
    assert ana.post(f"/workspace/items/{seeded.url_id}/approve").status_code == 303
    with app.db.sessions() as session:
        forwards = session.scalars(select(Forward).where(Forward.reported_url_id == seeded.url_id)).all()
        assert forwards and all(f.state == "queued" for f in forwards)
    page = ana.get(f"/workspace/items/{seeded.url_id}").text
    assert "<td>queued</td>" in page and UrlState.FORWARDED.value in page


def test_four_eyes_through_the_workspace(app, client_for) -> None:
    seeded = seed_url(app, country="NL")
    sue, ana, bob = client_for("sue"), client_for("ana"), client_for("bob")
    assert ana.post("/workspace/settings/four-eyes", {"legal": ["baseline"]}).status_code == 403
    assert sue.post("/workspace/settings/four-eyes", {"legal": ["baseline"]}).status_code == 303
    assert 'value="baseline" checked' in sue.get("/workspace/settings").text
    ana.post(f"/workspace/items/{seeded.url_id}/assess",
             {"legal": "baseline", "age_group": "pubescent", "gender": "unknown"})
    page = ana.get(f"/workspace/items/{seeded.url_id}").text
    assert "needs a second analyst" in page and "Approve all pending proposals" not in page
    refused = ana.post(f"/workspace/items/{seeded.url_id}/approve")
    assert refused.status_code == 409 and "someone other than its assessor" in refused.text
    assert bob.post(f"/workspace/items/{seeded.url_id}/approve").status_code == 303


def test_the_admin_reads_and_filters_the_audit_log(app, client_for) -> None:
    seeded = seed_url(app)
    ana, adam = client_for("ana"), client_for("adam")
    ana.post(f"/workspace/items/{seeded.url_id}/claim")
    page = adam.get("/workspace/audit?action=url.&verify=true").text
    rows = page.split("<tbody>")[1]
    assert "<td>url.claim</td>" in rows and "<td>login</td>" not in rows
    assert "The audit chain is intact." in page
    assert "user.create" in adam.get("/workspace/audit?actor=cli").text
    assert "url.claim" not in adam.get("/workspace/audit?actor=bob").text


def test_the_sanitised_rendering_keeps_text_and_drops_everything_active(app, client_for) -> None:
    seeded = seed_url(app)
    ana = client_for("ana")
    assert 'iframe class="sanitised" sandbox' in ana.get(f"/workspace/media/{seeded.page_id}/text").text
    response = ana.get(f"/workspace/media/{seeded.page_id}/sanitised")
    assert response.status_code == 200
    assert "gallery" in response.text
    # the hostile title survives only as inert text; no element carries an attribute
    assert not re.search(r"<(script|img|style|iframe)\b", response.text)
    body = response.text.split("<body>", 1)[1]
    assert not re.search(r"<[a-z]+ [^>]*=", body)
    assert "&lt;script&gt;" in response.text
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "frame-ancestors 'self'" in csp
    assert response.headers["x-frame-options"] == "SAMEORIGIN"


def test_a_supervisor_pauses_and_resumes_the_auto_forward_policies(app, client_for) -> None:
    from hotline.triage.autoforward import policies_paused

    sue, ana = client_for("sue"), client_for("ana")
    assert ana.post("/workspace/settings/policies", {"paused": "yes"}).status_code == 403
    assert sue.post("/workspace/settings/policies", {"paused": "yes"}).status_code == 303
    with app.db.sessions() as session:
        assert policies_paused(session)
    assert "All auto-forward policies are paused" in sue.get("/workspace/settings").text
    sue.post("/workspace/settings/policies", {"paused": "no"})
    with app.db.sessions() as session:
        assert not policies_paused(session)
    assert [e.detail["paused"] for e in _events(app, "setting.policies_paused")] == [True, False]


def test_an_item_without_capture_or_hosting_still_renders(app, client_for) -> None:
    from hotline.models import ReportedUrl

    with app.db.session() as session:
        row = ReportedUrl(url="http://bare.example-synth.ro/", host="bare.example-synth.ro", state=UrlState.TRIAGED)
        session.add(row)
        session.flush()
        url_id = row.id
    ana = client_for("ana")
    page = ana.get(f"/workspace/items/{url_id}")
    assert page.status_code == 200
    assert "Not captured yet." in page.text and "Not located yet." in page.text
    missing = ana.post(f"/workspace/items/{url_id}/evidence")
    assert missing.status_code == 404 and "no captured evidence" in missing.text
    assert ana.get("/workspace/items/9999").status_code == 404


def test_the_settings_page_title_is_plain_text(client_for) -> None:
    page = client_for("sue").get("/workspace/settings").text
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title == "Settings · hotline"
    assert page.count('action="/workspace/settings/policies"') == 1
