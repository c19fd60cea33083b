"""Which of our items are shared as hashes: assessed illegal by a person (confirmed where four-eyes
applies), the item's own usable hashes only."""

from __future__ import annotations

from typing import Any

from hotline.auth import create_user
from hotline.models import (
    Assessment,
    Capture,
    Fingerprint,
    MediaItem,
    Report,
    ReportedUrl,
    ReportSource,
    ReportUrl,
)
from hotline.triage.assessment import set_four_eyes
from hotline.triage.sharing import shareable_rows


def _item(app: Any, n: int, *, kind: str = "image", legal: str | None = "baseline",
          **assessment: Any) -> int:
    """A URL with one captured item and its hashes (a low-quality PDQ and a frame hash among them), and a
    URL-wide assessment; returns the item id."""
    with app.db.session() as session:
        report = Report(reference=f"HL-2026-SH-{n:05d}", source=ReportSource.PUBLIC)
        row = ReportedUrl(url=f"http://share-{n}.example-synth.test/", host=f"share-{n}.example-synth.test")
        session.add_all([report, row])
        session.flush()
        session.add(ReportUrl(report_id=report.id, reported_url_id=row.id, submitted_url=row.url))
        capture = Capture(reported_url_id=row.id, outcome="ok")
        session.add(capture)
        session.flush()
        item = MediaItem(capture_id=capture.id, url=row.url + "a", kind=kind)
        session.add(item)
        session.flush()
        session.add_all([
            Fingerprint(media_item_id=item.id, kind="sha256", value=f"{n:064x}"),
            Fingerprint(media_item_id=item.id, kind="pdq", value=f"{n:02x}" * 32, quality=20, usable=False),
            Fingerprint(media_item_id=item.id, kind="phash", value=f"{n:016x}", frame=3),
        ])
        if legal is not None:
            session.add(Assessment(reported_url_id=row.id, legal=legal, **assessment))
        return item.id


def _shared(app: Any) -> list[tuple[dict[str, str], str | None, bool]]:
    with app.db.sessions() as session:
        return [(row.hashes, row.label, row.video) for row in shareable_rows(session)]


def test_items_a_person_assessed_as_illegal_are_shared_with_their_usable_item_hashes(make_hotline) -> None:
    app = make_hotline()
    _item(app, 1, legal="baseline")
    _item(app, 2, legal="national", kind="video")
    _item(app, 3, legal="not-illegal")
    _item(app, 4, legal="adult-minors")
    _item(app, 5, legal=None)
    _item(app, 6, legal="baseline", policy="trusted-list")  # decided by an auto-forward policy

    assert _shared(app) == [({"sha256": f"{1:064x}"}, "baseline", False),
                            ({"sha256": f"{2:064x}"}, "national", True)]


def test_an_assessment_of_the_item_itself_overrides_the_urls(make_hotline) -> None:
    app = make_hotline()
    item = _item(app, 1, legal="baseline")
    with app.db.session() as session:
        url_id = session.get(MediaItem, item).capture.reported_url_id  # type: ignore[union-attr]
        session.add(Assessment(reported_url_id=url_id, media_item_id=item, legal="not-illegal"))

    assert _shared(app) == []


def test_a_four_eyes_classification_is_shared_once_a_second_analyst_confirmed_it(make_hotline) -> None:
    app = make_hotline()
    _item(app, 1, legal="baseline")
    with app.db.session() as session:
        sue = create_user(session, "sue", "supervisor", "correct horse battery staple")
        set_four_eyes(session, sue, ["baseline"])

    assert _shared(app) == []
    with app.db.session() as session:
        session.query(Assessment).update({"confirmed_by_id": sue.id})
    assert [label for _, label, _ in _shared(app)] == ["baseline"]
