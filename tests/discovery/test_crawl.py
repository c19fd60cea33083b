"""Discovery crawls on the synthetic internet: a gallery site whose pages link to each other, to a
subdomain, to a mirror host and to addresses inside the network, some pages showing known (Pillow-drawn)
pictures. The crawl must find exactly the known pages within its limits, stay on the gallery's
registrable domain (media from the mirror are fetched, its pages are not), keep its per-host rate
(measured at the server), stop at every limit, and reach nothing private."""

from __future__ import annotations

import itertools
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hotline.models import CrawlRecord, DiscoveryFrontier, DiscoveryJob, Report, ReportSource
from hotline.pipeline.discovery.crawl import claim_job, run_job, run_round
from hotline.pipeline.discovery.jobs import Limits, start_job
from hotline.pipeline.intake import submit_report
from hotline.synthnet import SyntheticInternet

from .conftest import MIRROR, SITE, SUB, make_app


def _seed(app: Any, path: str = "/g/1") -> int:
    with app.db.session() as session:
        return int(submit_report(session, [f"http://{SITE}{path}"]).urls[0].id)


def _start(app: Any, url_id: int, **limits: Any) -> int:
    chosen = {"depth": 2, "pages": 200, "bytes": 10_000_000, "seconds": 120.0,
              "per_host_rate": app.settings.discovery_per_host_rate} | limits
    with app.db.session() as session:
        return start_job(app, session, url_id, actor="test", limits=Limits(**chosen)).id


def _records(app: Any, job_id: int) -> list[CrawlRecord]:
    with app.db.sessions() as session:
        return list(session.scalars(select(CrawlRecord).where(CrawlRecord.job_id == job_id).order_by(CrawlRecord.id)))


def _paths(urls: list[str]) -> set[str]:
    return {url.split("://", 1)[1] for url in urls}


def test_the_crawl_finds_exactly_the_known_pages_within_its_depth_and_reports_them(
    net: SyntheticInternet, make_hotline: Any, tmp_path: Path
) -> None:
    app = make_app(make_hotline, net, tmp_path, discovery_batch=3)  # several rounds: the frontier is in the database
    seed = _seed(app)
    first_request = len(net.requests)
    job_id = _start(app, seed)

    job = run_job(app, job_id)

    records = _records(app, job_id)
    fetched = _paths([r.url for r in records])
    # every page within two links of the seed, on the gallery and its subdomain (and the in-domain names
    # that point inward, refused), and nothing deeper or elsewhere
    assert {p for p in fetched if "/g/" in p} == {f"{SITE}/g/{n}" for n in (1, 2, 3, 5, 6, 7)} | {f"{SUB}/g/4"}
    assert all(r.outcome == "refused" for r in records if "intern." in r.url or "meta." in r.url)
    matched = {r.url.split("://", 1)[1]: r for r in records if r.matched}
    assert set(matched) == {f"{SITE}/g/1", f"{SITE}/g/2", f"{SUB}/g/4", f"{SITE}/g/5"}
    assert "already reported" in matched[f"{SITE}/g/1"].reasons  # the seed itself: no second report
    assert any("trusted list verified" in reason and "k2.png" in reason for reason in matched[f"{SITE}/g/2"].reasons)
    assert any("pdq" in reason for reason in matched[f"{SUB}/g/4"].reasons)  # a re-encoded copy, by radius
    assert job.state == "done" and job.stop_reason == "every page within reach was fetched"
    assert (job.pages, job.matched) == (len(records), 3)
    # the three new pages are one discovery report, linked to the report the crawl started from
    with app.db.sessions() as session:
        report = session.get(Report, job.report_id)
        assert report is not None and report.source == ReportSource.DISCOVERY
        assert report.origin_report_id == job.origin_report_id
        assert _paths([link.reported_url.url for link in report.urls]) == {f"{SITE}/g/2", f"{SUB}/g/4", f"{SITE}/g/5"}
    # media from the mirror were fetched; its page never; nothing private was reached
    asked = [(r.host, r.path) for r in net.requests[first_request:]]
    assert (MIRROR, "/i/k2.png") in asked and (MIRROR, "/m/1") not in asked
    assert {host for host, _ in asked} <= {SITE, SUB, MIRROR, f"rebind.{SITE}"}
    assert (SITE, "/g/8") not in asked
    assert net.private_hits == 0, net.private_requests


def test_the_crawl_keeps_its_per_host_rate_measured_at_the_server(
    net: SyntheticInternet, make_hotline: Any, tmp_path: Path
) -> None:
    app = make_app(make_hotline, net, tmp_path, discovery_per_host_rate=4.0, discovery_batch=4)
    first_request = len(net.requests)
    run_job(app, _start(app, _seed(app), depth=1))
    by_host: dict[str, list[float]] = defaultdict(list)
    for record in net.requests[first_request:]:
        by_host[record.host].append(record.at)
    assert len(by_host[SITE]) >= 6
    for host, times in by_host.items():
        times.sort()
        gaps = [b - a for a, b in itertools.pairwise(times)]
        # 4 per second: a quarter of a second apart (less what the relay's scheduling on a busy machine can
        # squeeze out of one gap; without the delay they come milliseconds apart), and never more on average
        assert min(gaps, default=1.0) >= 0.15, (host, gaps)
        if len(times) > 2:
            assert (len(times) - 1) / (times[-1] - times[0]) <= 4.0 * 1.05, (host, gaps)


@pytest.mark.parametrize(("limits", "stop", "pages"), [
    ({"pages": 3}, "page limit of 3 reached", 3),
    ({"depth": 0}, "every page within reach was fetched", 1),
    ({"bytes": 1}, "byte limit of 1 reached", 1),
    ({"seconds": 0.5, "per_host_rate": 1.0}, "time limit of 0.5 s reached", 1),
])
def test_the_crawl_stops_at_each_limit(
    net: SyntheticInternet, make_hotline: Any, tmp_path: Path, limits: dict[str, Any], stop: str, pages: int
) -> None:
    app = make_app(make_hotline, net, tmp_path, discovery_batch=1)
    job = run_job(app, _start(app, _seed(app), **limits))
    assert (job.state, job.stop_reason, job.pages) == ("done", stop, pages)
    assert len(_records(app, job.id)) == pages


def test_a_crawl_whose_worker_died_resumes_from_its_frontier_without_fetching_a_page_twice(
    net: SyntheticInternet, make_hotline: Any, tmp_path: Path
) -> None:
    app = make_app(make_hotline, net, tmp_path, discovery_batch=2)
    job_id = _start(app, _seed(app), depth=1)
    first_request = len(net.requests)
    claimed = claim_job(app, job_id)
    assert claimed is not None
    run_round(app, job_id, claimed[1])  # one round, then the worker "dies": its lease is never given back
    assert claim_job(app, job_id) is None  # nobody else takes it while the lease holds
    with app.db.session() as session:
        job = session.get(DiscoveryJob, job_id)
        assert job is not None
        job.lease_until = job.created_at  # the lease ran out
    job = run_job(app, job_id)
    assert job.state == "done"
    pages = [(r.host, r.path) for r in net.requests[first_request:] if "/g/" in r.path]
    assert len(pages) == len(set(pages))
    with app.db.sessions() as session:
        left = session.scalars(select(DiscoveryFrontier.url).where(DiscoveryFrontier.job_id == job_id,
                                                                   DiscoveryFrontier.state == "pending")).all()
    assert left == []


def test_a_page_redirecting_off_the_domain_is_not_followed(
    net: SyntheticInternet, make_hotline: Any, tmp_path: Path
) -> None:
    net.add_redirect(SITE, "/g/out", f"http://{MIRROR}/m/1")
    app = make_app(make_hotline, net, tmp_path)
    first_request = len(net.requests)
    job = run_job(app, _start(app, _seed(app, "/g/out")))
    [record] = _records(app, job.id)
    assert record.outcome == "refused" and f"redirect leaves the crawled domain {SITE}" in (record.reason or "")
    assert (MIRROR, "/m/1") not in [(r.host, r.path) for r in net.requests[first_request:]]


def test_the_ssrf_corpus_planted_in_a_crawled_page_reaches_nothing_private(
    net: SyntheticInternet, make_hotline: Any, tmp_path: Path
) -> None:
    from tests.capture.test_hostile import _dns_names, _literal_spellings

    # Given a gallery page that links to and embeds every inward URL of the capture tests' corpus, and links
    # to names under its own domain that point inward
    inward = _literal_spellings(net) + _dns_names(net)
    port = net.private_port
    own = [f"http://intern.{SITE}:{port}/a", f"http://meta.{SITE}/latest/", f"http://rebind.{SITE}:{port}/"]
    html = "".join(f"<a href='{u}'>x</a><img src='{u}'>" for u in inward + own)
    net.add_page(SITE, "/g/hostile", html=html + "<img src='/i/k1.png'>")
    app = make_app(make_hotline, net, tmp_path)

    # When a crawl starts from it
    job = run_job(app, _start(app, _seed(app, "/g/hostile"), depth=1))

    # Then the private listener was never reached; every inward medium was refused or failed with a reason;
    # only the in-domain names were followed as pages, and refused
    assert net.private_hits == 0, net.private_requests
    records = _records(app, job.id)
    [page] = [r for r in records if r.url.endswith("/g/hostile")]
    # (a rebinding name answers a public address first: that one is checked, pinned and fetched, the farm
    # answers; the private address it turns to afterwards is never asked for)
    inward_media = [m for m in page.media if "k1.png" not in m["url"] and "rebind" not in m["url"]]
    assert len(inward_media) >= len(inward) - 8  # a few spellings are the same URL once parsed
    assert all(m["outcome"] in ("refused", "failed") for m in inward_media), [
        m for m in inward_media if m["outcome"] not in ("refused", "failed")]
    followed = [r for r in records if r is not page]
    assert followed and all(SITE in r.url for r in followed)
    assert all(r.outcome in ("refused", "failed") for r in followed if "rebind" not in r.url)


def test_a_page_of_many_links_fills_the_frontier_only_as_far_as_the_page_limit_can_use(
    net: SyntheticInternet, make_hotline: Any, tmp_path: Path
) -> None:
    from hotline.pipeline.discovery.crawl import FRONTIER_FACTOR

    net.add_page(SITE, "/g/many", html="".join(f"<a href='/many/{n}'>{n}</a>" for n in range(60)))
    app = make_app(make_hotline, net, tmp_path)
    job = run_job(app, _start(app, _seed(app, "/g/many"), pages=3, depth=1))
    with app.db.sessions() as session:
        urls = session.scalars(select(DiscoveryFrontier.url).where(DiscoveryFrontier.job_id == job.id)
                               .order_by(DiscoveryFrontier.id)).all()
    assert len(urls) == 3 * FRONTIER_FACTOR and urls[1].endswith("/many/0")  # in document order
    assert (job.pages, job.stop_reason) == (3, "page limit of 3 reached")
