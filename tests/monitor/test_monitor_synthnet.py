"""Takedown monitoring end to end on the synthetic internet: the real isolated capture, `now` injected.

One farm holds one site per situation; every round re-checks all of them in one capture batch.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from hotline.capture.client import run_captures
from hotline.capture.models import CaptureJob
from hotline.models import AuditEvent, Capture, Forward, Proposal, ReportedUrl, TakedownCheck, utcnow
from hotline.monitor import MonitorOptions, removal_times, run_batch, schedule_checks
from hotline.pipeline.capture import store_capture
from hotline.synthnet import SyntheticInternet

from .conftest import add_forwarded_url

PAGE = "<html><body><h1>gallery</h1><img src='/i.png' alt=''><img src='/logo.png' alt=''></body></html>"
SITES = ("gone404", "gone410", "nxdomain", "offline", "replaced", "imagegone", "moved", "putback", "stays",
         "rawimage")
OPTIONS = MonitorOptions(unreachable_checks=2)


def host(name: str) -> str:
    return f"{name}.monitor-synth.ro"


def url(name: str) -> str:
    return f"http://{host(name)}/i.png" if name == "rawimage" else f"http://{host(name)}/p"


@pytest.fixture
def net():  # type: ignore[no-untyped-def]
    with SyntheticInternet(default_sites=False) as net:
        for seed, name in enumerate(SITES, start=1):
            net.add_host(host(name))
            net.add_page(host(name), "/p", html=PAGE)
            net.add_image(host(name), "/i.png", seed=seed)
            net.add_image(host(name), "/logo.png", seed=999)  # same logo everywhere: never assessed
        yield net


def _watch_everything(app, t0) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Report captures as the pipeline makes them, then each URL forwarded (delivered) at t0.

    The assessment names the reported image (not the logo), as an analyst's would.
    """
    from hotline.models import Assessment, MediaItem

    jobs = [CaptureJob(job_id=name, url=url(name)) for name in SITES]
    results = run_captures(jobs, app.capture_options())
    ids = {}
    with app.db.session() as session:
        for job, result in zip(jobs, results, strict=True):
            assert result.outcome == "ok", result.reason
            kind = "hosting-provider" if job.job_id == "stays" else "hotline"
            watched = add_forwarded_url(session, job.url, received=t0 - timedelta(hours=2), forwarded=t0, destination=f"dest-{kind}", kind=kind)
            row = session.get(ReportedUrl, watched.url_id)
            capture = store_capture(session, row, result, purpose="report", job=job)
            image = next(m for m in capture.media if m.url == f"http://{host(job.job_id)}/i.png")
            assert isinstance(image, MediaItem) and image.sha256
            session.add(Assessment(reported_url_id=row.id, media_item_id=image.id, legal="baseline"))
            ids[job.job_id] = row.id
    return ids


def _state(app, ids: dict[str, int]) -> dict[str, tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    """name -> (URL state, outcome of its latest check)."""
    found = {}
    with app.db.sessions() as session:
        for name, url_id in ids.items():
            row = session.get(ReportedUrl, url_id)
            last = session.scalars(select(TakedownCheck).where(TakedownCheck.reported_url_id == url_id,
                                                               TakedownCheck.checked_at.is_not(None))
                                   .order_by(TakedownCheck.id.desc()).limit(1)).first()
            found[name] = (row.state.value, last.outcome if last else None)
    return found


def test_removal_replacement_redirect_and_put_back_are_told_apart(net, make_hotline, tmp_path: Path) -> None:
    # Given ten forwarded URLs whose first forward was delivered 25 hours ago (real time: the CLI at the
    # end runs at "now")
    t0 = utcnow().replace(microsecond=0) - timedelta(hours=25)
    app = make_hotline(dns_nameservers=[net.dns_nameserver], rdap_url=net.rdap_url, egress_proxy=net.proxy_url)
    ids = _watch_everything(app, t0)

    # When, before the 1-hour check, the sites change in every way a takedown can look
    net.remove(host("gone404"), "/p", 404)
    net.remove(host("gone410"), "/p", 410)
    net.remove_host(host("nxdomain"))
    net.take_offline(host("offline"))
    net.add_image(host("replaced"), "/i.png", seed=500)  # same URL, other bytes
    net.add_image(host("rawimage"), "/i.png", seed=501)  # the reported URL is the image itself
    net.remove(host("imagegone"), "/i.png", 404)  # the page stays up, the image is gone
    net.add_redirect(host("moved"), "/p", f"http://{host('moved')}/new/place", 301)
    net.add_page(host("moved"), "/new/place", html=PAGE)
    net.remove(host("putback"), "/p", 404)
    first = run_batch(app, t0 + timedelta(hours=1), options=OPTIONS)

    # Then each is judged by what is served, not by the status code alone
    assert _state(app, ids) == {
        "gone404": ("removed", "removed"),
        "gone410": ("removed", "removed"),
        "nxdomain": ("removed", "removed"),
        "offline": ("forwarded", "error"),  # one refusal is not yet a removal
        "replaced": ("removed", "replaced"),
        "rawimage": ("removed", "replaced"),
        "imagegone": ("removed", "removed"),
        "moved": ("forwarded", "present"),
        "putback": ("removed", "removed"),
        "stays": ("forwarded", "present"),
    }
    assert first == {"removed": 5, "replaced": 2, "present": 2, "error": 1}
    with app.db.sessions() as session:
        checks = session.scalars(select(TakedownCheck).where(TakedownCheck.checked_at.is_not(None))).all()
        assert all(c.capture_id is not None for c in checks), "every check keeps its capture as evidence"
        details = {c.reported_url_id: c.detail for c in checks}
        assert details[ids["gone404"]] == "HTTP 404"
        gone = session.get(Capture, next(c.capture_id for c in checks if c.reported_url_id == ids["gone404"]))
        assert gone is not None and (gone.outcome, gone.status) == ("http-error", 404)
        assert details[ids["gone410"]] == "HTTP 410"
        assert details[ids["nxdomain"]].startswith("DNS gone")
        assert details[ids["offline"]].startswith("unreachable (1 of 2 in a row)")
        assert "moved to" in details[ids["moved"]]
        times = removal_times(session, session.get(ReportedUrl, ids["gone404"]))
        assert times is not None and times.removed_at == t0 + timedelta(hours=1)
        assert times.from_report_seconds == 3 * 3600  # received two hours before the forward
        assert times.from_first_forward_seconds == 3600
        assert times.by_destination == {"dest-hotline": 3600}

    # When the host stays unreachable and the removed page is put back
    net.restore(host("putback"), "/p")
    second = run_batch(app, t0 + timedelta(hours=6), options=OPTIONS)

    # Then two refusals in a row count as removal since the first one, and the put-back is present again
    state = _state(app, ids)
    assert state["offline"] == ("removed", "removed")
    assert state["putback"] == ("forwarded", "present")
    assert sum(second.values()) == len(SITES), "removed URLs stay watched, to notice a put-back"
    with app.db.sessions() as session:
        offline = session.get(ReportedUrl, ids["offline"])
        assert offline.removed_at == t0 + timedelta(hours=1)
        putback = session.get(ReportedUrl, ids["putback"])
        assert putback.removed_at is None and "back online" in (putback.state_reason or "")
        actions = [(e.action, e.subject_id) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        assert ("takedown.reappeared", str(ids["putback"])) in actions
        assert ("takedown.removed", str(ids["putback"])) in actions
        assert not session.scalars(select(Proposal).where(Proposal.rule == "re-notice")).all(), "too early"

    # When the CLI runs the checks at real time (25 h after the forward) until nothing is due
    env = {"HOTLINE_DATA_DIR": str(app.settings.data_dir), **net.env()}
    runner = CliRunner()
    done = runner.invoke(_cli(), ["monitor", "--until-idle", "--json"], env=env)
    assert done.exit_code == 0, done.output
    counts = json.loads(done.output.strip().splitlines()[-1])

    # Then one round ran (the next checks are due at 48 h) and content still up gets a re-notice proposal
    assert sum(counts.values()) == len(SITES)
    assert counts["present"] == 3  # stays, moved, putback
    with app.db.sessions() as session:
        proposals = session.scalars(select(Proposal).where(Proposal.rule == "re-notice")).all()
        assert sorted(p.reported_url_id for p in proposals) == sorted(ids[n] for n in ("stays", "moved", "putback"))
        stays = next(p for p in proposals if p.reported_url_id == ids["stays"])
        assert stays.destination == "dest-hosting-provider" and stays.state == "pending"
        assert not session.scalars(select(Forward).where(Forward.escalation_of_id.is_not(None))).all()
        pending = session.scalars(select(TakedownCheck).where(TakedownCheck.checked_at.is_(None))).all()
        assert {c.due_at for c in pending} == {t0 + timedelta(hours=48)}
        assert len(pending) == len(SITES)

    listing = runner.invoke(_cli(), ["monitor", "ls", "--json"], env=env)
    assert listing.exit_code == 0, listing.output
    rows = {r["reported_url_id"]: r for r in json.loads(listing.output)}
    assert rows[ids["gone410"]]["state"] == "removed" and rows[ids["gone410"]]["checks"] == 3
    assert rows[ids["stays"]]["last_outcome"] == "present"


def _cli():  # type: ignore[no-untyped-def]
    from cli import app as cli_app

    return cli_app


def test_a_forwarded_url_gets_its_first_check_an_hour_after_delivery(hotline_db) -> None:
    # Given a URL forwarded by someone else (no check scheduled)
    from .conftest import T0

    with hotline_db.db.session() as session:
        watched = add_forwarded_url(session, "http://never-checked.monitor-synth.ro/p")
    # When monitoring looks for work before anything is due
    counts = run_batch(hotline_db, T0 + timedelta(minutes=59))
    # Then nothing was captured, but the first check is scheduled at one hour
    assert counts == {}
    with hotline_db.db.sessions() as session:
        check = session.scalars(select(TakedownCheck)).one()
        assert check.reported_url_id == watched.url_id and check.due_at == T0 + timedelta(hours=1)
        # and scheduling again (e.g. the outbox's hook) adds nothing
        row = session.get(ReportedUrl, watched.url_id)
        assert schedule_checks(session, row, T0).id == check.id
