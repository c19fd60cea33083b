"""Every figure of the seeded dataset (see conftest.py) against its known answer, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from hotline.stats import compute
from hotline.stats.compute import percentile
from hotline.stats.model import DestinationRemoval, Durations, Growth, Ratio, Repeat, Share

from .conftest import FROM, TO, seed


def test_every_figure_of_the_seeded_dataset(hotline_db) -> None:
    # Given the seeded dataset (conftest.py), when January 2026 is computed
    with hotline_db.db.session() as session:
        seed(session)
    with hotline_db.db.sessions() as session:
        stats = compute(session, FROM, TO)

    # Then: reports by source and category, with growth
    assert stats.reports_received == Growth(current=10, previous=4, percent=150.0)
    assert stats.reports_by_source == [Share("public", 5, 50.0), Share("partner", 3, 30.0),
                                       Share("api", 1, 10.0), Share("cli", 1, 10.0)]
    assert stats.categories_claimed == [Share("csam", 7, 70.0), Share("grooming", 1, 10.0),
                                        Share("none", 1, 10.0), Share("other", 1, 10.0)]

    # Then: R5 and R6 name only URLs assessed not illegal: not valid, as not-illegal; R10 waits (neither)
    assert stats.reports_valid == Ratio(7, 10, 70.0)
    assert stats.reports_not_valid == Ratio(2, 10, 20.0)
    assert stats.reports_closed == [Share("no-url", 0, 0.0), Share("out-of-scope", 0, 0.0),
                                    Share("duplicate", 0, 0.0), Share("not-illegal", 2, 20.0),
                                    Share("unreachable", 0, 0.0)]

    # Then: URLs valid and not illegal, by their latest assessment
    assert stats.urls_reported == Growth(10, 3, 233.33)
    assert stats.urls_assessed == 9
    assert stats.valid == Growth(6, 2, 200.0)
    assert stats.not_illegal == 2
    assert stats.classifications == [Share("baseline", 4, 44.44), Share("national", 2, 22.22),
                                     Share("not-illegal", 2, 22.22), Share("other-harmful", 1, 11.11)]

    # Then: hosting countries of valid URLs
    assert stats.hosting_countries == [Share("NL", 3, 50.0), Share("RO", 1, 16.67), Share("US", 1, 16.67),
                                       Share("unknown", 1, 16.67)]

    # Then: destinations count each URL once per group
    assert stats.urls_forwarded == 7
    assert stats.destinations == [Share("partner hotline", 4, 57.14), Share("police", 3, 42.86),
                                  Share("content owner", 2, 28.57), Share("regulator (ANCOM)", 1, 14.29)]

    # Then: time to removal, median and 90th percentile
    assert stats.urls_removed == 5
    assert stats.removal_from_report == Durations(5, 48.0, 268.8)
    assert stats.removal_from_forward == Durations(5, 47.0, 249.6)
    assert stats.removal_by_destination == [
        DestinationRemoval("partner hotline", 4, 32.5),
        DestinationRemoval("police", 2, 51.0),  # the police notice after removal does not count
        DestinationRemoval("content owner", 1, 72.0),
        DestinationRemoval("regulator (ANCOM)", 0, None),
    ]

    # Then: INHOPE's headline figures, within three days
    assert stats.removed_within_3_days == Ratio(3, 6, 50.0)
    assert stats.police_within_3_days == Ratio(2, 6, 33.33)

    # Then: repeat URLs and hosts
    assert stats.repeat_urls == 2
    assert stats.top_repeat_urls == [Repeat("http://repeat.example-synth.nl/u1", 2),
                                     Repeat("http://solo.example-synth.us/u3", 2)]
    assert stats.repeat_hosts == 2
    assert stats.top_repeat_hosts == [Repeat("repeat.example-synth.nl", 3), Repeat("ro.example-synth.ro", 2)]


def test_an_empty_period_has_no_percentages(make_hotline) -> None:
    with make_hotline().db.sessions() as session:
        empty = compute(session, FROM, TO)
    assert empty.reports_received == Growth(0, 0, None)
    assert empty.removal_from_report == Durations(0, None, None)
    assert empty.removed_within_3_days == Ratio(0, 0, None)
    assert [s.percent for s in empty.destinations] == [None] * 4


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([10, 18, 47, 84, 360], 0.9) == pytest.approx(249.6)
    assert percentile([5], 0.9) == 5 and percentile([], 0.5) is None
    assert percentile([1, 2, 3, 4], 0.5) == 2.5


def test_a_period_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="after its start"):
        compute(None, TO, FROM)  # type: ignore[arg-type]


def test_discovered_urls_and_their_removals_are_counted_apart_from_reported_ones(hotline_db) -> None:
    from dataclasses import replace

    from hotline.models import Assessment, Report, ReportedUrl, ReportSource, ReportUrl, UrlState
    from hotline.stats.model import Discovered

    from .conftest import at

    # Given the seeded dataset, and its figures
    with hotline_db.db.session() as session:
        ids = seed(session)
    with hotline_db.db.sessions() as session:
        before = compute(session, FROM, TO)
    # When a discovery crawl's report names two new URLs (one illegal, forwarded and removed) and U1
    with hotline_db.db.session() as session:
        found = ReportedUrl(url="http://repeat.example-synth.nl/found", host="repeat.example-synth.nl",
                            first_reported_at=at(1, 12), first_forwarded_at=at(1, 12, 6), removed_at=at(1, 13),
                            state=UrlState.REMOVED)
        waiting = ReportedUrl(url="http://repeat.example-synth.nl/waiting", host="repeat.example-synth.nl",
                              first_reported_at=at(1, 12), state=UrlState.TRIAGED)
        report = Report(reference="D1", source=ReportSource.DISCOVERY, received_at=at(1, 12))
        session.add_all([found, waiting, report])
        session.flush()
        session.add(Assessment(reported_url_id=found.id, legal="baseline", policy="verified-known"))
        for position, url_id in enumerate([found.id, waiting.id, ids["U1"]]):
            session.add(ReportUrl(report_id=report.id, reported_url_id=url_id, position=position, submitted_url="x"))
    with hotline_db.db.sessions() as session:
        after = compute(session, FROM, TO)

    # Then every figure about reported URLs is as it was, and the discovered ones are counted on their own
    assert replace(after, discovered=Discovered()) == before
    assert after.discovered == Discovered(urls=2, valid=1, forwarded=1, removed=1,
                                          removal_from_discovery=Durations(1, 24.0, 24.0),
                                          removal_from_forward=Durations(1, 18.0, 18.0))
