"""Triage fixtures: items seeded through the models (captured, fingerprinted, matched, located), users,
a rule file with the auto-forward policy switched on, and the CLI run in this process.

Media are synthetic: nothing here is an image at all, only rows that name synthetic URLs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from cli import app as cli_app
from hotline.models import (
    Capture,
    HashList,
    Hosting,
    Match,
    MediaItem,
    Report,
    ReportedUrl,
    ReportSource,
    ReportUrl,
    UrlState,
    User,
    utcnow,
)

RADIUS = 4  # the test policy's max_distance
CONFIRMATIONS = 2  # the test policy's min_confirmations
USERS = {"ana": "analyst", "bob": "analyst", "sue": "supervisor"}


@dataclass(frozen=True)
class ListSpec:
    name: str
    trusted: bool = True
    verdict: str = "baseline"
    confirmations: int = 3


TRUSTED = ListSpec("trusted-baseline")
UNTRUSTED = ListSpec("untrusted-baseline", trusted=False)
UNCONFIRMED = ListSpec("unconfirmed-baseline", confirmations=1)


@dataclass(frozen=True)
class Seeded:
    url_id: int
    reference: str
    media_ids: tuple[int, ...]


def policy_rules_file(directory: Path, *, enabled: bool = True) -> Path:
    """The shipped rule set with its auto-forward policy on, radius RADIUS, CONFIRMATIONS analysts."""
    from hotline.rules.schema import default_ruleset_source

    text = default_ruleset_source().text
    policy = text.index("[[policy]]")
    head, tail = text[:policy], text[policy:]
    tail = tail.replace("enabled = false", f"enabled = {'true' if enabled else 'false'}", 1)
    tail = tail.replace("max_distance = 0", f"max_distance = {RADIUS}", 1)
    tail = tail.replace("min_confirmations = 2", f"min_confirmations = {CONFIRMATIONS}", 1)
    path = directory / "rules-with-policy.toml"
    path.write_text(head + tail, encoding="utf-8")
    return path


def add_users(app: Any) -> dict[str, int]:
    """Accounts without passwords (the CLI's --as and the services need only the account)."""
    with app.db.session() as session:
        users = [User(name=name, role=role) for name, role in USERS.items()]
        session.add_all(users)
        session.flush()
        return {u.name: u.id for u in users}


def seed_item(
    app: Any,
    n: int,
    matches: Sequence[tuple[ListSpec, int] | None] = (),
    *,
    country: str = "NL",
    state: UrlState = UrlState.TRIAGED,
    source: ReportSource = ReportSource.PUBLIC,
    category: str | None = "csam",
    images: int | None = None,
    propose: bool = True,
    reported_ago: timedelta = timedelta(0),
) -> Seeded:
    """One URL as the pipeline leaves it: captured with `images` media items (default: one per entry of
    `matches`), each matched to (list, distance) or not at all (None), located in `country`."""
    from hotline.triage.proposals import propose as triage_propose

    count = images if images is not None else max(len(matches), 1)
    url = f"http://gallery-{country.lower()}.example-synth.test/album/{n}"
    with app.db.session() as session:
        report = Report(reference=f"HL-2026-TR-{n:05d}", source=source, category_claimed=category)
        row = ReportedUrl(url=url, host=url.split("/")[2], state=state, first_reported_at=utcnow() - reported_ago)
        session.add_all([report, row])
        session.flush()
        session.add(ReportUrl(report_id=report.id, reported_url_id=row.id, submitted_url=url))
        capture = Capture(reported_url_id=row.id, outcome="ok", status=200, final_url=url,
                          content_type="text/html", finished_at=utcnow())
        session.add(capture)
        session.flush()
        session.add(MediaItem(capture_id=capture.id, url=url, kind="page", status=200, content_type="text/html"))
        media = [MediaItem(capture_id=capture.id, url=f"{url}/{i}.png", kind="image", status=200,
                           content_type="image/png", sha256=f"{n:032x}{i:032x}") for i in range(count)]
        session.add_all(media)
        session.flush()
        for item, match in zip(media, matches, strict=False):
            if match is not None:
                spec, distance = match
                hash_list = _hash_list(session, spec)
                session.add(Match(media_item_id=item.id, kind="pdq", distance=distance,
                                  hash_list_id=hash_list.id, verdict=spec.verdict))
        session.add(Hosting(reported_url_id=row.id, host=row.host, ips=["5.2.130.11"], country=country,
                            country_status="known", asn=64500, provider="Synthetic Hosting BV",
                            abuse_email="abuse@hosting.example-synth.test"))
        session.flush()
        if propose:
            session.refresh(row)
            triage_propose(app, session, row)
        return Seeded(row.id, report.reference, tuple(m.id for m in media))


def _hash_list(session: Any, spec: ListSpec) -> HashList:
    found = session.scalar(select(HashList).where(HashList.name == spec.name))
    if found is None:
        found = HashList(name=spec.name, verdict=spec.verdict, trusted=spec.trusted,
                         confirmations=spec.confirmations)
        session.add(found)
        session.flush()
    return found


class Cli:
    """`hotline ...` run in this process against the data dir of `app` (the same Hotline the test reads)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.runner = CliRunner()

    def __call__(self, *args: str, stdin: str | None = None) -> Result:
        from cli_support import stdin_for

        return self.runner.invoke(cli_app, list(args), input=stdin_for(self.app, args, stdin))


@pytest.fixture
def make_cli(make_hotline, monkeypatch):  # type: ignore[no-untyped-def]
    def build(rules_file: Path | None = None) -> Cli:
        app = make_hotline(rules_file=rules_file) if rules_file else make_hotline()
        monkeypatch.setenv("HOTLINE_DATA_DIR", str(app.settings.data_dir))
        if rules_file:
            monkeypatch.setenv("HOTLINE_RULES_FILE", str(rules_file))
        return Cli(app)

    return build


@pytest.fixture
def cli(make_cli):  # type: ignore[no-untyped-def]
    return make_cli()
