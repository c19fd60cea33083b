"""Discovery in the product: off by default; started for a confirmed URL whose routing rule says
`discover = true` by the registry's periodic job; what it matched goes through capture, locate and triage
as a discovery report linked to the original; `hotline discover` runs a crawl on demand and lists them;
the item's view counts what was found and lists only the matched pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cli import app as cli_app
from hotline.executors.embedded import process_until_idle
from hotline.executors.registry import JOB_BY_NAME
from hotline.models import AuditEvent, Capture, DiscoveryJob, Report, ReportSource, UrlState
from hotline.pipeline.discovery.views import item_discovery
from hotline.pipeline.intake import submit_report
from hotline.synthnet import SyntheticInternet
from hotline.triage.views import find_report, report_view

from .conftest import LOOPBACK_ONLY, SITE, SUB, make_app

DEFAULT_RULES = Path(__file__).resolve().parents[2] / "hotline" / "rules" / "default_ro.toml"


def _rules(tmp_path: Path, discover: bool) -> Path:
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    if discover:  # the gallery is hosted in NL: the member-hotline rule routes what is found there
        text = text.replace('id = "member-country-hotline"\n', 'id = "member-country-hotline"\ndiscover = true\n')
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _run_job_until_idle(app: Any, name: str = "discovery", rounds: int = 50) -> int:
    done = 0
    for _ in range(rounds):
        step = JOB_BY_NAME[name].run(app)
        if not step:
            return done
        done += step
    raise AssertionError("the discovery job never ran out of work")


def test_a_confirmed_url_whose_rule_says_discover_is_crawled_and_its_finds_are_routed(
    net: SyntheticInternet, make_hotline: Any, tmp_path: Path
) -> None:
    app = make_app(make_hotline, net, tmp_path, rules_file=_rules(tmp_path, discover=True))
    with app.db.session() as session:
        origin = submit_report(session, [f"http://{SITE}/g/1"]).report.reference
    process_until_idle(app)  # the seed's picture is on the trusted list: confirmed, routed by the member rule

    assert _run_job_until_idle(app) > 0
    with app.db.sessions() as session:
        [job] = session.scalars(select(DiscoveryJob)).all()
        assert (job.trigger, job.state, job.matched) == ("rule:member-country-hotline", "done", 3)
        found = session.get(Report, job.report_id)
        assert found is not None and found.source == ReportSource.DISCOVERY
        assert found.origin_report is not None and found.origin_report.reference == origin
        actions = {e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.action.like("discovery.%")))}
        assert {"discovery.start", "discovery.match", "discovery.finish"} <= actions
        discovered = found.reference
    after_crawl = len(net.requests)
    process_until_idle(app)
    # the crawl's captures are the new URLs' evidence: the pipeline does not ask the site again
    assert not [r for r in net.requests[after_crawl:] if "/g/" in r.path]
    with app.db.sessions() as session:
        view = report_view(session, find_report(session, discovered))
        assert len(view["urls"]) == 3 and view["found_from"] == origin
        for url in view["urls"]:
            assert url["state"] == UrlState.TRIAGED
            assert url["proposals"] and all("verified" in p["reason"] for p in url["proposals"])
        purposes = {capture.purpose for link in find_report(session, discovered).urls
                    for capture in link.reported_url.captures}
        assert purposes == {"discovery"}
        seed_id = find_report(session, origin).urls[0].reported_url_id
        shown = item_discovery(session, seed_id)
    assert shown is not None and shown["matched"] == 3 and shown["found"] >= 7
    assert {page["url"].split("://", 1)[1] for page in shown["matched_pages"]} == {
        f"{SITE}/g/2", f"{SUB}/g/4", f"{SITE}/g/5"}
    assert all(page["reasons"] for page in shown["matched_pages"])
    # a discovered URL starts no crawl of its own
    assert _run_job_until_idle(app) == 0


@pytest.mark.parametrize(("enabled", "discover"), [(False, True), (True, False)])
def test_discovery_is_off_unless_the_deployment_and_the_rule_both_ask_for_it(
    net: SyntheticInternet, make_hotline: Any, tmp_path: Path, enabled: bool, discover: bool
) -> None:
    app = make_app(make_hotline, net, tmp_path, rules_file=_rules(tmp_path, discover=discover))
    app.settings.discovery_enabled = enabled
    first_request = len(net.requests)
    with app.db.session() as session:
        submit_report(session, [f"http://{SITE}/g/1"])
    process_until_idle(app)
    asked = len(net.requests) - first_request
    assert _run_job_until_idle(app) == 0
    with app.db.sessions() as session:
        assert session.scalars(select(DiscoveryJob)).all() == []
    assert len(net.requests) - first_request == asked  # not one more request


def test_hotline_discover_runs_a_crawl_on_demand_and_lists_it(
    net: SyntheticInternet, make_hotline: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(make_hotline, net, tmp_path)
    for name, value in {**net.env(), "HOTLINE_DATA_DIR": str(app.settings.data_dir),
                        "HOTLINE_DISCOVERY_ENABLED": "true", "HOTLINE_CAPTURE_PIN_THROUGH_PROXY": "true",
                        "HOTLINE_DIRECT_CONNECT_ONLY": json.dumps(LOOPBACK_ONLY),
                        "HOTLINE_DISCOVERY_PER_HOST_RATE": "10"}.items():
        monkeypatch.setenv(name, value)
    with app.db.session() as session:
        reference = submit_report(session, [f"http://{SITE}/g/3"]).report.reference
    runner = CliRunner()

    unconfirmed = runner.invoke(cli_app, ["discover", reference])
    assert unconfirmed.exit_code == 2 and "no URL of" in unconfirmed.output and "--url" in unconfirmed.output
    ran = runner.invoke(cli_app, ["discover", reference, "--url", "1", "--depth", "1", "--pages", "4", "--json"])
    assert ran.exit_code == 0, ran.output
    summary = json.loads(ran.stdout.strip().splitlines()[-1])
    # /g/3 links to /g/6 (nothing known) and /g/2 (a known picture from the mirror): one match in 4 pages
    assert (summary["pages"], summary["matched"], summary["trigger"]) == (3, 1, "manual")
    assert [page["url"].split("://", 1)[1] for page in summary["matched_pages"]] == [f"{SITE}/g/2"]
    shown = runner.invoke(cli_app, ["show", summary["report"]])
    assert f"found by a discovery crawl around {reference}" in shown.stdout
    listed = json.loads(runner.invoke(cli_app, ["discover", "ls", "--json"]).stdout)
    assert [(job["id"], job["state"]) for job in listed] == [(summary["id"], "done")]
    bad = runner.invoke(cli_app, ["discover", reference, "--url", "9"])
    assert bad.exit_code == 2 and "between 1 and 1" in bad.output


def test_pages_without_matches_and_their_evidence_go_after_the_retention_period(
    net: SyntheticInternet, make_hotline: Any, tmp_path: Path
) -> None:
    from datetime import timedelta

    from hotline.models import CrawlRecord, utcnow
    from hotline.pipeline.discovery.crawl import run_job
    from hotline.pipeline.discovery.jobs import start_job
    from hotline.pipeline.discovery.retention import purge_crawl_records

    app = make_app(make_hotline, net, tmp_path)
    with app.db.session() as session:
        url_id = submit_report(session, [f"http://{SITE}/g/3"]).urls[0].id
        job_id = start_job(app, session, url_id, actor="test").id
    run_job(app, job_id)
    with app.db.sessions() as session:
        records = session.scalars(select(CrawlRecord).where(CrawlRecord.job_id == job_id)).all()
        unmatched = [(r.warc_path, list(r.blobs)) for r in records if not r.matched]
        matched = [r.id for r in records if r.matched]
    assert unmatched and matched and all(warc for warc, _ in unmatched)
    evidence = app.settings.evidence_dir
    assert all((evidence / warc).exists() for warc, _ in unmatched)

    # within the retention period nothing goes; after it, the unmatched pages and their files do
    assert purge_crawl_records(app) == 0
    assert purge_crawl_records(app, now=utcnow() + timedelta(days=8)) == len(records)
    with app.db.sessions() as session:
        left = session.scalars(select(CrawlRecord).where(CrawlRecord.job_id == job_id)).all()
    assert [r.id for r in left] == matched and all(r.warc_path is None and r.reasons for r in left)
    assert not any((evidence / warc).exists() for warc, _ in unmatched)
    gone = {blob for _, blobs in unmatched for blob in blobs}
    assert gone and not any(app.evidence.has_blob(blob) for blob in gone)
    # what is left, as the metrics show it
    from hotline.ops.collector import PipelineCollector

    figures = {(metric.name, tuple(sample.labels.values())): sample.value
               for metric in PipelineCollector(app, min_interval=0).collect() for sample in metric.samples}
    assert figures[("hotline_discovery_jobs", ("done",))] == 1
    assert figures[("hotline_crawl_records", ("yes",))] == len(matched)
    assert ("hotline_crawl_records", ("no",)) not in figures
    # the matched page's crawl capture is its reported URL's evidence: it stays
    with app.db.sessions() as session:
        captures = session.scalars(select(Capture).where(Capture.purpose == "discovery")).all()
    assert len(captures) == len(matched)
    assert all(capture.warc_path and (evidence / capture.warc_path).exists() for capture in captures)


def test_a_pause_stops_every_crawl_until_a_supervisor_resumes(
    net: SyntheticInternet, make_hotline: Any, tmp_path: Path
) -> None:
    from hotline.auth import create_user
    from hotline.errors import Refused
    from hotline.pipeline.discovery.jobs import set_discovery_paused, start_job

    app = make_app(make_hotline, net, tmp_path)
    with app.db.session() as session:
        analyst = create_user(session, "ana", "analyst", "a long enough password 1")
        boss = create_user(session, "sef", "supervisor", "a long enough password 2")
        with pytest.raises(Refused, match="only a supervisor"):
            set_discovery_paused(session, analyst, True)
        set_discovery_paused(session, boss, True)
        url_id = submit_report(session, [f"http://{SITE}/g/3"]).urls[0].id
        job_id = start_job(app, session, url_id, actor="sef").id
    first_request = len(net.requests)
    assert _run_job_until_idle(app) == 0
    assert len(net.requests) == first_request
    with app.db.session() as session:
        set_discovery_paused(session, boss, False)
    assert _run_job_until_idle(app) > 0
    with app.db.sessions() as session:
        job = session.get(DiscoveryJob, job_id)
        assert job is not None and job.state == "done"


def test_a_policy_that_says_discover_starts_a_crawl_from_what_it_forwarded(
    net: SyntheticInternet, make_hotline: Any, tmp_path: Path
) -> None:
    rules = _rules(tmp_path, discover=False)
    rules.write_text(rules.read_text(encoding="utf-8") + '''
[[policy]]
id = "verified-known"
description = "Known material on a trusted list, exact match: forwarded without waiting."
enabled = true
discover = true
reason = "Known material on a trusted list."
[policy.when]
max_distance = 0
min_confirmations = 1
all_media_matched = false
''', encoding="utf-8")
    app = make_app(make_hotline, net, tmp_path, rules_file=rules)
    with app.db.session() as session:
        submit_report(session, [f"http://{SITE}/g/1"])
    process_until_idle(app)
    assert _run_job_until_idle(app) > 0
    with app.db.sessions() as session:
        [job] = session.scalars(select(DiscoveryJob)).all()
        assert job.trigger == "policy:verified-known" and job.state == "done"
        found = session.get(Report, job.report_id)
        assert found is not None
        discovered = found.reference

    # the finds go through triage, where the policy acts on its own conditions only: the exact copies are
    # forwarded without an analyst, the re-encoded copy (a perceptual match, distance > 0) waits for one
    process_until_idle(app)
    with app.db.sessions() as session:
        decided = {link.reported_url.url.split("://", 1)[1]: [a.policy for a in link.reported_url.assessments]
                   for link in find_report(session, discovered).urls}
    assert decided == {f"{SITE}/g/2": ["verified-known"], f"{SITE}/g/5": ["verified-known"], f"{SUB}/g/4": []}
    assert _run_job_until_idle(app) == 0  # and what discovery found starts no crawl of its own


def test_a_confirmed_address_without_a_domain_to_stay_in_is_noted_once_and_never_crawled(
    net: SyntheticInternet, make_hotline: Any, tmp_path: Path
) -> None:
    from hotline.models import Assessment, Proposal
    from hotline.pipeline.discovery.jobs import queue_confirmed

    app = make_app(make_hotline, net, tmp_path, rules_file=_rules(tmp_path, discover=True))
    with app.db.session() as session:
        url_id = submit_report(session, ["http://198.51.100.7/gallery"]).urls[0].id
        session.add(Assessment(reported_url_id=url_id, legal="baseline", age_group="pre-pubescent", gender="female"))
        session.add(Proposal(reported_url_id=url_id, destination="nl-meldpunt", destination_kind="hotline",
                             rule="member-country-hotline", reason="test"))
    first_request = len(net.requests)
    assert queue_confirmed(app) == 0
    assert queue_confirmed(app) == 0
    with app.db.sessions() as session:
        [job] = session.scalars(select(DiscoveryJob)).all()
        assert job.state == "cancelled" and "has no registrable domain" in (job.stop_reason or "")
        skips = session.scalars(select(AuditEvent).where(AuditEvent.action == "discovery.skip")).all()
    assert len(skips) == 1 and len(net.requests) == first_request
