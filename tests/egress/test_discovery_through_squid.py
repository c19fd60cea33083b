"""A discovery crawl through real Squid configured by `hotline egress squid-config`.

Given a gallery on name-based virtual hosts (its pages link to each other, to a subdomain, to a mirror
host and to a name that the guard's DNS puts on the allowed loopback but Squid's puts on the private
listener), known Pillow-drawn pictures on a trusted list, and a hotline whose egress proxy is that Squid
with the name in the request line (no pinning): when a crawl runs from the first page, each page is asked
for by its own name and served by its own virtual host, the known pages are found and reported, the
mirror's media are fetched and its page is not, and the private listener sees nothing (Squid refuses what
the guard let through).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from support.squid import Squid
from support.vhosts import VirtualHosts

from fingerprints import fingerprint_bytes
from hotline.models import CrawlRecord, Report, ReportSource
from hotline.pipeline.discovery.crawl import run_job
from hotline.pipeline.discovery.jobs import Limits, start_job
from hotline.pipeline.intake import submit_report
from hotline.synthnet.images import image_bytes

from .conftest import LOOPBACK_ONLY, PRIVATE_ADDRESS, SITES_RANGE, GuardDns, product_config

SITE = "galerie-squid.ro"
SUB = f"poze.{SITE}"
MIRROR = "oglinda-squid.nl"
INWARD = f"intern.{SITE}"  # the guard's DNS: loopback (allowed); Squid's: the private listener
KNOWN, UNKNOWN = (701, 702), 703


@pytest.fixture(scope="module")
def world(start_squid: Any, sites: VirtualHosts, private_listener: VirtualHosts) -> Iterator[dict[str, Any]]:
    port = sites.port
    sites.add(SITE, "/g/1", f"<img src='/i/k1.png'><a href='/g/2'>2</a><a href='http://{SUB}:{port}/g/3'>3</a>"
                            f"<a href='http://{MIRROR}:{port}/m/1'>mirror</a>"
                            f"<a href='http://{INWARD}:{private_listener.port}/'>inside</a>")
    sites.add(SITE, "/g/2", f"<img src='http://{MIRROR}:{port}/i/k2.png'><a href='/g/1'>1</a>")
    sites.add(SUB, "/g/3", "<img src='/i/n1.png'>")
    sites.add(MIRROR, "/m/1", "<img src='/i/k2.png'>")
    sites.add(SITE, "/i/k1.png", image_bytes(KNOWN[0]), "image/png")
    sites.add(MIRROR, "/i/k2.png", image_bytes(KNOWN[1]), "image/png")
    sites.add(SUB, "/i/n1.png", image_bytes(UNKNOWN), "image/png")
    names = {SITE: "127.0.0.1", SUB: "127.0.0.1", MIRROR: "127.0.0.1"}
    squid: Squid = start_squid(hosts={**names, INWARD: PRIVATE_ADDRESS},
                               config=product_config(SITES_RANGE, connect_ports=[private_listener.port]))
    dns = GuardDns({**names, INWARD: "127.0.0.1"})
    yield {"squid": squid, "dns": dns, "sites": sites, "private": private_listener}
    dns.server.stop()


def test_a_crawl_through_squid_finds_the_known_pages_by_name_and_reaches_nothing_private(
    world: dict[str, Any], make_hotline: Any, tmp_path: Path
) -> None:
    from hotline.matching.lists import import_list

    squid, sites, private = world["squid"], world["sites"], world["private"]
    app = make_hotline(dns_nameservers=[world["dns"].nameserver], egress_proxy=squid.url,
                       allow_private=SITES_RANGE, direct_connect_only=LOOPBACK_ONLY, discovery_enabled=True,
                       discovery_per_host_rate=20.0, capture_max_seconds=10)
    listing = tmp_path / "known.csv"
    listing.write_text("sha256\n" + "".join(f"{fingerprint_bytes(image_bytes(seed)).sha256}\n" for seed in KNOWN))
    with app.db.session() as session:
        import_list(session, listing, name="verified", verdict="baseline", trusted=True, confirmations=2)
        seed = submit_report(session, [f"http://{SITE}:{sites.port}/g/1"]).urls[0].id
    with app.db.session() as session:
        job_id = start_job(app, session, seed, actor="test", limits=Limits(
            depth=2, pages=20, bytes=10_000_000, seconds=60.0, per_host_rate=20.0)).id
    first_seen, squid_mark = len(sites.seen), squid.mark()

    job = run_job(app, job_id)

    with app.db.sessions() as session:
        records = {r.url.split("://", 1)[1].replace(f":{sites.port}", ""): r for r in session.scalars(
            select(CrawlRecord).where(CrawlRecord.job_id == job_id))}
        report = session.get(Report, job.report_id)
        assert report is not None and report.source == ReportSource.DISCOVERY
        reported = {link.reported_url.url for link in report.urls}
    # then the gallery's pages within reach were fetched, the one on the mirror's page never
    assert {f"{SITE}/g/1", f"{SITE}/g/2", f"{SUB}/g/3"} <= set(records)
    assert not [url for url in records if url.startswith(MIRROR)]
    assert {url for url, r in records.items() if r.matched} == {f"{SITE}/g/1", f"{SITE}/g/2"}
    assert reported == {f"http://{SITE}:{sites.port}/g/2"}  # the seed is already reported
    # each page by its own name (Squid resolved it), and the mirror's picture fetched for its hash
    asked = {(seen.host, seen.target) for seen in sites.seen[first_seen:]}
    assert {(SITE, "/g/1"), (SITE, "/g/2"), (SUB, "/g/3"), (MIRROR, "/i/k2.png")} <= asked
    assert (MIRROR, "/m/1") not in asked
    assert all(record.hierarchy != "HIER_NONE" or record.status == 403 for record in squid.records(squid_mark))
    # and the name Squid puts inside the network was refused there: no connection reached the listener
    inward = [r for url, r in records.items() if url.startswith(INWARD)]
    assert inward and all(r.outcome == "refused" and "egress proxy" in (r.reason or "") for r in inward), \
        [(r.url, r.outcome, r.reason) for r in inward]
    assert private.connections == 0
