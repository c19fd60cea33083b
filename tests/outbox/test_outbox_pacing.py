"""The per-destination rate limit: one slow partner does not slow another."""

from __future__ import annotations

from itertools import combinations

from outbox_support import add_partner, forwards, outbox_options, queue_forward, seed_url

from hotline.outbox import forward_until_idle

RATE, BURST = 5.0, 1
LATENCY = 0.3  # seconds; unpaced, six sends arrive within a tenth of that and fail the check


def test_each_destination_is_sent_to_no_faster_than_its_rate(make_hotline, partner_endpoint) -> None:
    # given six forwards to each of two partners (the same loopback intake under two addresses)
    app = make_hotline()
    add_partner(app, partner_endpoint.url + "?a", name="partner-a", directory_id="hotline-at-stopline")
    add_partner(app, partner_endpoint.url + "?b", name="partner-b", directory_id="hotline-be-child-focus")
    for n in range(1, 7):
        queue_forward(app, seed_url(app, n), destination="hotline-at-stopline")
        queue_forward(app, seed_url(app, 100 + n), destination="hotline-be-child-focus")
    # when the worker sends them with 5 per second and a burst of 1 per destination
    summary = forward_until_idle(app, options=outbox_options(rate_per_second=RATE, rate_burst=BURST))
    # then all arrive, rate-limited sends are not counted as attempts
    assert summary.counts["delivered"] == 12 and summary.counts["deferred"] > 0
    rows = forwards(app)
    assert all(f.state == "delivered" and f.attempts == 1 for f in rows)
    by_destination: dict[str, list[float]] = {}
    for path, at in partner_endpoint.arrivals:
        by_destination.setdefault(path.rsplit("?", 1)[1], []).append(at)
    assert sorted(len(times) for times in by_destination.values()) == [6, 6]
    # and no destination received more than the token bucket allows in any interval (the bucket paces
    # when sends start; a request may take up to LATENCY seconds more to arrive on a busy machine)
    for times in by_destination.values():
        times.sort()
        for (i, first), (j, last) in combinations(enumerate(times), 2):
            assert j - i + 1 <= BURST + RATE * (last - first + LATENCY), times
    # and the two destinations were served side by side, not one after the other
    a, b = (sorted(t) for t in by_destination.values())
    assert b[0] < a[-1] and a[0] < b[-1]

