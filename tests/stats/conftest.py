"""A seeded dataset with known answers: every row built through the models with fixed timestamps.

Period under test: January 2026 ([2026-01-01, 2026-02-01)); previous period: the 31 days before it.

URL  host                    reports (received)                  latest legal   hosting  forwards delivered          removed
U1   repeat.example-synth.nl R1 Jan 2 00:00, R7 Jan 5            baseline       NL       hotline Jan 2 06, police Jan 2 06  Jan 3 00:00
U2   ro.example-synth.ro     R2 Jan 3 00:00, R11 Feb 3 (after)   national       RO       police Jan 3 12, host Jan 4 00     Jan 7 00:00
U3   solo.example-synth.us   P1 Dec 20 00:00, R3 Jan 4           baseline       US       hotline Dec 21 00                  Jan 5 00:00
U4   repeat.example-synth.nl R4 Jan 6 00:00                      baseline*      US->NL   hotline Jan 6 02 (+ re-notice)     Jan 6 12:00
U5   repeat.example-synth.nl R5 Jan 7                            not-illegal    -        -                                  -
U6   other.example-synth.ro  R6 Jan 8                            not-illegal    -        -                                  -
U7   repeat.example-synth.nl R8 Jan 10 00:00                     baseline       NL       hotline Jan 10 01, police Jan 14   Jan 12 00:00
U8   other.example-synth.ro  R8 Jan 10 00:00                     other-harmful  -        platform Jan 11                    -
U9   ro.example-synth.ro     R9 Jan 15                           national       (none)   regulator Jan 16                   -
U10  other.example-synth.ro  R10 Jan 20                          (unassessed)   -        -                                  -
U11  prev.example-synth.ro   P2 Dec 5, P4 Dec 6 (previous period) baseline
U12  prev.example-synth.ro   P3 Dec 7 (previous period)           not-illegal
* U4 was first assessed not-illegal, then baseline: the latest counts. A failed forward to the regulator
  for U7 and a re-notice to U4's hotline must not count.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hotline.models import (
    Assessment,
    Forward,
    Hosting,
    Report,
    ReportedUrl,
    ReportSource,
    ReportUrl,
    UrlState,
)

FROM = datetime(2026, 1, 1, tzinfo=UTC)
TO = datetime(2026, 2, 1, tzinfo=UTC)


def at(month: int, day: int, hour: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def dec(day: int, hour: int = 0) -> datetime:
    return at(12, day, hour, year=2025)


URLS: dict[str, dict[str, Any]] = {
    "U1": {"host": "repeat.example-synth.nl", "legal": ["baseline"], "country": ["NL"], "removed": at(1, 3),
           "forwards": [("hotline", at(1, 2, 6)), ("police", at(1, 2, 6))]},
    "U2": {"host": "ro.example-synth.ro", "legal": ["national"], "country": ["RO"], "removed": at(1, 7),
           "forwards": [("police", at(1, 3, 12)), ("hosting-provider", at(1, 4))]},
    "U3": {"host": "solo.example-synth.us", "legal": ["baseline"], "country": ["US"], "removed": at(1, 5),
           "forwards": [("hotline", dec(21))]},
    "U4": {"host": "repeat.example-synth.nl", "legal": ["not-illegal", "baseline"], "country": ["US", "NL"],
           "removed": at(1, 6, 12), "forwards": [("hotline", at(1, 6, 2))]},
    "U5": {"host": "repeat.example-synth.nl", "legal": ["not-illegal"]},
    "U6": {"host": "other.example-synth.ro", "legal": ["not-illegal"]},
    "U7": {"host": "repeat.example-synth.nl", "legal": ["baseline"], "country": ["NL"], "removed": at(1, 12),
           "forwards": [("hotline", at(1, 10, 1)), ("police", at(1, 14))]},
    "U8": {"host": "other.example-synth.ro", "legal": ["other-harmful"], "forwards": [("platform", at(1, 11))]},
    "U9": {"host": "ro.example-synth.ro", "legal": ["national"], "forwards": [("regulator", at(1, 16))]},
    "U10": {"host": "other.example-synth.ro"},
    "U11": {"host": "prev.example-synth.ro", "legal": ["baseline"]},
    "U12": {"host": "prev.example-synth.ro", "legal": ["not-illegal"]},
}

REPORTS: list[tuple[str, datetime, ReportSource, str | None, list[str]]] = [
    ("P1", dec(20), ReportSource.PUBLIC, "csam", ["U3"]),
    ("P2", dec(5), ReportSource.PUBLIC, "csam", ["U11"]),
    ("P3", dec(7), ReportSource.PARTNER, "csam", ["U12"]),
    ("P4", dec(6), ReportSource.PUBLIC, "csam", ["U11"]),
    ("R1", at(1, 2), ReportSource.PUBLIC, "csam", ["U1"]),
    ("R2", at(1, 3), ReportSource.PUBLIC, "csam", ["U2"]),
    ("R3", at(1, 4), ReportSource.PARTNER, "csam", ["U3"]),
    ("R4", at(1, 6), ReportSource.PARTNER, "csam", ["U4"]),
    ("R5", at(1, 7), ReportSource.API, "other", ["U5"]),
    ("R6", at(1, 8), ReportSource.PUBLIC, None, ["U6"]),
    ("R7", at(1, 5), ReportSource.CLI, "csam", ["U1"]),
    ("R8", at(1, 10), ReportSource.PUBLIC, "csam", ["U7", "U8"]),
    ("R9", at(1, 15), ReportSource.PUBLIC, "grooming", ["U9"]),
    ("R10", at(1, 20), ReportSource.PARTNER, "csam", ["U10"]),
    ("R11", at(2, 3), ReportSource.PUBLIC, "csam", ["U2"]),
    ("EDGE", TO, ReportSource.PUBLIC, "csam", []),  # received at the end instant: outside the period
]


def seed(session: Any) -> dict[str, int]:
    ids: dict[str, int] = {}
    first_report = {}
    for _, received, _, _, names in sorted(REPORTS, key=lambda r: r[1]):
        for name in names:
            first_report.setdefault(name, received)
    for name, spec in URLS.items():
        forwards = spec.get("forwards", [])
        row = ReportedUrl(url=f"http://{spec['host']}/{name.lower()}", host=spec["host"],
                          first_reported_at=first_report[name], removed_at=spec.get("removed"),
                          first_forwarded_at=min((at_ for _, at_ in forwards), default=None),
                          state=UrlState.REMOVED if spec.get("removed") else UrlState.FORWARDED)
        session.add(row)
        session.flush()
        ids[name] = row.id
        for n, legal in enumerate(spec.get("legal", [])):
            session.add(Assessment(reported_url_id=row.id, legal=legal, created_at=first_report[name].replace(hour=n + 1)))
        for n, country in enumerate(spec.get("country", [])):
            session.add(Hosting(reported_url_id=row.id, country=country,
                                located_at=first_report[name].replace(minute=n + 1)))
        for n, (kind, delivered) in enumerate(forwards):
            forward = _forward(row.id, f"{name}-{n}", kind, delivered)
            session.add(forward)
            session.flush()
            if name == "U4":  # a re-notice to the same hotline: the URL still counts once
                session.add(_forward(row.id, f"{name}-{n}-re", kind, at(1, 6, 10), escalation_of_id=forward.id))
        if name == "U7":  # never delivered: does not count
            session.add(Forward(reported_url_id=row.id, destination="ancom", destination_kind="regulator",
                                channel="email", idempotency_key="U7-failed", state="failed",
                                created_at=at(1, 10), next_attempt_at=at(1, 10)))
    for reference, received, source, category, names in REPORTS:
        report = Report(reference=reference, source=source, category_claimed=category, received_at=received)
        session.add(report)
        session.flush()
        for position, name in enumerate(names):
            session.add(ReportUrl(report_id=report.id, reported_url_id=ids[name], position=position,
                                  submitted_url=f"http://{URLS[name]['host']}/{name.lower()}"))
    session.flush()
    return ids


def _forward(url_id: int, key: str, kind: str, delivered: datetime, escalation_of_id: int | None = None) -> Forward:
    return Forward(reported_url_id=url_id, destination=f"dest-{kind}", destination_kind=kind, channel="email",
                   idempotency_key=f"seed-{key}", state="delivered", created_at=delivered,
                   next_attempt_at=delivered, delivered_at=delivered, escalation_of_id=escalation_of_id)
