"""The reporter's secret and the coarse progress it unlocks."""

from __future__ import annotations

import re

import pytest

from hotline.models import UrlState
from hotline.pipeline.intake import submit_report
from hotline.web.public.status import hash_status_secret, new_status_secret, progress_of, report_progress


def test_secrets_are_long_random_and_easy_to_copy() -> None:
    secrets = {new_status_secret() for _ in range(200)}
    assert len(secrets) == 200
    assert all(re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){3}[0-9A-HJKMNP-TV-Z]{4}", s) for s in secrets)


def test_a_secret_typed_loosely_still_matches() -> None:
    assert hash_status_secret("k7qm 2xrt 9wdb h4ne") == hash_status_secret("K7QM-2XRT-9WDB-H4NE")
    assert hash_status_secret("O1LI-0000-0000-0000") == hash_status_secret("0111-0000-0000-0000")
    assert hash_status_secret("K7QM-2XRT-9WDB-H4NE") != hash_status_secret("K7QM-2XRT-9WDB-H4NF")


@pytest.mark.parametrize(
    ("state", "progress"),
    [(UrlState.NEW, "received"), (UrlState.LOCATED, "received"), (UrlState.TRIAGED, "received"),
     (UrlState.REFUSED, "received"), (UrlState.ASSESSED, "assessed"), (UrlState.CLOSED, "assessed"),
     (UrlState.FORWARDED, "forwarded"), (UrlState.REMOVED, "removed")],
)
def test_every_state_maps_to_one_coarse_step(state: UrlState, progress: str) -> None:
    assert progress_of(state) == progress


def test_progress_needs_the_right_reference_and_secret(hotline_db) -> None:
    secret = new_status_secret()
    with hotline_db.db.session() as session:
        report = submit_report(session, ["example.ro/a", "example.ro/b"],
                               status_secret_hash=hash_status_secret(secret)).report
        report.urls[1].reported_url.state = UrlState.FORWARDED
        reference = report.reference
    with hotline_db.db.sessions() as session:
        assert report_progress(session, reference.lower(), secret) == ["received", "forwarded"]
        assert report_progress(session, reference, new_status_secret()) is None
        assert report_progress(session, "HL-2026-XXXX-XXXX", secret) is None
