"""Auto-forward policies: only verified known material goes out without an analyst; pausing stops it.

The rule file is the shipped one with its policy switched on: every media item matched, at or under
distance RADIUS, a trusted baseline list that at least CONFIRMATIONS analysts confirmed.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from hotline.executors.embedded import process_until_idle
from hotline.executors.registry import STAGE_BY_NAME
from hotline.models import Assessment, AuditEvent, Forward, Match, Proposal, ReportedUrl, UrlState, User
from hotline.triage.autoforward import auto_forward_many, set_policies_paused, waiting_ids
from tests.triage.conftest import (
    CONFIRMATIONS,
    RADIUS,
    TRUSTED,
    UNCONFIRMED,
    UNTRUSTED,
    ListSpec,
    add_users,
    policy_rules_file,
    seed_item,
)

POLICY = "trusted-baseline-match"


@pytest.fixture
def policy_app(make_hotline, tmp_path):  # type: ignore[no-untyped-def]
    return make_hotline(rules_file=policy_rules_file(tmp_path))


def events(app, url_id: int, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with app.db.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(
            AuditEvent.action == action, AuditEvent.subject_id == str(url_id)).order_by(AuditEvent.id)))


def state_of(app, url_id: int) -> UrlState:  # type: ignore[no-untyped-def]
    with app.db.sessions() as session:
        return session.get(ReportedUrl, url_id).state


def test_a_fully_matched_page_is_assessed_by_the_policy_and_forwarded(policy_app) -> None:
    # given a page whose two images both matched the trusted baseline list, one exactly, one at the radius
    item = seed_item(policy_app, 1, [(TRUSTED, 0), (TRUSTED, RADIUS)])
    # when the policies run over it
    [outcome] = auto_forward_many(policy_app, [item.url_id])
    # then it is forwarded without an analyst
    assert outcome.forwarded and outcome.policy_id == POLICY and len(outcome.forward_ids) == 1
    with policy_app.db.sessions() as session:
        row = session.get(ReportedUrl, item.url_id)
        assert row.state == UrlState.FORWARDED
        # the assessment is the policy's, never a person's
        [assessment] = session.scalars(select(Assessment)).all()
        assert assessment.policy == POLICY and assessment.assessor_id is None
        assert (assessment.legal, assessment.age_group, assessment.gender) == ("baseline", "unknown", "unknown")
        # the proposals were approved by nobody in person, and their forwards are in the outbox
        approved = session.scalars(select(Proposal).where(Proposal.state == "approved")).all()
        assert [p.destination for p in approved] == ["hotline-nl-offlimits"]
        assert all(p.decided_by_id is None for p in approved)
        [forward] = session.scalars(select(Forward)).all()
        assert forward.id == outcome.forward_ids[0] and forward.state == "queued"
        match_ids = sorted(session.scalars(select(Match.id)))
        # no account was created for the policy
        assert session.scalar(select(func.count()).select_from(User)) == 0
    # and the decision is an AuditEvent on the item with the list, matches and distances behind it
    [decision] = events(policy_app, item.url_id, "policy.forward")
    assert decision.actor == f"policy:{POLICY}" and decision.detail["policy"] == POLICY
    evidence = decision.detail["evidence"]
    assert sorted((e["list"], e["distance"], e["trusted"], e["confirmations"]) for e in evidence) == [
        (TRUSTED.name, 0, True, 3), (TRUSTED.name, RADIUS, True, 3)]
    assert sorted(mid for e in evidence for mid in e["match_ids"]) == match_ids
    assert {e["media_item_id"] for e in evidence} == {str(m) for m in item.media_ids}
    approvals = events(policy_app, item.url_id, "proposal.approve")
    assert [e.actor for e in approvals] == [f"policy:{POLICY}"]


@pytest.mark.parametrize(
    ("matches", "why"),
    [
        ([(TRUSTED, 0), (TRUSTED, RADIUS + 1)], f"distance {RADIUS + 1} > {RADIUS}"),  # near miss outside radius
        ([(UNTRUSTED, 0)], f"list {UNTRUSTED.name} is not trusted"),
        ([(TRUSTED, 0), None], "only 1 of 2 media items matched a qualifying entry"),  # partly matched page
        ([(UNCONFIRMED, 0)], f"1 confirmations < {CONFIRMATIONS}"),
        ([(ListSpec("trusted-national", verdict="national"), 0)], "verdict national"),
        ([], "no qualifying hash-list match"),  # an unmatched page
    ],
    ids=["near-miss-outside-radius", "untrusted-list", "partly-matched-page", "too-few-confirmations",
         "national-verdict", "no-match"],
)
def test_what_does_not_qualify_waits_for_an_analyst(policy_app, matches, why) -> None:
    # given a page that falls short of the policy in one way
    item = seed_item(policy_app, 1, matches, images=max(len(matches), 1))
    # when the policies run over it
    [outcome] = auto_forward_many(policy_app, [item.url_id])
    # then nothing is assessed or forwarded: it stays in the queue for an analyst
    assert not outcome.forwarded
    assert state_of(policy_app, item.url_id) == UrlState.TRIAGED
    with policy_app.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Assessment)) == 0
        assert session.scalar(select(func.count()).select_from(Forward)) == 0
        assert session.scalars(select(Proposal.state)).all() == ["pending"]
    # and the AuditEvent says why, with the URL's matches and distances
    [waiting] = events(policy_app, item.url_id, "policy.wait")
    assert waiting.detail["policy"] == POLICY and why in waiting.detail["why"]
    assert sorted(m["distance"] for m in waiting.detail["matches"]) == sorted(d for m in matches if m for d in [m[1]])


def test_pausing_stops_every_policy_and_resuming_lets_waiting_items_go(policy_app) -> None:
    # given a supervisor who pauses the policies, and an item that would qualify
    add_users(policy_app)
    with policy_app.db.session() as session:
        set_policies_paused(session, session.scalar(select(User).where(User.name == "sue")), True)
    item = seed_item(policy_app, 1, [(TRUSTED, 0)])
    # when the policies run, nothing happens but an AuditEvent saying they are paused
    [outcome] = auto_forward_many(policy_app, [item.url_id])
    assert not outcome.forwarded and state_of(policy_app, item.url_id) == UrlState.TRIAGED
    [waiting] = events(policy_app, item.url_id, "policy.wait")
    assert waiting.detail["why"] == "all policies are paused by a supervisor"
    # when she resumes and the policies run over what still waits, it is forwarded
    with policy_app.db.session() as session:
        set_policies_paused(session, session.scalar(select(User).where(User.name == "sue")), False)
        assert waiting_ids(session) == [item.url_id]
    [again] = auto_forward_many(policy_app, [item.url_id])
    assert again.forwarded and state_of(policy_app, item.url_id) == UrlState.FORWARDED


def test_policies_are_off_by_default(make_hotline) -> None:
    # given the shipped rule file (its policy is disabled) and an item that would qualify
    app = make_hotline()
    item = seed_item(app, 1, [(TRUSTED, 0)])
    # when the policies run, they do nothing at all, not even an AuditEvent
    assert auto_forward_many(app, [item.url_id]) == []
    assert state_of(app, item.url_id) == UrlState.TRIAGED
    assert events(app, item.url_id, "policy.wait") == [] and events(app, item.url_id, "policy.forward") == []


def test_an_item_an_analyst_assessed_or_claimed_is_left_to_them(policy_app) -> None:
    from hotline.triage.assessment import assess, claim

    users = add_users(policy_app)
    assessed, claimed = seed_item(policy_app, 1, [(TRUSTED, 0)]), seed_item(policy_app, 2, [(TRUSTED, 0)])
    with policy_app.db.session() as session:
        ana = session.get(User, users["ana"])
        assess(policy_app, session, assessed.url_id, ana, {"legal": "not-illegal"})
        claim(session, claimed.url_id, ana)
    outcomes = auto_forward_many(policy_app, [assessed.url_id, claimed.url_id])
    # the assessed one is not considered at all; the claimed one qualifies but waits for its analyst
    assert [o.url_id for o in outcomes] == [claimed.url_id] and not outcomes[0].forwarded
    assert "an analyst has claimed the item" in outcomes[0].why
    assert state_of(policy_app, claimed.url_id) == UrlState.TRIAGED


def test_the_pipeline_runs_the_policies_after_triage(make_hotline, tmp_path, database_url) -> None:
    # given items the locate stage has finished with, on SQLite and on PostgreSQL
    app = make_hotline(rules_file=policy_rules_file(tmp_path), database_url=database_url)
    qualifying = seed_item(app, 1, [(TRUSTED, 1)], state=UrlState.LOCATED, propose=False)
    near_miss = seed_item(app, 2, [(TRUSTED, RADIUS + 1)], state=UrlState.LOCATED, propose=False)
    # when the pipeline runs until idle
    done = process_until_idle(app, (STAGE_BY_NAME["triage"],))
    # then triage made proposals for both, and the policy forwarded only the qualifying one
    assert done == {"triage": 2}
    assert state_of(app, qualifying.url_id) == UrlState.FORWARDED
    assert state_of(app, near_miss.url_id) == UrlState.TRIAGED
    with app.db.sessions() as session:
        forwards = session.scalars(select(Forward.reported_url_id)).all()
        assert forwards == [qualifying.url_id]


def test_policy_cli_pause_resume_status_and_apply(make_cli, tmp_path) -> None:
    # given the policy on, a supervisor and an analyst
    cli = make_cli(policy_rules_file(tmp_path))
    add_users(cli.app)
    status = json.loads(cli("policy", "status", "--json").stdout)
    assert status["paused"] is False
    assert [(p["id"], p["enabled"], p["when"]["max_distance"]) for p in status["policies"]] == [(POLICY, True, RADIUS)]
    # when an analyst tries the switch, she is refused in one line
    refused = cli("policy", "pause", "--as", "ana")
    assert refused.exit_code == 2
    assert refused.output.strip() == "error: only a supervisor can pause or resume the auto-forward policies"
    # when the supervisor pauses, the status says so and the policies leave a qualifying item alone
    assert cli("policy", "pause", "--as", "sue").exit_code == 0
    assert json.loads(cli("policy", "status", "--json").stdout)["paused"] is True
    item = seed_item(cli.app, 1, [(TRUSTED, 0)])
    applied = cli("policy", "apply")
    assert applied.exit_code == 0 and "considered=1 forwarded=0 waiting=1" in applied.output
    # when she resumes and applies the policies to what waits, it is forwarded
    assert cli("policy", "resume", "--as", "sue").exit_code == 0
    again = json.loads(cli("policy", "apply", "--json").stdout)
    assert [(o["url_id"], o["forwarded"], o["policy"]) for o in again] == [(item.url_id, True, POLICY)]
    # and both flips are in the audit log under her name
    with cli.app.db.sessions() as session:
        flips = session.scalars(select(AuditEvent).where(AuditEvent.action == "setting.policies_paused")).all()
        assert [(e.actor, e.detail["paused"]) for e in flips] == [("sue", True), ("sue", False)]
