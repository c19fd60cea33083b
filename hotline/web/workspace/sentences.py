"""Audit events told as sentences for people (history on the item page, the audit log); the JSON stays
one click away for whoever needs the exact record."""

from __future__ import annotations

from typing import Any

# action -> template over the event's detail (and {actor}, {subject}); unknown keys read as "?".
SENTENCES: dict[str, str] = {
    "assessment.create": "{actor} assessed {target} as {legal}{victim}{notes}",
    "assessment.hand_off": "{actor} sent the assessment ({legal}) for approval by a second person",
    "assessment.send_back": "{actor} sent the assessment back: \u201c{note}\u201d",
    "proposal.approve": "{actor} approved the forward to {destination} by {channel} ({forward_state})",
    "url.claim": "{actor} claimed the item",
    "url.release": "{actor} released the item",
    "url.close": "{actor} closed the item: {reason}",
    "media.reveal": "{actor} revealed item {subject_id}",
    "media.show_known": "{actor} showed known-list item {subject_id} ({reason})",
    "screenshot.reveal": "{actor} revealed the screenshot",
    "evidence.download": "{actor} downloaded the evidence ({size} bytes)",
    "evidence.export": "{actor} exported the evidence",
    "evidence.purge": "{actor} purged the evidence (retention)",
    "forward.queued": "{actor} queued a forward to {destination}",
    "forward.held": "{actor} held the forward to {destination}: {reason}",
    "forward.delivered": "the forward to {destination} was delivered",
    "forward.failed": "the forward to {destination} failed: {error}",
    "forward.requeued": "{actor} queued forward {subject_id} again (it had failed: {last_error})",
    "forward.released": "{actor} released held forward {subject_id}",
    "forward.retry": "forward {subject_id} will be tried again",
    "forward.readdressed": "{actor} re-addressed forward {subject_id}",
    "forward.sent-by-hand": "{actor} recorded the forward to {destination} as sent by hand: {note}",
    "capture.again": "{actor} asked for the page to be captured again",
    "capture.retry": "{actor} asked for the capture to be retried",
    "report.legal_hold": "{actor} put report {subject_id} on legal hold: {reason}",
    "report.legal_hold_release": "{actor} released report {subject_id} from legal hold: {reason}",
    "report.close": "{actor} closed report {subject_id} as {reason}",
    "report.record": "{actor} recorded report {subject_id}",
    "takedown.removed": "the content was found removed",
    "takedown.reappeared": "the content was found online again",
    "takedown.renotice": "a new notice was asked for",
    "setting.four_eyes": "{actor} set which classifications need a second person: {legal}",
    "setting.policies_paused": "{actor} changed whether auto-forward policies are paused",
    "login": "{actor} logged in",
    "login.failed": "a log-in as {actor} failed",
    "logout": "{actor} logged out",
    "user.preferences": "{actor} changed their preferences (language {language}, reveal on open {reveal_on_open})",
}


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def describe(event: Any) -> str:
    """One sentence for an AuditEvent (anything with actor, action, subject_type, subject_id, detail)."""
    detail = dict(event.detail or {})
    values = _Lenient({k: _plain(v) for k, v in detail.items()})
    values.update(actor=event.actor, subject_id=event.subject_id or "", subject=event.subject_type or "")
    if event.action == "assessment.create":
        media_id = detail.get("media_item_id") or (event.subject_id if event.subject_type == "media_item" else None)
        values["target"] = f"item {media_id}" if media_id else "the URL"
        victim = [v for v in (detail.get("age_group"), detail.get("gender")) if v]
        values["victim"] = f" ({', '.join(victim)})" if victim else ""
        values["notes"] = f"; notes: \u201c{detail['notes']}\u201d" if detail.get("notes") else ""
    template = SENTENCES.get(event.action)
    if template is None:
        subject = f" {event.subject_type} {event.subject_id}" if event.subject_type else ""
        return f"{event.actor}: {event.action.replace('.', ' ').replace('_', ' ')}{subject}"
    return template.format_map(values)


def _plain(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)
