"""`hotline policy apply` over what still waits: a `policy.wait` event only when the decision or its reasons change."""

from __future__ import annotations

from sqlalchemy import select

from hotline.models import AuditEvent, HashList, Match
from tests.triage.conftest import UNTRUSTED, add_users, policy_rules_file, seed_item

POLICY = "trusted-baseline-match"


def _waits(app, url_id: int) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with app.db.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(
            AuditEvent.action == "policy.wait", AuditEvent.subject_id == str(url_id)).order_by(AuditEvent.id)))


def _apply(cli) -> None:  # type: ignore[no-untyped-def]
    applied = cli("policy", "apply")
    assert applied.exit_code == 0 and "waiting=1" in applied.output, applied.output


def test_applying_again_repeats_no_unchanged_wait(make_cli, tmp_path) -> None:
    # given the policy on and an item matched only on an untrusted list, which the policy leaves waiting
    cli = make_cli(policy_rules_file(tmp_path))
    add_users(cli.app)
    item = seed_item(cli.app, 1, [(UNTRUSTED, 0)])
    _apply(cli)
    [first] = _waits(cli.app, item.url_id)
    assert first.actor == f"policy:{POLICY}" and "untrusted" in first.detail["why"]
    # when the policies are applied again with nothing changed
    _apply(cli)
    _apply(cli)
    # then no new event is written
    assert [e.id for e in _waits(cli.app, item.url_id)] == [first.id]


def test_a_changed_reason_or_decision_is_recorded_again(make_cli, tmp_path) -> None:
    # given an item the policy left waiting once
    cli = make_cli(policy_rules_file(tmp_path))
    add_users(cli.app)
    item = seed_item(cli.app, 1, [(UNTRUSTED, 0)])
    _apply(cli)
    # when its evidence changes (a second, farther match on the same image) and the policies run again
    with cli.app.db.session() as session:
        untrusted = session.scalars(select(HashList).where(HashList.name == UNTRUSTED.name)).one()
        session.add(Match(media_item_id=item.media_ids[0], kind="pdq", distance=2, hash_list_id=untrusted.id,
                          verdict=UNTRUSTED.verdict))
    _apply(cli)
    # then a new event carries the new evidence
    first, second = _waits(cli.app, item.url_id)
    assert sorted(m["distance"] for m in second.detail["matches"]) == [0, 2]
    assert len(first.detail["matches"]) == 1
    # when a supervisor pauses the policies, the changed reason is recorded once, however often they run
    assert cli("policy", "pause", "--as", "sue").exit_code == 0
    _apply(cli)
    _apply(cli)
    paused = _waits(cli.app, item.url_id)[2:]
    assert [e.detail["why"] for e in paused] == ["all policies are paused by a supervisor"]
