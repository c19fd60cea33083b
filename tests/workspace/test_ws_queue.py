"""The review queue over HTTP: order, filters, claim and release."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from hotline.models import ReportSource, UrlState
from tests.workspace.conftest import seed_url


def _queue_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td><a href="/workspace/items/(\d+)">', page)]


def test_partner_reports_and_known_list_matches_come_first_then_oldest(app, client_for) -> None:
    old_public = seed_url(app, "http://a.example-synth.ro/1", reported_ago=timedelta(hours=5))
    new_public = seed_url(app, "http://b.example-synth.ro/1", reported_ago=timedelta(hours=1))
    partner = seed_url(app, "http://c.example-synth.ro/1", source=ReportSource.PARTNER,
                       reported_ago=timedelta(hours=9))
    known = seed_url(app, "http://d.example-synth.ro/1", known=True, reported_ago=timedelta(hours=9))
    seed_url(app, "http://e.example-synth.ro/1", state=UrlState.FORWARDED)  # not waiting: not listed
    page = client_for("ana").get("/workspace/queue").text
    assert _queue_ids(page) == [known.url_id, partner.url_id, old_public.url_id, new_public.url_id]


def test_the_queue_filters_by_state_category_country_and_source(app, client_for) -> None:
    nl = seed_url(app, "http://a.example-synth.ro/1", country="NL", category="csam")
    de = seed_url(app, "http://b.example-synth.ro/1", country="DE", category="grooming")
    partner = seed_url(app, "http://c.example-synth.ro/1", country="US", source=ReportSource.PARTNER,
                       category="csam")
    assessed = seed_url(app, "http://d.example-synth.ro/1", state=UrlState.ASSESSED, country="NL")
    ana = client_for("ana")
    assert _queue_ids(ana.get("/workspace/queue?country=de").text) == [de.url_id]
    assert set(_queue_ids(ana.get("/workspace/queue?category=csam").text)) == {nl.url_id, partner.url_id,
                                                                               assessed.url_id}
    assert _queue_ids(ana.get("/workspace/queue?source=partner").text) == [partner.url_id]
    assert _queue_ids(ana.get("/workspace/queue?state=assessed").text) == [assessed.url_id]
    assert _queue_ids(ana.get("/workspace/queue?state=triaged&country=NL").text) == [nl.url_id]


def test_claiming_keeps_a_second_analyst_out(app, client_for) -> None:
    seeded = seed_url(app)
    ana, bob, sue = client_for("ana"), client_for("bob"), client_for("sue")
    # ana claims the item
    assert ana.post(f"/workspace/items/{seeded.url_id}/claim").status_code == 303
    assert "Release" in ana.get("/workspace/queue").text
    # bob sees who holds it and cannot claim, assess or release it
    assert "claimed by ana" in bob.get("/workspace/queue").text
    refused = bob.post(f"/workspace/items/{seeded.url_id}/claim")
    assert refused.status_code == 409 and "claimed by ana" in refused.text
    assessed = bob.post(f"/workspace/items/{seeded.url_id}/assess", {"legal": "not-illegal"})
    assert assessed.status_code == 409
    assert bob.post(f"/workspace/items/{seeded.url_id}/release").status_code == 409
    # a supervisor may release it; then bob can take it
    assert sue.post(f"/workspace/items/{seeded.url_id}/release").status_code == 303
    assert bob.post(f"/workspace/items/{seeded.url_id}/claim").status_code == 303
    assert "claimed by bob" in ana.get("/workspace/queue").text


def test_take_next_claims_the_most_urgent_item_nobody_holds(app, client_for) -> None:
    public = seed_url(app, "http://a.example-synth.ro/1")
    partner = seed_url(app, "http://b.example-synth.ro/1", source=ReportSource.PARTNER)
    ana, bob = client_for("ana"), client_for("bob")
    assert ana.post("/workspace/queue/next").headers["location"] == f"/workspace/items/{partner.url_id}"
    assert bob.post("/workspace/queue/next").headers["location"] == f"/workspace/items/{public.url_id}"
    refused = client_for("sue").post("/workspace/queue/next")
    assert refused.status_code == 409 and "nothing is waiting" in refused.text


def test_the_reporters_category_raises_priority_csam_first_and_says_why(app, client_for) -> None:
    # given a new CSAM report, an older grooming report and a still older report with no category
    csam = seed_url(app, "http://a.example-synth.ro/1", category="csam", reported_ago=timedelta(minutes=5))
    grooming = seed_url(app, "http://b.example-synth.ro/1", category="grooming", reported_ago=timedelta(hours=3))
    plain = seed_url(app, "http://c.example-synth.ro/1", category=None, reported_ago=timedelta(days=2))
    older_csam = seed_url(app, "http://d.example-synth.ro/1", category="csam", reported_ago=timedelta(hours=7))
    page = client_for("ana").get("/workspace/queue").text
    # then CSAM comes first, oldest first within it; and each row says why it ranks there
    assert _queue_ids(page) == [older_csam.url_id, csam.url_id, grooming.url_id, plain.url_id]
    assert "reporter says CSAM +15" in page and "reporter says grooming +8" in page
    assert "HL-2026-TEST-0001" in page and ">7 h<" in page and ">2 d<" in page
    assert "hotline-nl-offlimits" in page  # the proposed destination


def test_claimed_by_me_and_one_search_box(app, client_for) -> None:
    first = seed_url(app, "http://gallery.example-synth.ro/a/1")
    second = seed_url(app, "http://forum.other-synth.ro/t/2")
    forwarded = seed_url(app, "http://old.example-synth.ro/x", state=UrlState.FORWARDED)
    ana = client_for("ana")
    ana.post(f"/workspace/items/{second.url_id}/claim")
    assert _queue_ids(ana.get("/workspace/queue?mine=1").text) == [second.url_id]
    # by reference (any case), URL part, domain (any state), sha256 and MD5 of a captured item
    assert _queue_ids(ana.get("/workspace/queue?q=hl-2026-test-0002").text) == [second.url_id]
    assert _queue_ids(ana.get("/workspace/queue?q=forum.other").text) == [second.url_id]
    assert set(_queue_ids(ana.get("/workspace/queue?q=example-synth.ro").text)) == {
        first.url_id, forwarded.url_id}
    from hotline.models import Fingerprint, MediaItem

    with app.db.session() as session:
        sha256 = session.get(MediaItem, first.image_id).sha256
        session.add(Fingerprint(media_item_id=first.image_id, kind="md5", value="0" * 31 + "a"))
    assert _queue_ids(ana.get(f"/workspace/queue?q={sha256.upper()}").text) == [first.url_id]
    assert _queue_ids(ana.get("/workspace/queue?q=" + "0" * 31 + "A").text) == [first.url_id]
    assert "Nothing matches." in ana.get("/workspace/queue?q=%25_nothing").text
    # and by the partner's own reference
    from hotline.models import Report

    with app.db.session() as session:
        session.scalars(select(Report).where(Report.reference == "HL-2026-TEST-0001")).one().partner_reference = "NL-77/a"
    assert _queue_ids(ana.get("/workspace/queue?q=NL-77/a").text) == [first.url_id]
