"""Evidence retention on real captures: what goes, what stays (shared blobs, legal hold), the dry run,
the audit event, and what the product says about purged evidence afterwards."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from sqlalchemy import func, select

from hotline.models import AuditEvent, Capture, MediaItem
from tests.care.conftest import Captured, age, every_evidence


def _files(data_dir: Path) -> set[str]:
    root = data_dir / "evidence"
    return {p.relative_to(root).as_posix() for p in root.rglob("*.enc")}


def _events(app, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with app.db.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _purge(captured: Captured, *args: str) -> dict:  # type: ignore[type-arg]
    result = captured.cli("evidence", "purge", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_dry_run_says_what_would_go_and_changes_nothing(captured: Captured) -> None:
    with captured.app() as app:
        age(app, captured.references["one"], 400, "closed")
        before_files, before = _files(captured.data_dir), every_evidence(app)
    listed = captured.cli("evidence", "purge", "--older-than", "365", "--dry-run")
    assert listed.exit_code == 0, listed.output
    assert "would delete the evidence of 1 captures: 1 WARC files and 1 blobs" in listed.output
    assert "kept 1 blobs other captures share" in listed.output
    assert "one.care-synth.ro/p (closed)" in listed.output
    with captured.app() as app:
        assert _files(captured.data_dir) == before_files and every_evidence(app) == before
        assert not _events(app, "evidence.purge")


def test_purge_deletes_what_no_one_else_needs_and_keeps_the_records(captured: Captured) -> None:
    with captured.app() as app:
        age(app, captured.references["one"], 400, "closed")
        age(app, captured.references["three"], 10, "removed")  # too recent for 365 days
        before = every_evidence(app)
    # when the old, closed URL's evidence is purged
    counts = _purge(captured, "--older-than", "365", "--as", "sue")
    # then its WARC and its own image are gone, the image it shares with report two stays
    assert (counts["captures"], counts["warcs"], counts["blobs"], counts["blobs_shared"]) == (1, 1, 1, 1)
    with captured.app() as app, app.db.sessions() as session:
        capture = session.get(Capture, counts["capture_ids"][0])
        assert capture.purged_at is not None and capture.warc_path is None
        media = session.scalars(select(MediaItem).where(MediaItem.capture_id == capture.id)).all()
        assert media and all(m.blob is None for m in media) and all(m.sha256 for m in media)  # hashes kept
        left = every_evidence(app)
        gone = set(before) - set(left)
        assert len(gone) == 2 and all(not (app.evidence.root / p).exists() for p in gone if p.startswith("warc/"))
        assert all(left[k] == before[k] for k in left)  # the others read as before, the shared image too
        event = _events(app, "evidence.purge")[0]
        assert event.actor == "sue" and event.detail["captures"] == 1 and event.detail["blobs_shared"] == 1
    assert captured.cli("audit", "verify").exit_code == 0
    # and the product says the evidence was purged instead of failing
    shown = json.loads(captured.cli("show", captured.references["one"], "--json").stdout)
    assert shown["urls"][0]["capture"]["purged_at"] and shown["urls"][0]["capture"]["warc"] is None
    exported = captured.cli("evidence", "export", captured.references["one"], "--out", str(captured.data_dir.parent / "x"))
    assert exported.exit_code == 1 and "was purged on" in exported.output


def test_a_shared_blob_goes_when_its_last_capture_goes(captured: Captured) -> None:
    with captured.app() as app:
        age(app, captured.references["one"], 400, "closed")
        first_blobs = len(_files(captured.data_dir))
    _purge(captured, "--older-than", "365")
    with captured.app() as app:
        age(app, captured.references["two"], 400, "removed")
    counts = _purge(captured, "--older-than", "365")
    assert (counts["captures"], counts["blobs"], counts["blobs_shared"]) == (1, 2, 0)  # its own and the shared one
    with captured.app() as app, app.db.sessions() as session:
        referenced = set(session.scalars(select(MediaItem.blob).where(MediaItem.blob.is_not(None))))
        assert {p.rsplit("/", 1)[-1].removesuffix(".enc") for p in _files(captured.data_dir) if p.startswith("blobs/")} \
            == referenced
    assert len(_files(captured.data_dir)) == first_blobs - 2 - 3


def test_evidence_of_a_report_on_legal_hold_is_never_purged(captured: Captured) -> None:
    reference = captured.references["one"]
    held = captured.cli("hold", "set", reference, "--reason", "police case 2026/114", "--as", "sue")
    assert held.exit_code == 0, held.output
    with captured.app() as app:
        age(app, reference, 400, "closed")
        before = every_evidence(app)
    counts = _purge(captured, "--older-than", "365", "--state", "closed,removed")
    assert (counts["captures"], counts["held"]) == (0, 1)
    with captured.app() as app:
        assert every_evidence(app) == before
    # released, it follows the retention rules again
    assert captured.cli("hold", "release", reference, "--as", "sue", "--reason", "case closed").exit_code == 0
    assert _purge(captured, "--older-than", "365")["captures"] == 1


def test_a_blob_a_capture_just_reused_is_kept_for_a_later_run(captured: Captured) -> None:
    with captured.app() as app:
        age(app, captured.references["one"], 400, "closed")
        with app.db.sessions() as session:
            own = session.scalars(select(MediaItem.blob).join(Capture).where(
                Capture.reported_url_id == 1, MediaItem.kind == "image")).all()
        for blob in own:  # a new capture stored the same content a moment ago
            os.utime(app.evidence.blob_path(blob))
    counts = _purge(captured, "--older-than", "365")
    assert (counts["blobs"], counts["blobs_in_use"]) == (0, 1)
    with captured.app() as app:
        stamp = time.time() - 86400 * 400
        for blob in own:
            os.utime(app.evidence.blob_path(blob), (stamp, stamp))
    again = _purge(captured, "--older-than", "365")
    assert (again["captures"], again["blobs"]) == (0, 1)  # picked up without a capture to purge
    with captured.app() as app, app.db.sessions() as session:
        assert session.scalar(select(func.count()).where(MediaItem.blob.in_(own))) == 1  # report two's copy


def test_refusals_are_one_line_and_change_nothing(captured: Captured) -> None:
    before = _files(captured.data_dir)
    for args, message in (
        (("--older-than", "0"), "at least 1 day"),
        (("--older-than", "30", "--state", "triaged"), "not 'triaged'"),
        (("--older-than", "30", "--state", "bogus"), "not 'bogus'"),
    ):
        result = captured.cli("evidence", "purge", *args)
        assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert _files(captured.data_dir) == before


def test_a_purge_stopped_before_its_deletions_is_finished_by_the_next_run(captured: Captured, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from hotline.evidence import retention

    with captured.app() as app:
        age(app, captured.references["one"], 400, "closed")
        original_delete = retention._delete
        monkeypatch.setattr(retention, "_delete", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
        try:
            retention.purge(app, 365)
        except KeyboardInterrupt:
            pass
        monkeypatch.setattr(retention, "_delete", original_delete)
        pending = app.evidence.root / retention.PENDING
        listed = json.loads(pending.read_text())
        assert len(listed) == 2 and all((app.evidence.root / f).exists() for f in listed)
        nothing = retention.purge(app, 365)
        assert nothing.captures == 0 and not pending.exists()
        assert not any((app.evidence.root / f).exists() for f in listed)
        with app.db.sessions() as session:
            referenced = set(session.scalars(select(MediaItem.blob).where(MediaItem.blob.is_not(None))))
    on_disk = {p.rsplit("/", 1)[-1].removesuffix(".enc") for p in _files(captured.data_dir) if p.startswith("blobs/")}
    assert on_disk == referenced


def test_automatic_retention_runs_at_most_hourly_and_only_when_set(captured: Captured) -> None:
    from hotline.evidence.retention import retention_job

    with captured.app() as app:
        age(app, captured.references["one"], 400, "closed")
        assert retention_job(app) == 0  # off by default
    with captured.app(retention_days=365) as app:
        assert retention_job(app) == 1
        age(app, captured.references["two"], 400, "closed")
        assert retention_job(app) == 0  # not again within the hour
        assert _events(app, "evidence.purge")[0].actor == "retention"
