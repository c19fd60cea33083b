"""Intake and the data model, on SQLite and on the real PostgreSQL."""

from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select

from hotline.executors.leases import claim
from hotline.models import Report, ReportedUrl, UrlState, utcnow
from hotline.pipeline.intake import NothingToReport, submit_report


def test_init_creates_every_table(hotline_db) -> None:
    tables = set(inspect(hotline_db.db.engine).get_table_names())
    assert {
        "report", "reported_url", "capture", "media_item", "fingerprint", "match", "hosting", "proposal",
        "assessment", "forward", "takedown_check", "audit_event", "user", "partner", "hash_list",
    } <= tables


def test_init_twice_is_harmless(hotline_db) -> None:
    hotline_db.init()
    hotline_db.init()


def test_reports_naming_the_same_url_share_one_reported_url(hotline_db) -> None:
    with hotline_db.db.session() as session:
        first = submit_report(session, ["HTTP://Example.ro/a#x"])
        second = submit_report(session, ["http://example.ro:80/a", "http://example.ro/b"])
    with hotline_db.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 2
        urls = session.scalars(select(ReportedUrl.url).order_by(ReportedUrl.url)).all()
        assert urls == ["http://example.ro/a", "http://example.ro/b"]
    assert first.urls[0].id == second.urls[0].id
    assert first.report.reference != second.report.reference


def test_invalid_urls_are_reported_back_and_valid_ones_kept(hotline_db) -> None:
    with hotline_db.db.session() as session:
        result = submit_report(session, ["javascript:alert(1)", "example.ro/ok", "http://x/"])
    assert [u.url for u in result.urls] == ["http://example.ro/ok"]
    assert [r.text for r in result.rejected] == ["javascript:alert(1)", "http://x/"]


def test_a_report_with_no_valid_url_stores_nothing(hotline_db) -> None:
    with pytest.raises(NothingToReport, match="only http and https"), hotline_db.db.session() as session:
        submit_report(session, ["ftp://example.com/"])
    with hotline_db.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 0


def test_a_finished_url_reported_again_long_after_is_looked_at_again(hotline_db) -> None:
    with hotline_db.db.session() as session:
        first = submit_report(session, ["http://example.ro/old"])
        first.report.received_at = utcnow() - timedelta(days=3)
        row = first.urls[0]
        row.advance(UrlState.CLOSED, "not illegal")
        row.updated_at = utcnow() - timedelta(days=3)
    with hotline_db.db.session() as session:
        again = submit_report(session, ["http://example.ro/old"]).urls[0]
        assert again.state == UrlState.NEW


def test_two_claims_never_take_the_same_row(hotline_db) -> None:
    with hotline_db.db.session() as session:
        submit_report(session, [f"http://example.ro/{i}" for i in range(10)])
    with hotline_db.db.sessions() as one, hotline_db.db.sessions() as two:
        _, first = claim(one, UrlState.NEW, limit=6)
        _, second = claim(two, UrlState.NEW, limit=6)
    assert len(first) == 6 and len(second) == 4 and not set(first) & set(second)


def test_an_expired_lease_is_taken_again(hotline_db) -> None:
    with hotline_db.db.session() as session:
        submit_report(session, ["http://example.ro/x"])
    with hotline_db.db.sessions() as session:
        _, taken = claim(session, UrlState.NEW, limit=5, lease=timedelta(seconds=-1))
        _, again = claim(session, UrlState.NEW, limit=5)
    assert taken == again and len(taken) == 1


def test_timestamps_come_back_timezone_aware(hotline_db) -> None:
    with hotline_db.db.session() as session:
        submit_report(session, ["http://example.ro/t"])
    with hotline_db.db.sessions() as session:
        report = session.scalars(select(Report)).one()
        assert report.received_at.tzinfo is not None
