"""Assessing and approving a reported URL: the one service behind the workspace, the CLI and the API.

- `assess` records an analyst's classification, regenerates the proposals (triage) and, when asked,
  approves them in the same transaction.
- `approve` turns pending proposals into Forward rows (the outbox) in the caller's transaction, so an
  approval and its forwards commit together or not at all.
- Four-eyes is a hand-off: supervisors name legal classifications (a runtime Setting) whose approval
  needs a second person, and who that may be (any other analyst, or only supervisors). Saving such an
  assessment leaves the URL "awaiting approval" with its claim released; an approver approves it or
  sends it back with a note (`send_back`). Nobody approves their own assessment, and neither the
  `system` account nor a partner key counts as a person on either side.
- Claims keep two analysts from working the same item; a claim older than `CLAIM_STALE_AFTER` lapses.
  A claim never blocks the approval of an item awaiting a second person.

Every action writes an AuditEvent in the same transaction. Functions raise `Refused` with a one-line
message for anything a user can get wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hotline import audit
from hotline.auth import has_role, is_person
from hotline.errors import Refused
from hotline.models import (
    Assessment,
    Capture,
    Forward,
    MediaItem,
    Proposal,
    ReportedUrl,
    Setting,
    UrlState,
    User,
    put_setting,
    utcnow,
)
from hotline.outbox import enqueue
from hotline.rules.directory import Directory
from hotline.rules.taxonomy import Classification, LegalAssessment

if TYPE_CHECKING:
    from hotline.app import Hotline

FOUR_EYES_SETTING = "four_eyes"
# Who may be the second person: any analyst other than the assessor, or only a supervisor.
APPROVERS = ("analyst", "supervisor")
CLAIM_STALE_AFTER = timedelta(hours=2)
ASSESSABLE = (UrlState.TRIAGED, UrlState.ASSESSED)


@dataclass
class ApproveResult:
    forwards: list[Forward] = field(default_factory=list)


@dataclass
class AssessResult:
    assessment: Assessment
    forwards: list[Forward] = field(default_factory=list)


# -- four-eyes -------------------------------------------------------------------------------------
def four_eyes_classifications(session: Session) -> set[str]:
    row = session.get(Setting, FOUR_EYES_SETTING)
    return set(row.value.get("legal", [])) if row else set()


def four_eyes_approvers(session: Session) -> str:
    """The role the second person needs: "analyst" (anyone but the assessor) or "supervisor"."""
    row = session.get(Setting, FOUR_EYES_SETTING)
    value = row.value.get("approvers", "analyst") if row else "analyst"
    return value if value in APPROVERS else "analyst"


def set_four_eyes(session: Session, actor: User, legal_values: Iterable[str], approvers: str | None = None) -> set[str]:
    if not has_role(actor, "supervisor"):
        raise Refused("only a supervisor can choose which classifications need a second analyst")
    chosen = sorted({LegalAssessment(v).value for v in legal_values})
    who = approvers or four_eyes_approvers(session)
    if who not in APPROVERS:
        raise Refused(f"approvers must be one of {', '.join(APPROVERS)}")
    put_setting(session, FOUR_EYES_SETTING, {"legal": chosen, "approvers": who})
    audit.record(session, actor.name, "setting.four_eyes", "setting", FOUR_EYES_SETTING, legal=chosen, approvers=who)
    return set(chosen)


def latest_batch(row: ReportedUrl) -> list[Assessment]:
    """The assessments saved together last: the latest one and the per-item ones saved just before it
    by the same assessor in the same save (same moment), oldest first."""
    if not row.assessments:
        return []
    latest = row.assessments[-1]
    batch = [latest]
    for earlier in reversed(row.assessments[:-1]):
        if (earlier.media_item_id is None or earlier.assessor_id != latest.assessor_id
                or earlier.created_at != latest.created_at or earlier.policy != latest.policy):
            break
        batch.insert(0, earlier)
    return batch


def needs_second_person(session: Session, row: ReportedUrl) -> str | None:
    """The four-eyes classification the latest save of this URL waits on, or None (no approval by a second
    person is due: not assessed, not a four-eyes class, decided by a policy, or already confirmed)."""
    if row.state != UrlState.ASSESSED:
        return None
    batch = latest_batch(row)
    if not batch or batch[-1].policy is not None or batch[-1].confirmed_by_id is not None:
        return None
    chosen = four_eyes_classifications(session)
    return next((a.legal for a in reversed(batch) if a.legal in chosen), None)


def may_approve(session: Session, row: ReportedUrl, actor: User) -> bool:
    """Whether `actor` may be the second person for this URL's latest assessment."""
    batch = latest_batch(row)
    return (bool(batch) and is_person(actor) and batch[-1].assessor_id != actor.id
            and has_role(actor, four_eyes_approvers(session)))


def awaiting_approval(session: Session, actor: User | None = None, limit: int = 200) -> list[ReportedUrl]:
    """URLs whose assessment waits for a second person, oldest assessment first; with `actor`, only those
    that person may approve (not their own, and only with the role the setting asks for)."""
    if not four_eyes_classifications(session):
        return []
    rows = session.scalars(
        select(ReportedUrl).where(ReportedUrl.state == UrlState.ASSESSED)
        .options(selectinload(ReportedUrl.assessments), selectinload(ReportedUrl.proposals))
        .order_by(ReportedUrl.updated_at, ReportedUrl.id)
    ).all()
    waiting = [row for row in rows if needs_second_person(session, row)]
    if actor is not None:
        waiting = [row for row in waiting if may_approve(session, row, actor)]
    return waiting[:limit]


# -- claims ----------------------------------------------------------------------------------------
def _row(session: Session, url_id: int, lock: bool = False) -> ReportedUrl:
    stmt = select(ReportedUrl).where(ReportedUrl.id == url_id)
    if lock:
        stmt = stmt.with_for_update()  # PostgreSQL serialises concurrent claims; SQLite has one writer
    row = session.scalar(stmt)
    if row is None:
        raise Refused(f"there is no reported URL {url_id}")
    return row


def claim_holder(row: ReportedUrl) -> int | None:
    """The user holding a live claim on the row, if any."""
    if row.claimed_by_id is None or row.claimed_at is None:
        return None
    if utcnow() - row.claimed_at > CLAIM_STALE_AFTER:
        return None
    return row.claimed_by_id


def check_not_claimed_by_other(session: Session, row: ReportedUrl, actor: User) -> None:
    holder = claim_holder(row)
    if holder is not None and holder != actor.id:
        other = session.get(User, holder)
        raise Refused(f"URL {row.id} is claimed by {other.name if other else holder}; ask them to release it")


def claim(session: Session, url_id: int, actor: User) -> ReportedUrl:
    row = _row(session, url_id, lock=True)
    check_not_claimed_by_other(session, row, actor)
    row.claimed_by_id, row.claimed_at = actor.id, utcnow()
    audit.record(session, actor.name, "url.claim", "reported_url", row.id)
    return row


def release(session: Session, url_id: int, actor: User) -> ReportedUrl:
    row = _row(session, url_id, lock=True)
    holder = claim_holder(row)
    if holder is not None and holder != actor.id and not has_role(actor, "supervisor"):
        raise Refused(f"URL {row.id} is claimed by someone else; only they or a supervisor can release it")
    row.claimed_by_id, row.claimed_at = None, None
    audit.record(session, actor.name, "url.release", "reported_url", row.id)
    return row


# -- assess and approve ----------------------------------------------------------------------------
def parse_classification(fields: Mapping[str, Any] | Classification) -> Classification:
    """Build a Classification from form or CLI fields (empty strings mean "not given")."""
    if isinstance(fields, Classification):
        return fields
    cleaned = {k: v for k, v in fields.items() if v not in (None, "")}
    try:
        return Classification(**cleaned)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise Refused(f"{where}: {message}" if where else message) from None


def assess(
    app: Hotline,
    session: Session,
    url_id: int,
    actor: User,
    classification: Mapping[str, Any] | Classification,
    *,
    media_item_id: int | None = None,
    items: Mapping[int, Mapping[str, Any]] | None = None,
    approve: bool = False,
    hand_off: bool = False,
    directory: Directory | None = None,
) -> AssessResult:
    """Record `actor`'s classification of the URL (or one of its media items) and re-run triage.

    `items` classifies media items of the URL in the same save: for each, the fields that differ from
    the URL's verdict (an empty mapping: "same as the URL"). When a rule then says there is nothing to
    forward (not illegal, ...) the URL is closed with that rule's reason; otherwise it waits for
    approval, or is approved at once with `approve=True`. A four-eyes classification with
    `approve=True` is refused, unless `hand_off`: then it is saved awaiting a second person.
    """
    from hotline.triage.proposals import propose

    chosen = parse_classification(classification)
    per_item = {
        media_id: parse_classification({**chosen.model_dump(mode="json"), "notes": None,
                                        **{k: v for k, v in fields.items() if v}})
        for media_id, fields in (items or {}).items() if any(v for v in fields.values())
    }
    for item_id, item_class in per_item.items():
        if item_class.legal.is_illegal and not chosen.legal.is_illegal:
            # The rules read the URL's verdict: an illegal item under a legal one would close the URL.
            raise Refused(f"item {item_id} is {item_class.legal.value}: the URL's verdict must be illegal too "
                          "(it is the most serious of its items)")
    row = _row(session, url_id, lock=True)
    if row.state not in ASSESSABLE:
        raise Refused(f"URL {row.id} is {row.state.value}, not waiting for assessment")
    check_not_claimed_by_other(session, row, actor)
    for media_id in (media_item_id, *per_item):
        if media_id is not None:
            _check_media_belongs(session, row, media_id)
    four_eyes = four_eyes_classifications(session)
    second_needed = next((c.legal.value for c in (*per_item.values(), chosen) if c.legal.value in four_eyes), None)
    if approve and second_needed and not hand_off:
        raise Refused(f"'{second_needed}' needs a second analyst: someone else must approve it")
    now = utcnow()  # one moment for the whole save: `latest_batch` finds its rows by it
    # Per-item rows first, the URL's own last: "the latest assessment" stays the URL's verdict.
    for media_id, item_class in per_item.items():
        _add_assessment(session, row, actor, item_class, media_id, now)
    assessment = _add_assessment(session, row, actor, chosen, media_item_id, now)
    evaluation = propose(app, session, row)
    session.flush()
    session.expire(row, ["proposals"])  # triage may have written proposal rows without the relationship
    result = AssessResult(assessment)
    if not evaluation.proposals and evaluation.no_forward_rule is not None:
        # A rule says there is nothing to forward (e.g. not illegal): close with its reason.
        _close(session, row, actor, evaluation.no_forward_rule, evaluation.no_forward_reason)
        return result
    row.state = UrlState.ASSESSED
    row.state_reason = None
    if second_needed:
        # The hand-off: saved, released, and waiting in someone else's "Awaiting my approval" list.
        row.claimed_by_id, row.claimed_at = None, None
        audit.record(session, actor.name, "assessment.hand_off", "reported_url", row.id, legal=second_needed)
    elif approve and _pending(row):
        result.forwards = approve_url(app, session, row.id, actor, directory=directory).forwards
    return result


def _add_assessment(session: Session, row: ReportedUrl, actor: User, chosen: Classification,
                    media_item_id: int | None, now: Any) -> Assessment:
    assessment = Assessment(
        reported_url_id=row.id,
        media_item_id=media_item_id,
        assessor_id=actor.id,
        legal=chosen.legal.value,
        content_type=_value(chosen.content_type),
        site_type=_value(chosen.site_type),
        age_group=_value(chosen.age_group),
        gender=_value(chosen.gender),
        notes=chosen.notes or None,
        created_at=now,
    )
    row.assessments.append(assessment)
    session.flush()
    audit.record(session, actor.name, "assessment.create", "reported_url", row.id,
                 assessment_id=assessment.id, media_item_id=media_item_id, **chosen.model_dump(mode="json"))
    return assessment


def send_back(session: Session, url_id: int, actor: User, note: str) -> ReportedUrl:
    """An approver returns an assessment awaiting them to its assessor with a note: the URL waits for
    assessment again, claimed for the assessor, the note on it."""
    note = note.strip()
    if not note:
        raise Refused("say why it goes back (the note): the assessor reads it on the item")
    row = _row(session, url_id, lock=True)
    waiting_on = needs_second_person(session, row)
    if waiting_on is None:
        raise Refused(f"URL {row.id} is not awaiting approval")
    _check_approver(session, row, actor, waiting_on)
    latest = row.assessments[-1]
    for proposal in _pending(row):
        proposal.state, proposal.decided_by_id, proposal.decided_at = "superseded", actor.id, utcnow()
    row.state, row.state_reason = UrlState.TRIAGED, f"Sent back by {actor.name}: {note[:2000]}"
    row.claimed_by_id, row.claimed_at = latest.assessor_id, utcnow()
    audit.record(session, actor.name, "assessment.send_back", "reported_url", row.id,
                 assessment_id=latest.id, note=note[:2000])
    return row


def approve_url(
    app: Hotline,
    session: Session,
    url_id: int,
    actor: User,
    destination: str | None = None,
    *,
    directory: Directory | None = None,
) -> ApproveResult:
    """Approve the URL's pending proposals (or only those to `destination`) and queue their forwards."""
    row = _row(session, url_id, lock=True)
    if row.state not in (UrlState.ASSESSED, UrlState.FORWARDED):
        raise Refused(f"URL {row.id} is {row.state.value}; it must be assessed before approval")
    latest = row.assessments[-1] if row.assessments else None
    if latest is None:
        raise Refused(f"URL {row.id} has no assessment to approve")
    waiting_on = needs_second_person(session, row)
    if waiting_on is not None:
        # The second person: whoever holds a claim on it does not stand in their way.
        _check_approver(session, row, actor, waiting_on)
        for assessment in latest_batch(row):
            assessment.confirmed_by_id = actor.id
    else:
        check_not_claimed_by_other(session, row, actor)
    pending = [p for p in _pending(row) if destination is None or p.destination == destination]
    if not pending:
        wanted = f" to {destination}" if destination else ""
        raise Refused(f"URL {row.id} has no pending proposals{wanted} to approve")
    directory = directory or app.directory
    hosting = row.hostings[-1] if row.hostings else None
    now = utcnow()
    result = ApproveResult()
    for proposal in pending:
        proposal.state, proposal.decided_by_id, proposal.decided_at = "approved", actor.id, now
        # The outbox fixes channel and address now and holds what waits for police clearance.
        forward = enqueue(session, proposal, directory=directory, hosting=hosting, assessment=latest,
                          actor=actor.name, now=now)
        audit.record(session, actor.name, "proposal.approve", "reported_url", row.id, proposal_id=proposal.id,
                     forward_id=forward.id, destination=proposal.destination, channel=forward.channel,
                     forward_state=forward.state)
        result.forwards.append(forward)
    row.state = UrlState.FORWARDED
    row.first_forwarded_at = row.first_forwarded_at or now
    row.claimed_by_id, row.claimed_at = None, None
    return result


def assess_attachment(session: Session, media_item_id: int, actor: User,
                      classification: Mapping[str, Any] | Classification) -> Assessment:
    """Record `actor`'s classification of an attachment (a picture or video a report brought without a
    URL). Nothing is proposed or forwarded for it; like any assessed item it is matched against later."""
    chosen = parse_classification(classification)
    media = session.get(MediaItem, media_item_id)
    if media is None:
        raise Refused(f"there is no media item {media_item_id}")
    report = media.capture.report
    if report is None:
        raise Refused(f"media item {media_item_id} was captured from a URL: assess it on that URL")
    if report.closed_reason is not None:
        raise Refused(f"report {report.reference} is closed as {report.closed_reason}")
    assessment = Assessment(
        reported_url_id=None, media_item_id=media.id, assessor_id=actor.id, legal=chosen.legal.value,
        content_type=_value(chosen.content_type), site_type=_value(chosen.site_type),
        age_group=_value(chosen.age_group), gender=_value(chosen.gender), notes=chosen.notes or None,
    )
    session.add(assessment)
    session.flush()
    audit.record(session, actor.name, "assessment.create", "media_item", media.id, report=report.reference,
                 assessment_id=assessment.id, **chosen.model_dump(mode="json"))
    return assessment


def _check_approver(session: Session, row: ReportedUrl, actor: User, legal: str) -> None:
    """Two different people: the `system` account (scripts without --as) and partner keys are never one
    of them, as assessor or as approver; the approver has the role the four-eyes setting asks for."""
    latest = row.assessments[-1]
    if not is_person(actor):
        raise Refused(f"'{legal}' needs two people, and {actor.name} is not a person: a person must approve "
                      "it (on the command line: --as NAME with that person's credentials)")
    assessor = session.get(User, latest.assessor_id) if latest.assessor_id is not None else None
    if assessor is None or not is_person(assessor):
        who = assessor.name if assessor is not None else "no one"
        raise Refused(f"'{legal}' needs two people, and its assessment is by {who}, not a person: a person "
                      "must assess it, then someone else approves")
    if assessor.id == actor.id:
        raise Refused(f"'{legal}' needs a second analyst: someone other than its assessor must approve")
    if not has_role(actor, four_eyes_approvers(session)):
        raise Refused(f"'{legal}' needs a supervisor's approval: ask a supervisor to approve it")


def _close(session: Session, row: ReportedUrl, actor: User, rule: str, reason: str | None) -> None:
    row.state, row.state_reason = UrlState.CLOSED, reason
    row.claimed_by_id, row.claimed_at = None, None
    audit.record(session, actor.name, "url.close", "reported_url", row.id, rule=rule, reason=reason)


def _pending(row: ReportedUrl) -> list[Proposal]:
    return [p for p in row.proposals if p.state == "pending"]


def _value(member: Any) -> str | None:
    return None if member is None else str(member.value)


def _check_media_belongs(session: Session, row: ReportedUrl, media_item_id: int) -> None:
    owner = session.scalar(
        select(Capture.reported_url_id).join(MediaItem, MediaItem.capture_id == Capture.id)
        .where(MediaItem.id == media_item_id)
    )
    if owner != row.id:
        raise Refused(f"media item {media_item_id} does not belong to URL {row.id}")


# The name the CLI and API use; `approve_url` inside this module, where `approve` is also a flag.
approve = approve_url
