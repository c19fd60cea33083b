"""Closing invalid reports in one action (CLI, API; the workspace has its own tests), duplicates found at
intake, staff intake from the CLI, and what the statistics make of them."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from hotline.models import Assessment, Report, ReportedUrl, ReportSource, UrlState, utcnow
from hotline.pipeline.intake import submit_report
from hotline.stats import compute
from hotline.stats.model import Ratio, Share
from hotline.triage.queue import review_queue
from hotline.web.api.partners import create_partner
from hotline.web.public.status import hash_status_secret, report_progress
from tests.triage.conftest import add_users, seed_item


def _report(app, reference: str) -> Report:  # type: ignore[no-untyped-def]
    with app.db.sessions() as session:
        report = session.scalar(select(Report).where(Report.reference == reference))
        assert report is not None
        _ = report.urls, report.duplicate_of
        return report


def _states(app, reference: str) -> list[str]:  # type: ignore[no-untyped-def]
    with app.db.sessions() as session:
        report = session.scalar(select(Report).where(Report.reference == reference))
        assert report is not None
        return [link.reported_url.state.value for link in report.urls]


# -- duplicates at intake --------------------------------------------------------------------------
def test_a_report_of_urls_just_reported_is_closed_as_a_duplicate_and_its_status_still_works(make_hotline) -> None:
    app = make_hotline()
    # given a report of two addresses
    with app.db.session() as session:
        first = submit_report(session, ["http://site.example-synth.ro/a", "http://site.example-synth.ro/b"])
        first_ref = first.report.reference
    # when someone reports the same two an hour later, with a status secret
    with app.db.session() as session:
        second = submit_report(session, ["site.example-synth.ro/b", "HTTP://site.example-synth.ro/a#top"],
                               source=ReportSource.PUBLIC, status_secret_hash=hash_status_secret("K7QM-2XRT"))
        second_ref, duplicate_of = second.report.reference, second.duplicate_of
    # then it is stored, closed as a duplicate of the first, linked to the same URLs, which stay queued once
    report = _report(app, second_ref)
    assert duplicate_of == first_ref and report.closed_reason == "duplicate" and report.closed_by_id is None
    assert report.duplicate_of is not None and report.duplicate_of.reference == first_ref
    assert [link.reported_url_id for link in report.urls] == [u.id for u in reversed(first.urls)]
    # and its reporter's status page still shows the addresses' progress
    with app.db.sessions() as session:
        assert report_progress(session, second_ref, "k7qm2xrt") == ["received", "received"]
    # and a report naming one new address as well is no duplicate
    with app.db.session() as session:
        third = submit_report(session, ["http://site.example-synth.ro/a", "http://site.example-synth.ro/c"])
        assert third.report.closed_reason is None and third.duplicate_of is None
    # and a duplicate of a duplicate points at the original
    with app.db.session() as session:
        fourth = submit_report(session, ["http://site.example-synth.ro/b"])
    assert fourth.duplicate_of == first_ref


def test_the_dedup_window_is_the_capture_dedup_setting(make_hotline) -> None:
    # given a hotline that treats an address as just reported for 2 hours
    app = make_hotline(capture_dedup_hours=2)
    with app.db.session() as session:
        earlier = submit_report(session, ["http://old.example-synth.ro/x"])
        earlier.report.received_at = utcnow() - timedelta(hours=3)
        row = earlier.urls[0]
        row.advance(UrlState.CLOSED, "not illegal")
        row.updated_at = utcnow() - timedelta(hours=3)
    # when the address is reported again three hours later through the CLI (which reads the setting)
    from typer.testing import CliRunner

    from cli import app as cli_app

    answer = CliRunner().invoke(cli_app, ["submit", "http://old.example-synth.ro/x", "--json"],
                                env={"HOTLINE_DATA_DIR": str(app.settings.data_dir),
                                     "HOTLINE_CAPTURE_DEDUP_HOURS": "2"})
    # then it is a new, valid report and the URL is looked at again
    assert answer.exit_code == 0, answer.output
    assert json.loads(answer.stdout)["closed"] is None
    assert _states(app, json.loads(answer.stdout)["reference"]) == ["new"]
    # and within the window the next one is a duplicate, said in words
    again = CliRunner().invoke(cli_app, ["submit", "http://old.example-synth.ro/x"],
                               env={"HOTLINE_DATA_DIR": str(app.settings.data_dir)})
    assert again.exit_code == 0 and "closed as a duplicate of HL-" in again.stderr


# -- staff intake from the CLI ---------------------------------------------------------------------
def test_an_operator_records_a_phone_report_from_the_cli(make_cli) -> None:
    cli = make_cli()
    add_users(cli.app)
    # when an operator records a call passed on by a helpline, with two addresses
    answer = cli("submit", "--source", "phone", "--via", "ALO 116", "--as", "ana", "--category", "grooming",
                 "--description", "caller (a parent) saw a chat asking a child for photos",
                 "http://chat.example-synth.ro/room/4", "forum.example-synth.ro/t/9", "--json")
    assert answer.exit_code == 0, answer.output
    reference = json.loads(answer.stdout)["reference"]
    # then the report says how it came and who took it, and its URLs go to capture
    report = _report(cli.app, reference)
    with cli.app.db.sessions() as session:
        from hotline.models import User

        recorder = session.get(User, report.recorded_by_id)
    assert (report.source, report.via, report.category_claimed) == (ReportSource.PHONE, "ALO 116", "grooming")
    assert recorder is not None and recorder.name == "ana"
    assert report.reporter_contact is None and report.closed_reason is None
    assert _states(cli.app, reference) == ["new", "new"]
    # and a call about something with no address is kept, closed as no-url
    empty = cli("submit", "--source", "letter", "--description", "a letter about a neighbour", "--json")
    assert empty.exit_code == 0, empty.output
    assert json.loads(empty.stdout)["closed"] == "no-url"


@pytest.mark.parametrize(("args", "message"), [
    (["--source", "fax", "http://a.example-synth.ro/"], "unknown source 'fax'"),
    (["--via", "ALO 116", "http://a.example-synth.ro/"], "give --source too"),
    (["--source", "phone", "--as", "nobody", "http://a.example-synth.ro/"], "--as nobody: "),  # unproved
    (["--source", "phone", "ftp://a.example-synth.ro/"], "only http and https"),
    ([], "no address given"),
])
def test_staff_intake_mistakes_are_one_line_and_store_nothing(make_cli, args: list[str], message: str) -> None:
    cli = make_cli()
    answer = cli("submit", *args)
    assert answer.exit_code == 2 and message in answer.stderr and "Traceback" not in answer.output
    with cli.app.db.sessions() as session:
        assert session.scalars(select(Report)).all() == []


# -- closing ---------------------------------------------------------------------------------------
def test_closing_a_report_closes_its_urls_no_other_open_report_names(make_cli) -> None:
    cli = make_cli()
    add_users(cli.app)
    # given two reports waiting in the queue, the second also naming the first one's URL
    own = seed_item(cli.app, 1)
    shared = seed_item(cli.app, 2)
    with cli.app.db.session() as session:
        row = session.get(ReportedUrl, own.url_id)
        assert row is not None
        both = submit_report(session, [row.url, "http://spam.example-synth.ro/"]).report.reference
    # when an analyst closes the second report as out of scope, with a note
    answer = cli("close", both, "--reason", "out-of-scope", "--note", "spam advert", "--as", "ana", "--json")
    assert answer.exit_code == 0, answer.output
    done = json.loads(answer.stdout)
    # then its own URL is closed and leaves the queue; the shared one stays for the first report
    assert done["kept_urls"] == [own.url_id] and len(done["closed_urls"]) == 1
    assert _states(cli.app, both) == ["triaged", "closed"]
    with cli.app.db.sessions() as session:
        queued = {row.id for row, _ in review_queue(session)}
    assert queued == {own.url_id, shared.url_id}
    report = _report(cli.app, both)
    assert (report.closed_reason, report.close_note) == ("out-of-scope", "spam advert")
    # and closing the first report now closes the shared URL too
    assert cli("close", own.reference, "--reason", "unreachable").exit_code == 0
    assert _states(cli.app, own.reference) == ["closed"]
    # and a closed report is not closed twice, nor by an unknown reason
    twice = cli("close", own.reference, "--reason", "duplicate")
    assert twice.exit_code == 2 and f"report {own.reference} is already closed as unreachable" in twice.stderr
    unknown = cli("close", shared.reference, "--reason", "boring")
    assert unknown.exit_code == 2 and "unknown reason 'boring': choose from no-url," in unknown.stderr


def test_closing_as_not_illegal_is_the_not_illegal_assessment_counted_once(make_cli) -> None:
    cli = make_cli()
    add_users(cli.app)
    item = seed_item(cli.app, 1)
    # when the report is closed as not illegal
    assert cli("close", item.reference, "--reason", "not-illegal", "--as", "bob").exit_code == 0
    # then the URL has the not-illegal assessment, by bob, and the rules closed it
    with cli.app.db.sessions() as session:
        assessments = session.scalars(select(Assessment)).all()
        row = session.get(ReportedUrl, item.url_id)
        assert row is not None
        assert [a.legal for a in assessments] == ["not-illegal"] and row.state == UrlState.CLOSED
        # and the statistics count one URL not illegal and one report not valid, as not-illegal
        day = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        stats = compute(session, day, day + timedelta(days=1))
    assert stats.not_illegal == 1
    assert stats.reports_not_valid == Ratio(1, 1, 100.0)
    assert Share("not-illegal", 1, 100.0) in stats.reports_closed


def test_half_of_the_reports_were_not_valid(make_cli) -> None:
    """Seed-style: four reports, one valid, one duplicate, one phone call with no address, one waiting."""
    cli = make_cli()
    add_users(cli.app)
    valid = seed_item(cli.app, 1)
    assert cli("assess", valid.reference, "--legal", "baseline", "--age-group", "pre-pubescent",
               "--gender", "female", "--as", "ana").exit_code == 0
    with cli.app.db.sessions() as session:
        row = session.get(ReportedUrl, valid.url_id)
        assert row is not None
        url = row.url
    assert cli("submit", url).exit_code == 0  # a duplicate
    assert cli("submit", "--source", "phone", "--description", "no link given").exit_code == 0
    assert cli("submit", "http://waiting.example-synth.ro/").exit_code == 0
    answer = cli("stats", "--format", "csv")
    assert answer.exit_code == 0, answer.output
    lines = answer.stdout.splitlines()
    assert "reports,not valid,2,50.0" in lines
    assert "reports,valid (illegal content found),1,25.0" in lines
    assert "reports not valid by reason,duplicate,1,25.0" in lines
    assert "reports not valid by reason,no-url,1,25.0" in lines
    by_source = {line.split(",")[1]: line for line in lines if line.startswith("reports by source")}
    assert set(by_source) == {"public", "cli", "phone"}


# -- the API ---------------------------------------------------------------------------------------
def test_a_triage_key_closes_a_report_through_the_api(make_hotline, live_server) -> None:
    app = make_hotline()
    with app.db.session() as session:
        keys = {name: create_partner(session, name, roles=roles)
                for name, roles in [("triage-tool", ["triage"]), ("nl-meldpunt", ["submit"])]}
    item = seed_item(app, 1)
    base = live_server(app) + "/api/v1"

    def call(key: str, reference: str, body: object) -> httpx.Response:
        return httpx.post(f"{base}/reports/{reference}/closing", json=body, timeout=10,
                          headers={"Authorization": f"Bearer {keys[key].api_key}"})

    assert call("nl-meldpunt", item.reference, {"reason": "out-of-scope"}).status_code == 403
    assert call("triage-tool", item.reference, {"reason": "boring"}).status_code == 422
    assert call("triage-tool", "HL-2026-NOPE-NOPE", {"reason": "out-of-scope"}).status_code == 404
    answer = call("triage-tool", item.reference, {"reason": "out-of-scope", "note": "fraud, not ours"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"reference": item.reference, "reason": "out-of-scope", "closed_urls": [item.url_id],
                             "kept_urls": [], "assessed_attachments": []}
    again = call("triage-tool", item.reference, {"reason": "out-of-scope"})
    assert again.status_code == 409 and "already closed" in again.json()["detail"]
    with app.db.sessions() as session:
        report = session.scalar(select(Report).where(Report.reference == item.reference))
        assert report is not None and report.close_note == "fraud, not ours"
