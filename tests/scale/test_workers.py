"""Two `hotline worker` processes and a scheduler on the real PostgreSQL and broker, on the synthetic internet."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from hotline.models import Capture, Fingerprint, MediaItem, ReportedUrl
from hotline.synthnet import Response, SyntheticInternet
from hotline.synthnet.farm import Exchange

from .scale_support import broker_or_skip, running_capture, wait_until

HOST = "galerie.scale-sintetic.ro"
GALLERY = "/gallery"
PAGES = [*(f"/album/{n}" for n in range(5)), GALLERY]
HELD = "/held"


class HeldPage:
    """A page whose answer waits until the test releases it: a capture that is provably in flight."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.released = threading.Event()
        self.requests = 0

    def response(self) -> Response:
        def write(exchange: Exchange) -> None:
            self.requests += 1
            self.requested.set()
            while not self.released.wait(0.05):
                if exchange.stopping.is_set():
                    return
            body = b"<html><body><img src='/img/0.png' alt=''></body></html>"
            exchange.send_head(200, {"Content-Type": "text/html", "Content-Length": str(len(body))})
            exchange.write(body)

        return Response(writer=write)


@pytest.fixture(scope="module")
def net():  # type: ignore[no-untyped-def]
    with SyntheticInternet(default_sites=False) as internet:
        internet.add_host(HOST, country="RO")
        for n, path in enumerate(PAGES):
            internet.add_page(HOST, path, html=f"<html><body><img src='/img/{n}.png' alt=''></body></html>")
            internet.add_image(HOST, f"/img/{n}.png", seed=700 + n)
        # Enough images for the fingerprint stage to hash in its process pool (inside a prefork child).
        gallery = "".join(f"<img src='/gallery/{k}.png' alt=''>" for k in range(5))
        internet.add_page(HOST, GALLERY, html=f"<html><body>{gallery}</body></html>")
        for k in range(5):
            internet.add_image(HOST, f"/gallery/{k}.png", seed=800 + k)
        yield internet


def _submit(app, paths: list[str]) -> list[int]:  # type: ignore[no-untyped-def]
    from hotline.pipeline.intake import submit_report

    with app.db.session() as session:
        result = submit_report(session, [f"http://{HOST}{p}" for p in paths], category="csam")
        session.flush()
        return [u.id for u in result.urls]


def _states(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with app.db.sessions() as session:
        return {row.url: str(row.state) for row in session.scalars(select(ReportedUrl))}


def _captures_per_url(app) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with app.db.sessions() as session:
        rows = session.execute(
            select(ReportedUrl.url, func.count(Capture.id))
            .join(Capture, Capture.reported_url_id == ReportedUrl.id, isouter=True)
            .group_by(ReportedUrl.url)
        )
        return {url: int(count) for url, count in rows}


def _hashed_images(app) -> int:  # type: ignore[no-untyped-def]
    with app.db.sessions() as session:
        return int(session.scalar(
            select(func.count(func.distinct(Fingerprint.media_item_id)))
            .join(MediaItem, MediaItem.id == Fingerprint.media_item_id)
            .where(MediaItem.kind == "image")
        ) or 0)


def _all_triaged(app) -> bool:  # type: ignore[no-untyped-def]
    states = _states(app)
    return bool(states) and set(states.values()) == {"triaged"}


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_two_workers_take_every_url_to_triaged_exactly_once(
    broker, net, pg_url, make_hotline, cluster_for
) -> None:  # type: ignore[no-untyped-def]
    # Given: PostgreSQL, a broker, a scheduler and two workers (one solo without the fingerprint queue,
    # one with two prefork processes that hash in the stage's own process pool), and six reported URLs
    broker_url = broker_or_skip(broker)
    app = make_hotline(database_url=pg_url, **_net_settings(net))
    hits_before = Counter(net.hits)
    _submit(app, PAGES)
    cluster = cluster_for(pg_url, broker_url, net.env())
    cluster.worker("capture,locate")
    cluster.worker("capture,fingerprint,locate", concurrency=2)
    cluster.scheduler()

    # When: the workers run until every URL is triaged
    wait_until(lambda: _all_triaged(app), 60, "every URL to reach 'triaged'",
               lambda: f"{_states(app)}\n{cluster.output()}")

    # Then: each URL was captured once, its page fetched once, its images hashed, nothing left leased
    assert _captures_per_url(app) == {f"http://{HOST}{p}": 1 for p in PAGES}
    assert _hashed_images(app) == 10
    fetched = Counter(net.hits) - hits_before
    assert all(fetched[(HOST, p)] == 1 for p in PAGES), fetched
    with app.db.sessions() as session:
        assert session.scalar(select(func.count()).where(ReportedUrl.lease_owner.is_not(None))) == 0


@pytest.mark.postgres
@pytest.mark.slow
def test_a_worker_killed_mid_capture_leaves_the_url_to_the_other_worker(
    net, pg_url, make_hotline, cluster_for
) -> None:  # type: ignore[no-untyped-def]
    # Given: two workers, one of them capturing a page that does not answer until released
    broker_url = broker_or_skip("redis")
    held = HeldPage()
    net.farm.put(HOST, HELD, held.response())
    app = make_hotline(database_url=pg_url, **_net_settings(net))
    (url_id,) = _submit(app, [HELD])
    cluster = cluster_for(pg_url, broker_url, net.env())
    workers = [cluster.worker(), cluster.worker()]
    cluster.scheduler()
    wait_until(held.requested.is_set, 40, "a worker to start the capture", cluster.output)
    wait_until(lambda: any(running_capture(w) for w in workers), 10, "the capturing worker to be found")
    capturing = next(w for w in workers if running_capture(w))
    other = next(w for w in workers if w is not capturing)
    with app.db.sessions() as session:
        assert session.get(ReportedUrl, url_id).lease_owner is not None  # type: ignore[union-attr]

    # When: that worker (and its capture process) is killed with SIGKILL, then the page answers again
    cluster.kill(capturing)
    assert _states(app) == {f"http://{HOST}{HELD}": "new"}
    held.released.set()

    # Then: the other worker finishes it after the lease runs out; one capture, nothing lost
    wait_until(lambda: _all_triaged(app), 60, "the URL to reach 'triaged'",
               lambda: f"{_states(app)}\n{cluster.output()}")
    assert other.poll() is None
    assert _captures_per_url(app) == {f"http://{HOST}{HELD}": 1}
    assert held.requests == 2, "the other worker must have fetched the page itself"


def _net_settings(net: SyntheticInternet) -> dict[str, object]:
    return {"dns_nameservers": [net.dns_nameserver], "rdap_url": net.rdap_url, "egress_proxy": net.proxy_url}
