"""Discovery at scale: a `hotline worker` consuming only the discovery queue runs a queued crawl to its end
from the frontier in PostgreSQL, with the scheduler queuing the discovery job."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fingerprints import fingerprint_bytes
from hotline.models import DiscoveryJob
from hotline.synthnet import SyntheticInternet
from hotline.synthnet.images import image_bytes

from .scale_support import broker_or_skip, wait_until

SITE = "galerie.descoperire-scale.ro"
LOOPBACK_ONLY = ["127.0.0.0/8", "::1/128"]


@pytest.fixture(scope="module")
def net():  # type: ignore[no-untyped-def]
    with SyntheticInternet(default_sites=False) as internet:
        internet.add_host(SITE, country="NL")
        internet.add_page(SITE, "/a", html="<a href='/b'>b</a><a href='/c'>c</a>")
        internet.add_page(SITE, "/b", html="<img src='/k.png'>")
        internet.add_page(SITE, "/c", html="<img src='/n.png'>")
        internet.add_image(SITE, "/k.png", seed=611)
        internet.add_image(SITE, "/n.png", seed=612)
        yield internet


@pytest.mark.postgres
@pytest.mark.slow
def test_a_discovery_worker_runs_a_queued_crawl_from_the_database(
    net: SyntheticInternet, pg_url: str, make_hotline: Any, cluster_for: Any, tmp_path: Path
) -> None:
    from hotline.matching.lists import import_list
    from hotline.pipeline.discovery.jobs import start_job
    from hotline.pipeline.intake import submit_report

    broker_url = broker_or_skip("redis")
    app = make_hotline(database_url=pg_url, dns_nameservers=[net.dns_nameserver], egress_proxy=net.proxy_url,
                       discovery_enabled=True)
    listing = tmp_path / "known.csv"
    listing.write_text(f"sha256\n{fingerprint_bytes(image_bytes(611)).sha256}\n")
    with app.db.session() as session:
        import_list(session, listing, name="verified", verdict="baseline", trusted=True)
        url_id = submit_report(session, [f"http://{SITE}/a"]).urls[0].id
        job_id = start_job(app, session, url_id, actor="test").id
    cluster = cluster_for(pg_url, broker_url, net.env(), HOTLINE_DISCOVERY_ENABLED="true",
                          HOTLINE_CAPTURE_PIN_THROUGH_PROXY="true",
                          HOTLINE_DIRECT_CONNECT_ONLY=json.dumps(LOOPBACK_ONLY),
                          HOTLINE_DISCOVERY_PER_HOST_RATE="10")
    cluster.worker(queues="discovery")
    cluster.scheduler()

    def finished() -> bool:
        with app.db.sessions() as session:
            job = session.get(DiscoveryJob, job_id)
            return job is not None and job.state == "done"

    wait_until(finished, 120, "the crawl to finish", cluster.output)
    with app.db.sessions() as session:
        job = session.get(DiscoveryJob, job_id)
        assert job is not None and (job.pages, job.matched) == (3, 1)
    assert net.private_hits == 0
