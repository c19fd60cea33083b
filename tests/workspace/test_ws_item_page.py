"""The item page as an analyst works it: every image classified in one submit, reveal without reloading,
save and next, forwards retried and released from the page, states that say what happened, and a
lapsed session that sends the analyst back to the item."""

from __future__ import annotations

from sqlalchemy import select

from hotline.models import Assessment, AuditEvent, Forward, MediaItem, ReportedUrl, UrlState
from tests.workspace.conftest import _media, add_forward, seed_url, synthetic_png

BASELINE = {"legal": "baseline", "age_group": "pubescent", "gender": "unknown"}


def add_images(app, seeded, count: int = 2) -> list[int]:  # type: ignore[no-untyped-def]
    """More synthetic images in the seeded URL's capture."""
    with app.db.session() as session:
        capture = session.get(MediaItem, seeded.image_id).capture
        items = [_media(app, capture, f"{capture.final_url}/extra-{n}.png", "image", "image/png", synthetic_png(100 + n))
                 for n in range(count)]
        session.add_all(items)
        session.flush()
        return [item.id for item in items]


def test_every_image_is_classified_in_one_submit(app, client_for) -> None:
    seeded = seed_url(app)
    second, third = add_images(app, seeded)
    ana = client_for("ana")
    page = ana.get(f"/workspace/items/{seeded.url_id}").text
    for media_id in (seeded.image_id, second, third):
        assert f'name="item-{media_id}-legal" form="assess-form"' in page
    assert "Same as URL verdict" in page
    saved = ana.post(f"/workspace/items/{seeded.url_id}/assess", {
        **BASELINE, f"item-{second}-legal": "not-illegal", f"item-{third}-age_group": "pre-pubescent"})
    assert saved.status_code == 303
    with app.db.sessions() as session:
        rows = session.scalars(select(Assessment).order_by(Assessment.id)).all()
        # one row per item that differs, then the URL's own verdict last (it stays "the latest")
        assert [(a.media_item_id, a.legal, a.age_group) for a in rows] == [
            (second, "not-illegal", "pubescent"), (third, "baseline", "pre-pubescent"), (None, "baseline", "pubescent")]
        assert len({a.created_at for a in rows}) == 1


def test_an_illegal_item_under_a_legal_verdict_is_pointed_out_in_the_forms_words(app, client_for) -> None:
    seeded = seed_url(app)
    ana = client_for("ana")
    refused = ana.post(f"/workspace/items/{seeded.url_id}/assess",
                       {"legal": "not-illegal", f"item-{seeded.image_id}-legal": "baseline"})
    assert refused.status_code == 422
    assert "This item is illegal: choose an illegal verdict for the URL too" in refused.text
    assert '<option value="baseline" selected>' in refused.text  # the item's choice is kept
    # an item with its own age group under an illegal verdict is fine; items left alone follow the URL
    saved = ana.post(f"/workspace/items/{seeded.url_id}/assess",
                     {**BASELINE, f"item-{seeded.image_id}-age_group": "infant-toddler"})
    assert saved.status_code == 303
    with app.db.sessions() as session:
        assert [(a.media_item_id, a.age_group) for a in session.scalars(select(Assessment).order_by(Assessment.id))] == [
            (seeded.image_id, "infant-toddler"), (None, "pubescent")]


def test_a_refusal_from_the_service_stays_on_the_page(app, client_for) -> None:
    seeded = seed_url(app)
    ana, bob = client_for("ana"), client_for("bob")
    bob.post(f"/workspace/items/{seeded.url_id}/claim")
    refused = ana.post(f"/workspace/items/{seeded.url_id}/assess", {**BASELINE, "notes": "mine"})
    assert refused.status_code == 409
    assert "claimed by bob" in refused.text and ">mine</textarea>" in refused.text and 'id="form-error"' in refused.text


def test_reveal_all_answers_the_script_without_a_reload_and_keeps_known_items_hidden(app, client_for) -> None:
    seeded = seed_url(app, known=True)
    second, = add_images(app, seeded, 1)
    ana = client_for("ana")
    page = ana.get(f"/workspace/items/{seeded.url_id}").text
    assert f'data-media="{seeded.known_id}"' not in page  # the known item is not on the page at all
    answer = ana.client.post(f"/workspace/items/{seeded.url_id}/reveal-all",
                             data={"csrf": ana.token, "view": ""}, headers={"accept": "application/json"})
    assert answer.status_code == 200
    shown = answer.json()["shown"]
    assert sorted(shown) == sorted([seeded.image_id, second])
    with app.db.sessions() as session:
        revealed = session.scalars(select(AuditEvent.subject_id).where(AuditEvent.action == "media.reveal")).all()
        assert sorted(revealed) == sorted([str(seeded.image_id), str(second)])
    preview = ana.get(f"/workspace/media/{second}/preview?view={answer.json()['view']}")
    assert preview.status_code == 200
    # one image alone, too
    single = ana.client.post(f"/workspace/media/{seeded.image_id}/reveal", data={"csrf": ana.token, "view": ""},
                             headers={"accept": "application/json"})
    assert single.status_code == 200 and single.json()["shown"] == [seeded.image_id]


def test_save_and_next_opens_the_next_item_claimed(app, client_for) -> None:
    first = seed_url(app, "http://a.example-synth.ro/1")
    second = seed_url(app, "http://b.example-synth.ro/2")
    ana = client_for("ana")
    saved = ana.post(f"/workspace/items/{first.url_id}/assess", {**BASELINE, "and_next": "1"})
    assert saved.status_code == 303 and saved.headers["location"] == f"/workspace/items/{second.url_id}"
    with app.db.sessions() as session:
        assert session.get(ReportedUrl, second.url_id).claimed_by_id is not None
    last = ana.post(f"/workspace/items/{second.url_id}/assess", {**BASELINE, "and_next": "1"})
    assert last.headers["location"] == f"/workspace/queue?done={second.url_id}"
    queue = ana.get(last.headers["location"]).text
    assert f"URL {second.url_id} saved: approved, forwards not delivered yet." in queue and 'data-key="n"' in queue


def test_saving_keeps_what_the_analyst_revealed(app, client_for) -> None:
    seeded = seed_url(app)
    ana = client_for("ana")
    token = ana.client.post(f"/workspace/items/{seeded.url_id}/reveal-all", data={"csrf": ana.token, "view": ""},
                            headers={"accept": "application/json"}).json()["view"]
    saved = ana.post(f"/workspace/items/{seeded.url_id}/assess", {**BASELINE, "view": token})
    assert saved.status_code == 303 and saved.headers["location"].endswith(f"?view={token}")
    assert f'<img class="preview" data-media="{seeded.image_id}"' in ana.get(saved.headers["location"]).text


def test_a_failed_forward_is_retried_and_a_held_one_released_from_the_item_page(app, client_for) -> None:
    seeded = seed_url(app, state=UrlState.FORWARDED)
    add_forward(app, seeded.url_id)
    with app.db.session() as session:
        session.add(Forward(reported_url_id=seeded.url_id, destination="police-ro", destination_kind="police",
                            channel="email", idempotency_key="held-1", state="held"))
    ana, sue = client_for("ana"), client_for("sue")
    page = ana.get(f"/workspace/items/{seeded.url_id}").text
    assert "approved, forwarding failed" in page and "1 failed, 1 held" in page
    assert "Retry now" in page and "Release (clearance given)" not in page
    with app.db.sessions() as session:
        failed, held = session.scalars(select(Forward.id).order_by(Forward.id)).all()
    assert ana.post(f"/workspace/items/{seeded.url_id}/forwards/{held}/release").status_code == 403
    assert ana.post(f"/workspace/items/{seeded.url_id}/forwards/{failed}/retry").status_code == 303
    assert "Release (clearance given)" in sue.get(f"/workspace/items/{seeded.url_id}").text
    assert sue.post(f"/workspace/items/{seeded.url_id}/forwards/{held}/release").status_code == 303
    with app.db.sessions() as session:
        assert [f.state for f in session.scalars(select(Forward).order_by(Forward.id))] == ["queued", "queued"]
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("forward.%")).order_by(AuditEvent.id)).all()
        assert actions == ["forward.requeued", "forward.released"]
    page = ana.get(f"/workspace/items/{seeded.url_id}").text
    assert "approved, forwards not delivered yet" in page and "ana queued forward" in page


def test_a_form_sent_from_a_lapsed_session_returns_to_its_item_after_logging_in(client_for) -> None:
    from tests.workspace.conftest import seed_url as _seed  # noqa: F401 - the app fixture is enough here

    laptop, desktop = client_for("ana"), client_for("ana")
    desktop.get("/workspace/queue")
    assert laptop.post("/workspace/logout-everywhere").status_code == 303
    lapsed = desktop.post("/workspace/items/7/assess", BASELINE)
    assert lapsed.status_code == 303 and lapsed.headers["location"] == "/workspace/login?next=/workspace/items/7"


def test_an_analyst_who_asks_for_it_opens_items_revealed_each_reveal_recorded(app, client_for) -> None:
    seeded = seed_url(app, known=True)
    ana = client_for("ana")
    assert ana.post("/workspace/account/preferences", {"language": "en", "reveal_on_open": "yes"}).status_code == 303
    opened = ana.get(f"/workspace/items/{seeded.url_id}", follow_redirects=False)
    assert opened.status_code == 303 and "?view=" in opened.headers["location"]
    page = ana.get(opened.headers["location"]).text
    assert f'<img class="preview" data-media="{seeded.image_id}"' in page  # not blurred
    assert f'data-media="{seeded.known_id}"' not in page  # known-list items stay hidden
    with app.db.sessions() as session:
        assert session.scalars(select(AuditEvent.subject_id).where(AuditEvent.action == "media.reveal")).all() == [
            str(seeded.image_id)]
    # the default stays blurred
    bob = client_for("bob")
    assert bob.get(f"/workspace/items/{seeded.url_id}", follow_redirects=False).status_code == 200
