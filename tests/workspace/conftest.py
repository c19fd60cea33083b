"""Workspace fixtures: users, seeded items (synthetic Pillow images only) and logged-in HTTP clients."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from hotline.auth import create_user
from hotline.models import (
    Capture,
    Fingerprint,
    Forward,
    HashList,
    Hosting,
    Match,
    MediaItem,
    Report,
    ReportedUrl,
    ReportSource,
    ReportUrl,
    UrlState,
    utcnow,
)
from hotline.web import workspace
from hotline.web.security import SecurityHeaders

PASSWORD = "correct horse battery"
USERS = {"ana": "analyst", "bob": "analyst", "sue": "supervisor", "adam": "admin"}
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def synthetic_png(seed: int, size: tuple[int, int] = (200, 160)) -> bytes:
    """Shapes and text on a coloured ground: obviously synthetic, deterministic by seed."""
    image = Image.new("RGB", size, (230, 30 + seed * 40 % 200, 40))
    draw = ImageDraw.Draw(image)
    draw.ellipse((20, 20, 110, 110), fill=(250, 0, 0))
    draw.rectangle((120, 40, 190, 150), fill=(0, 0, 240))
    draw.text((10, 130), f"SYNTHETIC {seed}", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@dataclass
class Seeded:
    url_id: int
    image_id: int
    page_id: int
    known_id: int | None = None
    video_id: int | None = None
    capture_id: int = 0
    warc: bytes = b""
    extra: dict[str, int] = field(default_factory=dict)


def seed_url(
    app,  # type: ignore[no-untyped-def]
    url: str = "http://gallery-ro.example-synth.ro/album/1",
    *,
    state: UrlState = UrlState.TRIAGED,
    source: ReportSource = ReportSource.PUBLIC,
    category: str | None = "csam",
    country: str = "NL",
    known: bool = False,
    video: bool = False,
    reported_ago: timedelta = timedelta(0),
    propose: bool = True,
) -> Seeded:
    """One reported URL as the pipeline would leave it: captured, fingerprinted, located, triaged."""
    from hotline.triage.proposals import propose as triage_propose

    with app.db.session() as session:
        n = session.query(ReportedUrl).count() + 1
        report = Report(reference=f"HL-2026-TEST-{n:04d}", source=source, category_claimed=category,
                        description=f"seen on a forum {HOSTILE}")
        row = ReportedUrl(url=url, host=url.split("/")[2], state=state,
                          first_reported_at=utcnow() - reported_ago)
        session.add_all([report, row])
        session.flush()
        session.add(ReportUrl(report_id=report.id, reported_url_id=row.id, submitted_url=url))
        warc = b"WARC/1.1\r\nWARC-Type: warcinfo\r\n\r\nsynthetic " + url.encode()
        capture = Capture(
            reported_url_id=row.id, outcome="ok", status=200, final_url=url, content_type="text/html",
            hops=[{"url": url.replace("/album", "/r"), "status": 302, "ip": "5.2.130.10"},
                  {"url": url, "status": 200, "ip": "5.2.130.11"}],
            warc_path=app.evidence.write_warc(f"c{n}", warc),
        )
        session.add(capture)
        session.flush()
        page_html = f"<html><head><title>{HOSTILE}</title></head><body>gallery</body></html>".encode()
        page = _media(app, capture, url, "page", "text/html", page_html)
        image = _media(app, capture, url + "/a.png", "image", "image/png", synthetic_png(n))
        session.add_all([page, image])
        session.flush()
        session.add_all([
            Fingerprint(media_item_id=image.id, kind="sha256", value=image.sha256 or ""),
            Fingerprint(media_item_id=image.id, kind="pdq", value="ab" * 32, quality=90),
        ])
        seeded = Seeded(url_id=row.id, image_id=image.id, page_id=page.id, capture_id=capture.id, warc=warc)
        if known:
            hash_list = HashList(name=f"known-list-{n}", verdict="baseline", trusted=True, confirmations=3)
            session.add(hash_list)
            known_item = _media(app, capture, url + "/k.png", "image", "image/png", synthetic_png(n + 50))
            session.add(known_item)
            session.flush()
            session.add(Match(media_item_id=known_item.id, kind="pdq", distance=6,
                              hash_list_id=hash_list.id, verdict="baseline"))
            seeded.known_id = known_item.id
        if video:
            clip = _media(app, capture, url + "/v.mp4", "video", "video/mp4", b"\x00\x00\x00\x18ftypmp42synthetic")
            session.add(clip)
            session.flush()
            seeded.video_id = clip.id
        session.add(Hosting(
            reported_url_id=row.id, host=row.host, registrable_domain="example-synth.ro",
            ips=["5.2.130.11"], country=country, country_status="known", asn=64500,
            provider="Synthetic Hosting BV", abuse_email="abuse@synthetic-hosting.example",
            sources={"country": "rdap", "asn": "offline-db"},
        ))
        session.flush()
        if propose:
            session.refresh(row)
            triage_propose(app, session, row)
        return seeded


def _media(app, capture: Capture, url: str, kind: str, content_type: str, body: bytes) -> MediaItem:  # type: ignore[no-untyped-def]
    digest = app.evidence.put_blob(body)
    return MediaItem(capture_id=capture.id, url=url, kind=kind, status=200, content_type=content_type,
                     size=len(body), sha256=digest, blob=digest)


def add_forward(app, url_id: int) -> None:  # type: ignore[no-untyped-def]
    with app.db.session() as session:
        session.add(Forward(reported_url_id=url_id, destination="hotline-nl", destination_kind="hotline",
                            channel="partner-api", idempotency_key=f"seeded-{url_id}", state="failed",
                            attempts=3, last_error="HTTP 503 from partner", receipt=None))


CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
SECRET = "workspace-test-secret"


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its production cost takes ~0.1 s a hash; tests only need the same code path."""
    import hotline.auth

    monkeypatch.setattr(hotline.auth, "_hasher", CHEAP_HASHER)


@pytest.fixture(scope="session")
def template_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One initialised data dir with the four users; each test gets a copy (migrations run once)."""
    import hotline.auth
    from hotline.app import Hotline
    from hotline.config import load_settings

    path = tmp_path_factory.mktemp("workspace-template") / "var"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hotline.auth, "_hasher", CHEAP_HASHER)
        with Hotline(load_settings(data_dir=path, secret_key=SECRET)) as template:
            template.init()
            with template.db.session() as session:
                for name, role in USERS.items():
                    create_user(session, name, role, PASSWORD)
    return path


@pytest.fixture
def app(template_data_dir: Path, tmp_path: Path) -> Iterator:  # type: ignore[type-arg]
    from hotline.app import Hotline
    from hotline.config import load_settings

    data_dir = tmp_path / "var"
    shutil.copytree(template_data_dir, data_dir)
    # One-time codes are required of supervisors and admins by default (tests/workspace/test_ws_security.py
    # checks that); the other workspace tests log them in with a password only.
    with Hotline(load_settings(data_dir=data_dir, secret_key=SECRET, totp_required_roles=[])) as hotline:
        yield hotline


def workspace_only(hotline):  # type: ignore[no-untyped-def]
    """The workspace area composed the way create_app does, without the other areas (their own tests)."""
    web = FastAPI()
    web.add_middleware(SecurityHeaders)
    workspace.mount(web, hotline)
    return web


@pytest.fixture
def web(app):  # type: ignore[no-untyped-def]
    return workspace_only(app)


CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


class Browser:
    """A TestClient that remembers the last CSRF token it was given, like a person with a form open."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.token: str | None = None

    def get(self, path: str, **kw):  # type: ignore[no-untyped-def]
        response = self.client.get(path, **kw)
        found = CSRF_RE.search(response.text) if "text/html" in response.headers.get("content-type", "") else None
        if found:
            self.token = found.group(1)
        return response

    def post(self, path: str, data: dict | None = None, token: bool = True, **kw):  # type: ignore[no-untyped-def]
        if token and self.token is None:
            self.get("/workspace/queue")
        form = dict(data or {})
        if token:
            form.setdefault("csrf", self.token)
        return self.client.post(path, data=form, follow_redirects=False, **kw)

    def login(self, name: str, password: str = PASSWORD, code: str = "", **kw):  # type: ignore[no-untyped-def]
        self.get("/workspace/login")
        return self.post("/workspace/login", {"name": name, "password": password, "code": code}, **kw)


@pytest.fixture
def client_for(web) -> Iterator:  # type: ignore[no-untyped-def]
    made: list[TestClient] = []

    def make(name: str | None = None, base_url: str = "http://testserver") -> Browser:
        client = TestClient(web, base_url=base_url)
        made.append(client)
        browser = Browser(client)
        if name:
            response = browser.login(name)
            assert response.status_code == 303, response.text
            browser.get("/workspace/queue")
        return browser

    yield make
    for client in made:
        client.close()
