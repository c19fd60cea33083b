"""The verdict on one re-capture, from hand-made capture results (no network)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hotline.capture.models import CaptureResult, Resource
from hotline.monitor import AssessedItem, MonitorOptions, decide

NOW = datetime(2026, 1, 1, tzinfo=UTC)
PAGE = "http://site.example-synth.ro/p"
IMAGE = "http://site.example-synth.ro/i.png"
ASSESSED = [AssessedItem(IMAGE, "a" * 64)]


def result(status: int | None = 200, outcome: str = "ok", reason: str | None = None,
           media: dict[str, tuple[int, str]] | None = None, final_url: str | None = None) -> CaptureResult:
    page = Resource(url=PAGE, kind="page", status=status, sha256="p" * 64, outcome="ok") if status else None
    resources = [Resource(url=u, kind="image", status=s, sha256=h) for u, (s, h) in (media or {}).items()]
    return CaptureResult(job_id="j", url=PAGE, outcome=outcome, reason=reason, status=status, page=page,
                         resources=resources, final_url=final_url or PAGE, started_at=NOW, finished_at=NOW)


@pytest.mark.parametrize("status", [404, 410, 451])
def test_gone_statuses_are_removals(status: int) -> None:
    # A capture whose final status is not 2xx says so: outcome http-error, with the status.
    assert decide(result(status, outcome="http-error", reason=f"HTTP {status}"), ASSESSED, 0, 3).outcome == "removed"


def test_other_error_statuses_are_neither_served_nor_gone() -> None:
    assert decide(result(403, outcome="http-error"), ASSESSED, 0, 3).outcome == "error"


def test_the_assessed_hash_served_anywhere_is_present() -> None:
    moved = result(media={"http://cdn.example-synth.ro/x.png": (200, "a" * 64)}, final_url=PAGE + "/new")
    verdict = decide(moved, ASSESSED, 0, 3)
    assert verdict.outcome == "present" and "moved to" in verdict.detail


def test_other_bytes_at_the_assessed_url_are_a_replacement_not_a_status() -> None:
    assert decide(result(media={IMAGE: (200, "b" * 64)}), ASSESSED, 0, 3).outcome == "replaced"


def test_a_page_without_the_assessed_media_is_a_removal() -> None:
    assert decide(result(media={IMAGE: (404, "c" * 64)}), ASSESSED, 0, 3).outcome == "removed"
    assert decide(result(media={}), ASSESSED, 0, 3).outcome == "removed"


def test_without_assessed_media_a_served_page_is_present() -> None:
    assert decide(result(), [], 0, 3).outcome == "present"


def test_dns_gone_is_a_removal_but_a_dns_timeout_is_not() -> None:
    gone = result(None, "failed", "DNS lookup failed for site.example-synth.ro: NXDOMAIN")
    slow = result(None, "failed", "DNS lookup failed for site.example-synth.ro: The DNS operation timed out.")
    assert decide(gone, ASSESSED, 0, 3).outcome == "removed"
    assert decide(slow, ASSESSED, 0, 3).outcome == "error"


def test_refused_connections_count_only_n_in_a_row() -> None:
    refused = result(None, "failed", "ConnectionRefusedError: Connection was refused by other side: 111")
    assert [decide(refused, ASSESSED, before, 3).outcome for before in range(3)] == ["error", "error", "removed"]
    assert decide(result(502), ASSESSED, 2, 3).outcome == "removed"  # a proxy that cannot reach the host


def test_an_inconclusive_answer_is_an_error_not_a_removal() -> None:
    for status in (403, 500, 503):
        assert decide(result(status), ASSESSED, 0, 3).outcome == "error"
    assert decide(result(None, "refused", "resolves to a private address"), ASSESSED, 0, 3).outcome == "error"


def test_the_default_schedule_is_1h_6h_24h_then_daily_for_30_days() -> None:
    hours = [offset.total_seconds() / 3600 for offset in MonitorOptions().offsets()]
    assert hours == [1, 6, 24, *range(48, 30 * 24 + 1, 24)]


def test_the_schedule_comes_from_the_settings() -> None:
    from hotline.config import load_settings

    options = MonitorOptions.from_settings(load_settings(monitor_first_checks_hours=[2, 12], monitor_daily_until_days=3,
                                                         monitor_unreachable_checks=5))
    assert [o.total_seconds() / 3600 for o in options.offsets()] == [2, 12, 24, 48, 72]
    assert options.unreachable_checks == 5
    # and the settings' defaults are the schedule's own
    assert MonitorOptions.from_settings(load_settings()) == MonitorOptions()
