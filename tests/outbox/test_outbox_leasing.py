"""Leasing due forwards: on SQLite and PostgreSQL, concurrent workers never take the same row, and a
lease that ran out makes the row due again for another worker."""

from __future__ import annotations

import threading
from datetime import timedelta

from outbox_support import add_partner, forwards, outbox_options, queue_forward, seed_url
from sqlalchemy import update

from hotline.models import Forward, utcnow
from hotline.outbox import forward_until_idle, lease_due
from hotline.outbox.worker import deliver_leased


def test_concurrent_workers_lease_disjoint_rows(hotline_db) -> None:
    # given twenty due forwards
    app = hotline_db
    for n in range(1, 21):
        queue_forward(app, seed_url(app, n), address="http://127.0.0.1:9/never-contacted")
    taken: list[list[int]] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        mine: list[int] = []
        while True:
            with app.db.sessions() as session:
                leases = lease_due(session, limit=3, lease_seconds=60)
            if not leases:
                break
            mine += [lease.forward_id for lease in leases]
        taken.append(mine)

    # when four workers lease at the same time
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # then every forward was leased exactly once, and is now "sending" with one attempt counted
    leased = [forward_id for mine in taken for forward_id in mine]
    assert sorted(leased) == sorted(f.id for f in forwards(app))
    assert all(f.state == "sending" and f.attempts == 1 for f in forwards(app))


def test_a_lease_that_ran_out_is_due_again_and_the_old_worker_cannot_record(hotline_db, partner_endpoint) -> None:
    # given a forward leased by a worker that then stalled past its lease
    app = hotline_db
    add_partner(app, partner_endpoint.url)
    queue_forward(app, seed_url(app, 1))
    with app.db.sessions() as session:
        [stale] = lease_due(session, limit=5, lease_seconds=60)
    with app.db.session() as session:
        session.execute(update(Forward).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    # when another worker leases it (the same idempotency key goes out again)
    with app.db.sessions() as session:
        [fresh] = lease_due(session, limit=5, lease_seconds=60)
        assert lease_due(session, limit=5, lease_seconds=60) == []  # now held
    assert fresh.forward_id == stale.forward_id and fresh.until != stale.until
    # then only the worker holding the lease records an outcome
    assert deliver_leased(app, stale, outbox_options()) == "lost"
    assert deliver_leased(app, fresh, outbox_options()) == "delivered"
    [forward] = forwards(app)
    assert forward.state == "delivered" and forward.attempts == 2
    assert len(partner_endpoint.stored) == 1


def test_forwards_not_yet_due_or_held_are_left_alone(hotline_db) -> None:
    app = hotline_db
    url_id = seed_url(app, 1)
    queue_forward(app, url_id, address="http://127.0.0.1:9/x")
    with app.db.session() as session:
        session.execute(update(Forward).values(next_attempt_at=utcnow() + timedelta(hours=1)))
    queue_forward(app, url_id, destination="other", address="http://127.0.0.1:9/y")
    with app.db.session() as session:
        session.execute(update(Forward).where(Forward.destination == "other").values(state="held"))
    with app.db.sessions() as session:
        assert lease_due(session, limit=10, lease_seconds=60) == []


def test_two_workers_deliver_everything_once_without_resending(hotline_db, partner_endpoint) -> None:
    # given twenty forwards to one partner
    app = hotline_db
    add_partner(app, partner_endpoint.url)
    for n in range(1, 21):
        queue_forward(app, seed_url(app, n))
    # when two workers run the outbox at the same time
    threads = [threading.Thread(target=forward_until_idle, args=(app,),
                                kwargs={"options": outbox_options(), "limit": 3}) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # then every forward was sent exactly once: no request was ever repeated
    assert len(partner_endpoint.received) == 20 and len(partner_endpoint.stored) == 20
    assert all(f.state == "delivered" and f.attempts == 1 for f in forwards(app))
