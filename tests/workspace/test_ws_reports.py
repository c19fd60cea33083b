"""The workspace's report pages over HTTP: staff intake, a report's page with its attachments, closing a
report as not valid, and the "needs attention" list."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from hotline.models import (
    Assessment,
    AuditEvent,
    HashList,
    Match,
    Report,
    ReportedUrl,
    ReportSource,
    UrlState,
)
from hotline.pipeline.capture import SealedAttachment, store_attachments
from hotline.pipeline.intake import submit_report
from hotline.triage.queue import review_queue
from tests.workspace.conftest import synthetic_png


def _new_report(client, **fields):  # type: ignore[no-untyped-def]
    form = client.get("/workspace/reports/new")
    assert form.status_code == 200
    submission = re.search(r'name="submission" value="([^"]+)"', form.text)
    assert submission is not None
    data = {"source": "phone", "via": "", "category": "", "urls": "", "description": "",
            "submission": submission.group(1)} | fields
    return client.post("/workspace/reports/new", data)


def _reference(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/workspace/reports/HL-")
    return location.rsplit("/", 1)[1]


def test_an_operator_records_a_phone_report_once_however_often_the_form_is_sent(app, client_for) -> None:
    ana = client_for("ana")
    # the form asks nothing about the caller: no name, number or address field
    form = ana.get("/workspace/reports/new").text
    assert not re.search(r'name="(phone|number|caller|name|contact|email)"', form)
    # when she records a call passed on by a helpline
    fields = {"source": "phone", "via": "ALO 116", "category": "grooming",
              "urls": "http://chat.example-synth.ro/room/4\n\nforum.example-synth[.]ro/t/9\n",
              "description": "A parent saw <b>an adult</b> ask a child for photos."}
    sent = _new_report(ana, **fields)
    reference = _reference(sent)
    # then the report page shows how it came, who took it, and its URLs (escaped text)
    page = ana.get(f"/workspace/reports/{reference}").text
    assert "Phone call through ALO 116" in page and "<dt>Recorded by</dt><dd>ana</dd>" in page
    assert "http://chat.example-synth.ro/room/4" in page and "http://forum.example-synth.ro/t/9" in page
    assert "&lt;b&gt;an adult&lt;/b&gt;" in page
    # and sending the very same form again (double click, reload) records nothing new
    again = ana.post("/workspace/reports/new", {**fields, "submission": re.search(
        r'name="submission" value="([^"]+)"', ana.get("/workspace/reports/new").text).group(1)})  # type: ignore[union-attr]
    assert _reference(again) != reference, "a new form is a new report"
    copy = ana.client.post("/workspace/reports/new", data={**fields, "submission": "same-form", "csrf": ana.token},
                           follow_redirects=False)
    twice = ana.client.post("/workspace/reports/new", data={**fields, "submission": "same-form", "csrf": ana.token},
                            follow_redirects=False)
    assert _reference(copy) == _reference(twice)
    with app.db.sessions() as session:
        report = session.scalar(select(Report).where(Report.reference == reference))
        assert report is not None and report.source == ReportSource.PHONE and report.reporter_contact is None
        assert session.scalar(select(func.count()).select_from(Report)) == 3
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "report.record")) == 3


def test_a_mistyped_address_keeps_the_form_as_typed(app, client_for) -> None:
    ana = client_for("ana")
    answer = _new_report(ana, urls="ftp://files.example-synth.ro/x", description="kept as typed")
    assert answer.status_code == 400
    assert "Nothing was recorded" in answer.text and "only http and https" in answer.text
    assert "kept as typed</textarea>" in answer.text and "ftp://files.example-synth.ro/x</textarea>" in answer.text
    # and a call with no address at all is kept, closed as no-url
    empty = _reference(_new_report(ana, source="letter", description="about a neighbour"))
    assert "closed: no-url" in ana.get(f"/workspace/reports/{empty}").text


def _report_with_attachment(app) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    picture = synthetic_png(7)
    digest = app.evidence.put_blob(picture)
    with app.db.session() as session:
        report = submit_report(session, [], source=ReportSource.MAILBOX, require_url=False, brings_media=True,
                               description="poza primită").report
        capture = store_attachments(session, report.id, [SealedAttachment("poza.png", "image", "image/png",
                                                                          len(picture), digest)])
        return report.reference, capture.media[0].id


def test_attachments_are_blurred_until_revealed_and_assessed_one_by_one(app, client_for) -> None:
    reference, media_id = _report_with_attachment(app)
    ana = client_for("ana")
    # the queue points at the report, whose picture waits for an assessment
    queue = ana.get("/workspace/queue").text
    assert f'href="/workspace/reports/{reference}#h-attachments"' in queue and "1 item to assess" in queue
    page = ana.get(f"/workspace/reports/{reference}").text
    assert "Blurred greyscale preview of item" in page
    # revealing it is recorded and returns to the report
    revealed = ana.post(f"/workspace/media/{media_id}/reveal", {"view": ""})
    assert revealed.status_code == 303
    assert revealed.headers["location"].startswith(f"/workspace/reports/{reference}?view=")
    # and assessing it is recorded too, after which it no longer waits
    view = revealed.headers["location"].split("view=")[1].split("#")[0]
    saved = ana.post(f"/workspace/reports/{reference}/attachments/{media_id}/assess",
                     {"legal": "baseline", "content_type": "image", "age_group": "pre-pubescent",
                      "gender": "female", "notes": "synthetic", "view": view})
    assert saved.status_code == 303, saved.text
    with app.db.sessions() as session:
        [assessment] = session.scalars(select(Assessment)).all()
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert (assessment.reported_url_id, assessment.media_item_id, assessment.legal) == (None, media_id, "baseline")
    assert actions[-2:] == ["media.reveal", "assessment.create"]
    assert "to assess" not in ana.get("/workspace/queue").text
    # and an assessment missing what illegal content needs is refused next to its fields, in the form's words,
    # with what was typed kept
    refused = ana.post(f"/workspace/reports/{reference}/attachments/{media_id}/assess",
                       {"legal": "national", "notes": "kept"})
    assert refused.status_code == 422 and "Choose an age group" in refused.text and "use 'unknown'" not in refused.text
    assert f'id="e-age-{media_id}"' in refused.text and 'value="kept"' in refused.text


def test_an_attachment_on_a_known_list_stays_hidden_unless_a_supervisor_asks(app, client_for) -> None:
    reference, media_id = _report_with_attachment(app)
    with app.db.session() as session:
        listed = HashList(name="known-list-attachments", verdict="baseline", trusted=True, confirmations=3)
        session.add(listed)
        session.flush()
        session.add(Match(media_item_id=media_id, kind="pdq", distance=4, hash_list_id=listed.id, verdict="baseline"))
    # the analyst is told one item is not shown, and gets no preview nor a way to show it
    page = client_for("ana").get(f"/workspace/reports/{reference}").text
    assert "1 item matched a known list with a verdict and is not shown" in page
    assert f"/workspace/media/{media_id}/preview" not in page and "Show this item (supervisor)" not in page
    # the supervisor sees what it matched and may ask to see it, with a reason
    page = client_for("sue").get(f"/workspace/reports/{reference}").text
    assert f"Item {media_id} (image) is hidden: it matched" in page and "known-list-attachments (baseline" in page
    assert f'action="/workspace/media/{media_id}/show-known"' in page and "Show this item (supervisor)" in page


def test_closing_a_report_from_its_page_takes_its_urls_out_of_the_queue(app, client_for) -> None:
    with app.db.session() as session:
        result = submit_report(session, ["http://spam.example-synth.ro/offer"])
        reference, url_id = result.report.reference, result.urls[0].id
        result.urls[0].state = UrlState.TRIAGED
    ana = client_for("ana")
    page = ana.get(f"/workspace/reports/{reference}").text
    assert 'value="out-of-scope"' in page and "Close the report" in page
    closed = ana.post(f"/workspace/reports/{reference}/close", {"reason": "out-of-scope", "note": "an advert"})
    assert closed.status_code == 303 and closed.headers["location"] == f"/workspace/reports/{reference}"
    page = ana.get(f"/workspace/reports/{reference}").text
    assert "closed: out-of-scope" in page and "by ana: an advert" in page and "Close the report" not in page
    with app.db.sessions() as session:
        assert url_id not in [row.id for row, _ in review_queue(session)]
    # and an unknown reason is refused in words
    assert "already closed" in ana.post(f"/workspace/reports/{reference}/close", {"reason": "duplicate"}).text


def test_refused_urls_need_attention_until_captured_again_or_closed(app, client_for) -> None:
    with app.db.session() as session:
        refused = submit_report(session, ["http://10.0.0.5/admin"])
        refused.urls[0].advance(UrlState.REFUSED, "the address 10.0.0.5 is private")
        stopped = submit_report(session, ["http://flaky.example-synth.ro/"])
        stopped.urls[0].stage_attempts = 5
        fine = submit_report(session, ["http://fine.example-synth.ro/"])
        refs = (refused.report.reference, stopped.report.reference, fine.report.reference)
        ids = (refused.urls[0].id, stopped.urls[0].id)
    ana = client_for("ana")
    page = ana.get("/workspace/attention").text
    assert "the address 10.0.0.5 is private" in page and "stopped after 5 tries" in page
    assert refs[0] in page and refs[1] in page and refs[2] not in page
    # capturing the stopped one again sends it back to the capture stage
    assert ana.post(f"/workspace/attention/{ids[1]}/capture").status_code == 303
    # closing the refused one's report as unreachable, from the list, comes back to the list
    closed = ana.post(f"/workspace/reports/{refs[0]}/close", {"reason": "unreachable", "back": "/workspace/attention"})
    assert closed.headers["location"] == "/workspace/attention"
    assert "Nothing needs attention." in ana.get("/workspace/attention").text
    with app.db.sessions() as session:
        states = [session.get(ReportedUrl, i).state for i in ids]  # type: ignore[union-attr]
    assert states == [UrlState.CLOSED, UrlState.NEW]
    # and a "back" outside the workspace is not followed
    with app.db.session() as session:
        other = submit_report(session, ["http://other.example-synth.ro/"]).report.reference
    elsewhere = ana.post(f"/workspace/reports/{other}/close", {"reason": "out-of-scope", "back": "https://evil.example/"})
    assert elsewhere.headers["location"] == f"/workspace/reports/{other}"
