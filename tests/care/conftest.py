"""Data-care fixtures: a data dir holding real captures from the synthetic internet, and the CLI.

Three reports, one URL each, on three synthetic hosts. Two of the pages embed the same image, so their
captures share one blob in the content-addressed store (what retention must count).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update
from typer.testing import CliRunner

from hotline.app import Hotline
from hotline.config import load_settings
from hotline.synthnet import SyntheticInternet

SITES = {
    "one": ("one.care-synth.ro", "RO", [1, 7]),
    "two": ("two.care-synth.nl", "NL", [2, 7]),  # image 7 is on both pages: one shared blob
    "three": ("three.care-synth.com", "US", [3]),
}
USERS = {"sue": "supervisor", "ana": "analyst"}
PASSWORD = "correct horse battery"
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    import hotline.auth

    monkeypatch.setattr(hotline.auth, "_hasher", CHEAP_HASHER)


@pytest.fixture(scope="session")
def care_net() -> Iterator[SyntheticInternet]:
    with SyntheticInternet(default_sites=False) as net:
        for host, country, seeds in SITES.values():
            net.add_host(host, country=country)
            net.add_page(host, "/p", html="<html><body>" + "".join(
                f"<img src='/img/{seed}.png' alt=''>" for seed in seeds) + "</body></html>")
            for seed in seeds:
                net.add_image(host, f"/img/{seed}.png", seed=seed)
        yield net


def capture_into(app: Hotline) -> dict[str, str]:
    """Submit one report per site, run the pipeline, add the users; returns site -> reference."""
    from hotline.auth import create_user
    from hotline.executors.embedded import process_until_idle
    from hotline.pipeline.intake import submit_report

    references = {}
    with app.db.session() as session:
        for key, (host, _, _) in SITES.items():
            references[key] = submit_report(session, [f"http://{host}/p"], category="csam").report.reference
        for name, role in USERS.items():
            create_user(session, name, role, PASSWORD)
    process_until_idle(app)
    return references


def net_settings(net: SyntheticInternet) -> dict[str, Any]:
    return {"dns_nameservers": [net.dns_nameserver], "rdap_url": net.rdap_url, "egress_proxy": net.proxy_url}


@pytest.fixture(scope="session")
def captured_template(care_net: SyntheticInternet, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:  # type: ignore[type-arg]
    import hotline.auth

    path = tmp_path_factory.mktemp("care-template") / "var"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hotline.auth, "_hasher", CHEAP_HASHER)
        with Hotline(load_settings(data_dir=path, **net_settings(care_net))) as app:
            app.init()
            references = capture_into(app)
    return path, references


@dataclass
class Captured:
    data_dir: Path
    references: dict[str, str]

    def app(self, **overrides: Any) -> Hotline:
        return Hotline(load_settings(data_dir=self.data_dir, **overrides))

    def cli(self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Any:
        from cli_support import stdin_for

        if "--as" in args and stdin is None:
            with self.app() as app:
                stdin = stdin_for(app, args, stdin)
        return cli(*args, stdin=stdin, env={"HOTLINE_DATA_DIR": str(self.data_dir), **(env or {})})


def cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Any:
    """The real `hotline` command, in this process."""
    from cli import app as cli_app

    return CliRunner().invoke(cli_app, list(args), input=stdin, env=env)


@pytest.fixture
def captured(captured_template: tuple[Path, dict], tmp_path: Path) -> Captured:  # type: ignore[type-arg]
    """A copy of the captured data dir for one test."""
    template, references = captured_template
    shutil.copytree(template, tmp_path / "var")
    return Captured(tmp_path / "var", dict(references))


def every_evidence(app: Hotline) -> dict[str, bytes]:
    """Every capture's WARC and every media blob, read through the store as the product reads them."""
    from hotline.models import Capture, MediaItem

    found = {}
    with app.db.sessions() as session:
        for path in session.scalars(select(Capture.warc_path).where(Capture.warc_path.is_not(None))):
            found[path] = app.evidence.open_warc(path)
        for blob in session.scalars(select(MediaItem.blob).where(MediaItem.blob.is_not(None)).distinct()):
            found[blob] = app.evidence.get_blob(blob)
    return found


def age(app: Hotline, reference: str, days: float, state: str) -> None:
    """Make a report's URL finished (`state`) `days` ago, captured then, with files that old on disk."""
    from hotline.models import Capture, MediaItem, ReportedUrl, UrlState, utcnow
    from hotline.triage.views import find_report

    when = utcnow() - timedelta(days=days)
    with app.db.session() as session:
        url_ids = [link.reported_url_id for link in find_report(session, reference).urls]
        session.execute(update(ReportedUrl).where(ReportedUrl.id.in_(url_ids))
                        .values(state=UrlState(state), updated_at=when))
        session.execute(update(Capture).where(Capture.reported_url_id.in_(url_ids)).values(started_at=when))
        captures = session.scalars(select(Capture).where(Capture.reported_url_id.in_(url_ids))).all()
        files = [c.warc_path for c in captures if c.warc_path]
        files += [app.evidence.blob_relative(b) for b in session.scalars(
            select(MediaItem.blob).where(MediaItem.capture_id.in_([c.id for c in captures]),
                                         MediaItem.blob.is_not(None)))]
    stamp = time.time() - days * 86400
    for relative in files:
        os.utime(app.evidence.root / relative, (stamp, stamp))
