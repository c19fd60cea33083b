"""Where a reported URL stands, in words that are true: "forwarded" only once something was delivered.

One function for every page and list that shows an item's state (the queue, the item page, the
approvals list), so they cannot disagree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy.orm import Session

from hotline.i18n import N_
from hotline.models import ReportedUrl, UrlState
from hotline.triage.assessment import needs_second_person

IN_PIPELINE = {
    UrlState.NEW: N_("waiting for capture"),
    UrlState.CAPTURED: N_("captured, being fingerprinted"),
    UrlState.FINGERPRINTED: N_("fingerprinted, being located"),
    UrlState.LOCATED: N_("located, waiting for the rules"),
}
# The order forward states are told in, most in need of a person first.
FORWARD_STATES = ("failed", "held", "queued", "sending", "delivered")


@dataclass(frozen=True)
class Status:
    key: str  # a stable word for styling and tests: waiting, awaiting-approval, assessed, approved, ...
    label: str  # the sentence a person reads (English; marked for the catalogues, translated on the page)
    forwards: tuple[tuple[str, int], ...] = ()  # (forward state, how many), in FORWARD_STATES order

    @property
    def forwards_label(self) -> str:
        return ", ".join(f"{count} {state}" for state, count in self.forwards)


def status_of(session: Session, row: ReportedUrl) -> Status:
    counts = Counter(f.state for f in row.forwards)
    forwards = tuple((state, counts[state]) for state in FORWARD_STATES if counts[state])
    if row.state in IN_PIPELINE:
        return Status("processing", IN_PIPELINE[row.state])
    if row.state == UrlState.TRIAGED:
        sent_back = (row.state_reason or "").startswith("Sent back")
        return Status("sent-back" if sent_back else "waiting",
                      N_("sent back for assessment") if sent_back else N_("waiting for assessment"))
    if row.state == UrlState.ASSESSED:
        if needs_second_person(session, row):
            return Status("awaiting-approval", N_("assessed, awaiting approval by a second person"))
        return Status("assessed", N_("assessed, forwards not approved yet"))
    if row.state == UrlState.FORWARDED:
        if counts["delivered"] and counts["delivered"] == len(row.forwards):
            label = N_("approved, all forwards delivered")
        elif counts["delivered"]:
            label = N_("approved, partly delivered")
        elif counts["failed"]:
            label = N_("approved, forwarding failed")
        elif counts["held"] and not counts["queued"]:
            label = N_("approved, forwards held")
        else:
            label = N_("approved, forwards not delivered yet")
        return Status("approved", label, forwards)
    if row.state == UrlState.REMOVED:
        return Status("removed", N_("content removed"), forwards)
    if row.state == UrlState.CLOSED:
        return Status("closed", N_("closed: nothing to forward"), forwards)
    return Status("refused", N_("refused by the capture guard"))
