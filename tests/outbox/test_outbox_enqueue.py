"""enqueue: an approved proposal becomes one Forward row in the caller's transaction, with the channel
and address the worker will use."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from outbox_support import PARTNER_DESTINATION, add_partner, forwards, queue_forward, seed_url
from sqlalchemy import select

from hotline.models import AuditEvent, Hosting, Proposal, utcnow
from hotline.outbox import enqueue, release_forward, resolve_contact
from hotline.rules import Directory


@pytest.fixture
def directory(tmp_path) -> Directory:  # type: ignore[no-untyped-def]
    admin = tmp_path / "directory.toml"
    admin.write_text('[[destination]]\nid = "police-ro"\nendpoint = "sesizari@politia.example-synth.test"\n')
    return Directory.load([admin])


def test_the_forward_commits_or_vanishes_with_the_callers_transaction(make_hotline) -> None:
    app = make_hotline()
    url_id = seed_url(app, 1)
    with pytest.raises(RuntimeError), app.db.session() as session:
        proposal = Proposal(reported_url_id=url_id, destination="police-ro", destination_kind="police",
                            rule="r", reason="x", channel="email", address="p@x.example-synth.test")
        session.add(proposal)
        session.flush()
        enqueue(session, proposal)
        raise RuntimeError("the approval failed after the forward was written")
    assert forwards(app) == []
    with app.db.sessions() as session:
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "forward.queued")).all() == []


def test_every_forward_gets_a_fresh_random_idempotency_key(make_hotline) -> None:
    app = make_hotline()
    url_id = seed_url(app, 1)
    keys = {queue_forward(app, url_id, address="http://127.0.0.1:9/").idempotency_key for _ in range(3)}
    assert len(keys) == 3
    assert all(re.fullmatch(r"fwd-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", k)
               for k in keys)


def test_contacts_come_from_the_proposal_directory_partner_table_or_hosting_record(make_hotline,
                                                                                    directory) -> None:
    app = make_hotline()
    seed_url(app, 1)
    add_partner(app, "http://127.0.0.1:9/api/v1/reports")
    with app.db.sessions() as session:
        hosting = session.scalars(select(Hosting)).one()

        def contact(destination, kind, channel=None, address=None):  # type: ignore[no-untyped-def]
            found = resolve_contact(session, destination, kind, channel, address, directory, hosting)
            return found.channel, found.address

        # the admin's directory file configured the police mailbox; ANCOM is still "configure-me"
        assert contact("police-ro", "police", "email") == ("email", "sesizari@politia.example-synth.test")
        assert contact("ancom", "regulator", "email") == ("email", None)  # sent once an address is set
        # a partner hotline: the Partner row linked to the directory entry gives the endpoint
        assert contact(PARTNER_DESTINATION, "hotline", "partner-api") == (
            "partner-api", "http://127.0.0.1:9/api/v1/reports")
        # hosting providers: X-ARF to the abuse contact from the hosting record
        assert contact("hosting-provider:x", "hosting-provider", "x-arf") == (
            "x-arf", "abuse@hosting.example-synth.test")
        # a platform's reporting endpoint takes X-ARF over HTTP; an e-mail desk of a CDN gets X-ARF mail
        assert contact("platform:x", "platform", "x-arf", "https://report.example-synth.test/xarf") == (
            "x-arf", "https://report.example-synth.test/xarf")
        assert contact("cdn:x", "cdn", "email", "abuse@cdn.example-synth.test") == (
            "x-arf", "abuse@cdn.example-synth.test")
        # web forms need a person
        assert contact("platform-meta", "platform", "web-form") == ("web-form", None)


def test_a_hold_until_police_clearance_waits_for_release(make_hotline) -> None:
    # given a hosting-provider forward held until the police clear it (no time limit)
    app = make_hotline()
    url_id = seed_url(app, 1, country="RO")
    with app.db.session() as session:
        proposal = Proposal(reported_url_id=url_id, destination="hosting-provider:x",
                            destination_kind="hosting-provider", rule="r", reason="x", channel="x-arf",
                            address="abuse@x.example-synth.test", condition="after police clearance")
        session.add(proposal)
        session.flush()
        held = enqueue(session, proposal)
    assert held.state == "held"
    # when an analyst releases it
    with app.db.session() as session:
        released = release_forward(session, held.id, "ana")
    # then it is due now
    assert released.state == "queued" and released.next_attempt_at <= utcnow()


def test_a_hold_with_a_delay_is_due_when_the_delay_ends(make_hotline) -> None:
    app = make_hotline()
    url_id = seed_url(app, 1, country="RO")
    later = utcnow() + timedelta(hours=72)
    with app.db.session() as session:
        proposal = Proposal(reported_url_id=url_id, destination="hosting-provider:x",
                            destination_kind="hosting-provider", rule="r", reason="x", channel="x-arf",
                            address="abuse@x.example-synth.test", not_before=later,
                            condition="after police clearance, or after 72 h at the latest")
        session.add(proposal)
        session.flush()
        delayed = enqueue(session, proposal)
    assert delayed.state == "queued" and delayed.next_attempt_at == later


@pytest.mark.parametrize(("channel", "kind", "address", "chosen"), [
    (None, "hosting-provider", "abuse@host.example", "x-arf"),  # abuse desks get a report they can parse
    (None, "cdn", "https://abuse.cdn.example/form", "web-form"),  # a form: a person fills it in
    (None, "platform", "abuse@platform.example", "x-arf"),
    ("email", "police", "sesizari@politia.example", "email"),  # the bilingual notice
    ("email", "cdn", "abuse@cdn.example", "x-arf"),
    ("x-arf", "platform", "https://report.example/xarf", "x-arf"),  # X-ARF over HTTP
    ("partner-api", "hotline", None, "partner-api"),  # the endpoint comes from the Partner row
    ("email", "regulator", None, "email"),  # sent once the directory has the address
])
def test_the_outbox_picks_a_channel_of_its_registry(channel, kind, address, chosen) -> None:  # type: ignore[no-untyped-def]
    from hotline.outbox.channels import CHANNELS, choose

    assert choose(channel, kind, address) == chosen and chosen in CHANNELS
