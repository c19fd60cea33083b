"""Findings of the security review of the public form, each pinned by a test that failed before its fix."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from hotline.models import Report
from hotline.web.public import routes
from hotline.web.public.form import CATEGORIES, CheckedForm, ReportForm
from hotline.web.public.status import hash_status_secret


def test_the_same_form_sent_twice_at_once_makes_one_report(hotline_db, monkeypatch: pytest.MonkeyPatch) -> None:
    # given one filled-in form, and a report writer that lets the two copies meet inside it if it can
    form = ReportForm(category=CATEGORIES[0], consent=True, submission="double-click-submission-0001")
    checked = CheckedForm(form=form, urls=["http://gallery.example-synth.ro/p/1"])
    meet = threading.Barrier(2, timeout=1.0)  # a bounded wait: only reached by both without the fix
    real_submit = routes.submit_report

    def submit_after_meeting(*args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            meet.wait()
        except threading.BrokenBarrierError:
            pass  # the other copy was kept waiting outside, as it should be
        return real_submit(*args, **kwargs)

    monkeypatch.setattr(routes, "submit_report", submit_after_meeting)
    # when both copies arrive at the same moment (a double click)
    results: list[routes.Stored] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            results.append(routes._store(hotline_db, checked, "en", hash_status_secret("K7QM-2XRT-9WDB-H4NE")))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then one report exists, and the second copy was answered with it
    assert not errors, errors
    with hotline_db.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 1
    assert sorted(r.again for r in results) == [False, True]
    assert len({r.reference for r in results}) == 1
