"""`hotline queue`, `hotline assess` and `hotline approve` through the real command line entry point."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta

from sqlalchemy import func, select

from hotline.models import Assessment, AuditEvent, Forward, ReportedUrl, ReportSource, UrlState, User
from hotline.triage.assessment import set_four_eyes
from hotline.triage.queue import QueueFilter, review_queue
from tests.triage.conftest import TRUSTED, add_users, seed_item


def test_queue_lists_what_waits_in_the_workspace_order(cli) -> None:
    # given items of every kind: plain, older, from a partner, matched to a known list, already assessed
    app = cli.app
    old = seed_item(app, 1, reported_ago=timedelta(days=2))
    new = seed_item(app, 2)
    partner = seed_item(app, 3, source=ReportSource.PARTNER, reported_ago=timedelta(days=3))
    known = seed_item(app, 4, [(TRUSTED, 9)], reported_ago=timedelta(days=4))
    assessed = seed_item(app, 5, state=UrlState.ASSESSED)
    seed_item(app, 6, state=UrlState.FORWARDED)  # not waiting: never listed
    # when the queue is listed as JSON
    result = cli("queue", "--json")
    # then it has the workspace's order: known-list matches, partner reports, then oldest first
    assert result.exit_code == 0, result.output
    ids = [item["id"] for item in json.loads(result.stdout)]
    with app.db.sessions() as session:
        assert ids == [row.id for row, _ in review_queue(session)]
    assert ids == [known.url_id, partner.url_id, old.url_id, new.url_id, assessed.url_id]
    # and --state narrows it, as the workspace's filter does
    only_assessed = json.loads(cli("queue", "--state", "assessed", "--json").stdout)
    assert [item["id"] for item in only_assessed] == [assessed.url_id]
    first = json.loads(result.stdout)[0]
    assert first["references"] == [known.reference] and first["country"] == "NL"
    # and the table shows the same five items (one row each: the country column)
    table = cli("queue")
    assert table.exit_code == 0
    assert sum(1 for line in table.output.splitlines() if re.search(r"\bNL\b", line)) == 5


def test_queue_refuses_an_unknown_state_in_one_line(cli) -> None:
    result = cli("queue", "--state", "forwarded")
    assert result.exit_code == 2
    assert result.output.strip() == "error: unknown queue state 'forwarded': use one of triaged, assessed"


def test_assess_and_approve_as_two_analysts(cli) -> None:
    # given a triaged item and two analysts
    add_users(cli.app)
    item = seed_item(cli.app, 1)
    # when ana assesses it without approving
    assessed = cli("assess", item.reference, "--legal", "baseline", "--age-group", "pre-pubescent",
                   "--gender", "female", "--content-type", "image", "--note", "gallery of 12", "--as", "ana",
                   "--json")
    # then it waits for approval with the proposals the rules made from her classification
    assert assessed.exit_code == 0, assessed.output
    answer = json.loads(assessed.stdout)
    assert answer["state"] == "assessed" and answer["forwards"] == []
    assert answer["assessment"]["assessor"] == "ana" and answer["assessment"]["notes"] == "gallery of 12"
    assert [p["destination"] for p in answer["pending_proposals"]] == ["hotline-nl-offlimits"]
    # when bob approves by URL id
    approved = cli("approve", str(item.url_id), "--as", "bob")
    # then the forward is in the outbox and the line says so
    assert approved.exit_code == 0, approved.output
    assert "1 forward(s) queued: hotline-nl-offlimits" in approved.output
    with cli.app.db.sessions() as session:
        [forward] = session.scalars(select(Forward)).all()
        assert forward.destination == "hotline-nl-offlimits" and forward.state == "queued"
        assert session.get(ReportedUrl, item.url_id).state == UrlState.FORWARDED


def test_assess_without_as_acts_as_the_system_user_created_on_demand(cli) -> None:
    item = seed_item(cli.app, 1)
    result = cli("assess", item.reference, "--legal", "not-illegal")
    assert result.exit_code == 0, result.output
    with cli.app.db.sessions() as session:
        system = session.scalar(select(User).where(User.name == "system"))
        assert system is not None and system.role == "system" and system.password_hash is None
        [assessment] = session.scalars(select(Assessment)).all()
        assert assessment.assessor_id == system.id and assessment.policy is None
        # a URL that is not illegal is closed with the rule's reason
        assert session.get(ReportedUrl, item.url_id).state == UrlState.CLOSED
    assert f"URL {item.url_id} closed" in result.output


def test_bulk_assessment_of_a_hundred_items_from_the_cli(cli) -> None:
    # given 100 triaged items and an analyst
    add_users(cli.app)
    items = [seed_item(cli.app, n) for n in range(1, 101)]
    # when she assesses and approves each one with the CLI, one invocation per item
    started = time.monotonic()
    for item in items:
        result = cli("assess", item.reference, "--legal", "baseline", "--age-group", "pubescent",
                     "--gender", "unknown", "--approve", "--as", "ana")
        assert result.exit_code == 0, result.output
    elapsed = time.monotonic() - started
    # then every item is forwarded, each with its forward in the outbox, and nothing waits any more
    with cli.app.db.sessions() as session:
        states = session.execute(select(ReportedUrl.state, func.count()).group_by(ReportedUrl.state)).all()
        assert dict(states) == {UrlState.FORWARDED: 100}
        assert session.scalar(select(func.count()).select_from(Forward)) == 100
        assert review_queue(session, QueueFilter()) == []
    assert json.loads(cli("queue", "--json").stdout) == []
    assert elapsed < 60, f"100 assessments took {elapsed:.1f} s"


def test_bulk_assessment_from_a_file_reports_each_refusal_and_keeps_the_rest(cli, tmp_path) -> None:
    # given 100 items and a CSV with one assessment per item, of which one lacks the age group
    add_users(cli.app)
    items = [seed_item(cli.app, n) for n in range(1, 101)]
    lines = ["ref,url,legal,age_group,gender,note"]
    lines += [f"{item.reference},1,baseline,{'' if n == 41 else 'unknown'},unknown,batch"
              for n, item in enumerate(items)]
    path = tmp_path / "batch.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # when the file is assessed with --approve in one invocation
    started = time.monotonic()
    result = cli("assess", "--from-file", str(path), "--approve", "--as", "ana")
    elapsed = time.monotonic() - started
    # then 99 are forwarded, the refused one is named with the reason, and the exit code says "some failed"
    assert result.exit_code == 1
    refused = items[41].reference
    assert f"{refused}: refused: age_group required when legal is baseline" in result.output
    with cli.app.db.sessions() as session:
        states = dict(session.execute(select(ReportedUrl.state, func.count()).group_by(ReportedUrl.state)).all())
        assert states == {UrlState.FORWARDED: 99, UrlState.TRIAGED: 1}
        assert session.get(ReportedUrl, items[41].url_id).state == UrlState.TRIAGED
    assert elapsed < 30, f"the batch took {elapsed:.1f} s"


def test_missing_fields_are_refused_in_one_line_and_nothing_is_written(cli) -> None:
    item = seed_item(cli.app, 1)
    cases = {
        ("--legal", "baseline"):
            "error: age_group and gender required when legal is baseline (use 'unknown' if it cannot be determined)",
        ("--legal", "national", "--age-group", "unknown"):
            "error: gender required when legal is national (use 'unknown' if it cannot be determined)",
        ("--legal", "illegal-ish"): "error: legal: Input should be 'baseline', 'national', 'not-illegal', "
                                    "'adult-minors' or 'other-harmful'",
    }
    for args, message in cases.items():
        result = cli("assess", item.reference, *args)
        assert result.exit_code == 2, result.output
        assert result.output.strip() == message
    no_legal = cli("assess", item.reference)
    assert no_legal.exit_code == 2 and no_legal.output.strip() == "error: give REF and --legal (or --from-file FILE)"
    with cli.app.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Assessment)) == 0
        assert session.get(ReportedUrl, item.url_id).state == UrlState.TRIAGED


def test_four_eyes_classification_cannot_be_approved_by_its_own_assessor(cli) -> None:
    # given a supervisor who requires a second analyst for baseline
    users = add_users(cli.app)
    with cli.app.db.session() as session:
        set_four_eyes(session, session.get(User, users["sue"]), ["baseline"])
    item = seed_item(cli.app, 1)
    baseline = ("--legal", "baseline", "--age-group", "unknown", "--gender", "unknown")
    # when ana assesses and approves at once, she is refused, and nothing is recorded
    at_once = cli("assess", item.reference, *baseline, "--approve", "--as", "ana")
    assert at_once.exit_code == 2
    assert at_once.output.strip() == "error: 'baseline' needs a second analyst: someone else must approve it"
    # when she assesses, then approves her own assessment, she is refused again
    assert cli("assess", item.reference, *baseline, "--as", "ana").exit_code == 0
    own = cli("approve", item.reference, "--as", "ana")
    assert own.exit_code == 2
    assert own.output.strip() == "error: 'baseline' needs a second analyst: someone other than its assessor must approve"
    # then bob, a second analyst, can approve it; the assessment records him as confirming
    other = cli("approve", item.reference, "--as", "bob", "--json")
    assert other.exit_code == 0, other.output
    assert [f["destination"] for f in json.loads(other.stdout)["forwards"]] == ["hotline-nl-offlimits"]
    with cli.app.db.sessions() as session:
        [assessment] = session.scalars(select(Assessment)).all()
        assert assessment.assessor_id == users["ana"] and assessment.confirmed_by_id == users["bob"]
        refusals = session.scalars(select(AuditEvent.action).where(AuditEvent.action == "proposal.approve")).all()
        assert refusals == ["proposal.approve"]


def test_references_users_and_destinations_that_do_not_exist_are_one_line(cli) -> None:
    add_users(cli.app)
    item = seed_item(cli.app, 1)
    cases = [
        (("assess", "HL-2026-NOPE-1", "--legal", "not-illegal"), "error: no report with reference 'HL-2026-NOPE-1'"),
        (("assess", "999", "--legal", "not-illegal"), "error: there is no reported URL 999"),
        (("assess", item.reference, "--url", "2", "--legal", "not-illegal"),
         f"error: report {item.reference} has 1 URL(s): --url must be 1 to 1"),
        (("assess", item.reference, "--legal", "not-illegal", "--as", "nobody"), "error: --as nobody: the token is not a live personal token of this user"),
        (("approve", item.reference, "--as", "ana"),
         f"error: URL {item.url_id} is triaged; it must be assessed before approval"),
    ]
    for args, message in cases:
        result = cli(*args)
        assert result.exit_code == 2, (args, result.output)
        assert result.output.strip() == message
    assert cli("assess", item.reference, "--legal", "baseline", "--age-group", "unknown", "--gender", "unknown",
               "--as", "ana").exit_code == 0
    wrong = cli("approve", item.reference, "--destination", "police-ro", "--as", "bob")
    assert wrong.output.strip() == f"error: URL {item.url_id} has no pending proposals to police-ro to approve"


def test_a_report_with_several_urls_needs_url_unless_one_waits(cli) -> None:
    from hotline.models import Report, ReportUrl

    add_users(cli.app)
    first, second = seed_item(cli.app, 1), seed_item(cli.app, 2)
    with cli.app.db.session() as session:  # the first report names the second URL too
        report = session.scalar(select(Report).where(Report.reference == first.reference))
        session.add(ReportUrl(report_id=report.id, reported_url_id=second.url_id, position=1,
                              submitted_url="http://gallery-nl.example-synth.test/album/2"))
    ambiguous = cli("assess", first.reference, "--legal", "not-illegal", "--as", "ana")
    assert ambiguous.output.strip() == f"error: report {first.reference} has 2 URLs; choose one with --url 1 to 2"
    chosen = cli("assess", first.reference, "--url", "2", "--legal", "not-illegal", "--as", "ana", "--json")
    assert json.loads(chosen.stdout)["url_id"] == second.url_id
    # now only the first URL waits, so the reference alone is enough
    rest = cli("assess", first.reference, "--legal", "not-illegal", "--as", "ana", "--json")
    assert json.loads(rest.stdout)["url_id"] == first.url_id


def test_approve_one_destination_then_the_rest(cli) -> None:
    # given an item hosted in Romania, assessed: police first, the hosting provider's notice after
    add_users(cli.app)
    item = seed_item(cli.app, 1, country="RO")
    baseline = ("--legal", "baseline", "--age-group", "unknown", "--gender", "unknown")
    pending = json.loads(cli("assess", item.reference, *baseline, "--as", "ana", "--json").stdout)["pending_proposals"]
    destinations = [p["destination"] for p in pending]
    assert destinations[0] == "police-ro" and len(destinations) == 2
    # when bob approves only the police
    police = json.loads(cli("approve", item.reference, "--destination", "police-ro", "--as", "bob", "--json").stdout)
    # then one forward is queued and the other proposal still waits; approving again takes the rest
    assert [f["destination"] for f in police["forwards"]] == ["police-ro"]
    assert [p["destination"] for p in police["pending_proposals"]] == destinations[1:]
    rest = json.loads(cli("approve", item.reference, "--as", "bob", "--json").stdout)
    assert [f["destination"] for f in rest["forwards"]] == destinations[1:] and rest["pending_proposals"] == []
    with cli.app.db.sessions() as session:
        assert sorted(session.scalars(select(Forward.destination))) == sorted(destinations)
