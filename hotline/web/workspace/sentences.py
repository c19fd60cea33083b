"""Audit events told as sentences for people (history on the item page, the audit log); the JSON stays
one click away for whoever needs the exact record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import pass_context

from hotline.i18n import N_

# action -> template over the event's detail (and {actor}, {subject}); unknown keys read as "?".
SENTENCES: dict[str, str] = {
    "assessment.create": N_("{actor} assessed {target} as {legal}{victim}{notes}"),
    "assessment.hand_off": N_("{actor} sent the assessment ({legal}) for approval by a second person"),
    "assessment.send_back": N_("{actor} sent the assessment back: \u201c{note}\u201d"),
    "proposal.approve": N_("{actor} approved the forward to {destination} by {channel} ({forward_state})"),
    "url.claim": N_("{actor} claimed the item"),
    "url.release": N_("{actor} released the item"),
    "url.close": N_("{actor} closed the item: {reason}"),
    "media.reveal": N_("{actor} revealed item {subject_id}"),
    "media.show_known": N_("{actor} showed known-list item {subject_id} ({reason})"),
    "screenshot.reveal": N_("{actor} revealed the screenshot"),
    "evidence.download": N_("{actor} downloaded the evidence ({size} bytes)"),
    "evidence.export": N_("{actor} exported the evidence"),
    "evidence.purge": N_("{actor} purged the evidence (retention)"),
    "forward.queued": N_("{actor} queued a forward to {destination}"),
    "forward.held": N_("{actor} held the forward to {destination}: {reason}"),
    "forward.delivered": N_("the forward to {destination} was delivered"),
    "forward.failed": N_("the forward to {destination} failed: {error}"),
    "forward.requeued": N_("{actor} queued forward {subject_id} again (it had failed: {last_error})"),
    "forward.released": N_("{actor} released held forward {subject_id}"),
    "forward.retry": N_("forward {subject_id} will be tried again"),
    "forward.readdressed": N_("{actor} re-addressed forward {subject_id}"),
    "forward.sent-by-hand": N_("{actor} recorded the forward to {destination} as sent by hand: {note}"),
    "capture.again": N_("{actor} asked for the page to be captured again"),
    "capture.retry": N_("{actor} asked for the capture to be retried"),
    "report.legal_hold": N_("{actor} put report {subject_id} on legal hold: {reason}"),
    "report.legal_hold_release": N_("{actor} released report {subject_id} from legal hold: {reason}"),
    "report.close": N_("{actor} closed report {subject_id} as {reason}"),
    "report.record": N_("{actor} recorded report {subject_id}"),
    "takedown.removed": N_("the content was found removed"),
    "takedown.reappeared": N_("the content was found online again"),
    "takedown.renotice": N_("a new notice was asked for"),
    "setting.four_eyes": N_("{actor} set which classifications need a second person: {legal}"),
    "setting.policies_paused": N_("{actor} changed whether auto-forward policies are paused"),
    "login": N_("{actor} logged in"),
    "login.failed": N_("a log-in as {actor} failed"),
    "logout": N_("{actor} logged out"),
    "user.preferences": N_("{actor} changed their preferences (language {language}, reveal on open {reveal_on_open})"),
}


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def describe(event: Any, gettext: Callable[[str], str] | None = None) -> str:
    """One sentence for an AuditEvent (anything with actor, action, subject_type, subject_id, detail), in
    the catalogue's language when `gettext` is given."""
    detail = dict(event.detail or {})
    values = _Lenient({k: _plain(v) for k, v in detail.items()})
    values.update(actor=event.actor, subject_id=event.subject_id or "", subject=event.subject_type or "")
    if event.action == "assessment.create":
        media_id = detail.get("media_item_id") or (event.subject_id if event.subject_type == "media_item" else None)
        say = gettext or (lambda text: text)
        values["target"] = say(N_("item %(id)s")) % {"id": media_id} if media_id else say(N_("the URL"))
        victim = [v for v in (detail.get("age_group"), detail.get("gender")) if v]
        values["victim"] = f" ({', '.join(victim)})" if victim else ""
        values["notes"] = f"; notes: \u201c{detail['notes']}\u201d" if detail.get("notes") else ""
    template = SENTENCES.get(event.action)
    if template is not None and gettext is not None:
        template = gettext(template)
    if template is None:
        subject = f" {event.subject_type} {event.subject_id}" if event.subject_type else ""
        return f"{event.actor}: {event.action.replace('.', ' ').replace('_', ' ')}{subject}"
    return template.format_map(values)


@pass_context
def sentence_filter(context: Any, event: Any) -> str:
    """The `sentence` filter of the workspace's templates: in the page's language."""
    return describe(event, context.get("_"))


def _plain(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)
