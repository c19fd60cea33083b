"""Penetration-test findings in the workspace (issue 17): server-side sessions (3), ids no row can have (7),
tampered evidence (8), the text view (9), one-time codes required and enrolled by QR code, and the admin's
users page (11)."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select, update

from hotline.app import Hotline
from hotline.auth import find_user, totp_secret
from hotline.config import load_settings
from hotline.models import AuditEvent, MediaItem, UserSession, utcnow
from tests.workspace.conftest import PASSWORD, SECRET, seed_url, synthetic_png, workspace_only


def _events(app, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with app.db.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


# -- finding 3: sessions ------------------------------------------------------------------------------
def test_a_copied_session_cookie_is_refused_after_logout(client_for) -> None:
    # given ana logged in, and a copy of her cookie taken meanwhile
    ana = client_for("ana")
    copied = ana.client.cookies.get("hotline_session")
    # when she logs out
    assert ana.post("/workspace/logout").status_code == 303
    # then the copy is refused too: the session ended on the server, not just in her browser
    thief = client_for()
    thief.client.cookies.set("hotline_session", copied, path="/workspace")
    assert thief.get("/workspace/queue", follow_redirects=False).status_code == 303


def test_a_password_change_ends_every_session_of_the_user(client_for) -> None:
    laptop, desktop = client_for("ana"), client_for("ana")
    changed = laptop.post("/workspace/account/password",
                          {"current": PASSWORD, "new": "a brand new password", "again": "a brand new password"})
    assert changed.status_code == 303
    assert desktop.get("/workspace/queue", follow_redirects=False).status_code == 303
    assert laptop.get("/workspace/queue", follow_redirects=False).status_code == 303
    assert client_for().login("ana").status_code == 401
    assert client_for().login("ana", password="a brand new password").status_code == 303


def test_a_session_left_idle_ends(app, client_for) -> None:
    ana = client_for("ana")
    assert ana.get("/workspace/queue").status_code == 200
    # when nobody used it for longer than the idle limit (30 minutes by default)
    with app.db.session() as session:
        session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    # then it has ended
    assert ana.get("/workspace/queue", follow_redirects=False).status_code == 303


def test_a_session_ends_at_its_absolute_expiry_even_when_used(app, client_for) -> None:
    ana = client_for("ana")
    with app.db.session() as session:
        session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert ana.get("/workspace/queue", follow_redirects=False).status_code == 303


def test_the_database_holds_no_usable_session_cookie(app, client_for) -> None:
    ana = client_for("ana")
    cookie = ana.client.cookies.get("hotline_session")
    with app.db.sessions() as session:
        [row] = session.scalars(select(UserSession))
    assert row.token_hash not in cookie and row.client == "testclient"


# -- finding 11 in the workspace: one-time codes required, enrolled by QR code; the users page -------------
@pytest.fixture
def strict(app):  # type: ignore[no-untyped-def]
    """The same data dir with the default settings: supervisors and admins must use one-time codes."""
    with Hotline(load_settings(data_dir=app.settings.data_dir, secret_key=SECRET)) as strict_app:
        yield strict_app


def test_supervisors_must_enrol_one_time_codes_before_anything_else(strict) -> None:
    from fastapi.testclient import TestClient

    from tests.workspace.conftest import Browser

    sue = Browser(TestClient(workspace_only(strict)))
    # a password alone logs her in, but only to enrol
    assert sue.login("sue").status_code == 303
    queue = sue.get("/workspace/queue", follow_redirects=False)
    assert queue.status_code == 303 and queue.headers["location"] == "/workspace/account?enrol=required"
    page = sue.get("/workspace/account")
    assert "Your role needs one-time codes" in page.text
    # enrolment shows a QR code drawn on the server (inline SVG: nothing is fetched from elsewhere)
    started = sue.post("/workspace/account/totp", {"password": PASSWORD})
    assert started.status_code == 200
    assert re.search(r"<svg[^>]*>", started.text) and "QR code for your authenticator app" in started.text
    assert "<img" not in started.text.split("<figure", 1)[1].split("</figure>", 1)[0]
    secret = re.search(r"<dt>Secret</dt><dd><code>([A-Z2-7]+)</code>", started.text).group(1)  # type: ignore[union-attr]
    pending = re.search(r'name="pending" value="([^"]+)"', started.text).group(1)  # type: ignore[union-attr]
    assert sue.post("/workspace/account/totp/confirm", {"pending": pending,
                                                        "code": pyotp.TOTP(secret).now()}).status_code == 303
    # then the workspace opens, and the seed is sealed at rest
    assert sue.get("/workspace/queue").status_code == 200
    with strict.db.sessions() as session:
        user = find_user(session, "sue")
        assert secret not in (user.totp_secret or "") and totp_secret(session, user) == secret
    sue.client.close()


def test_analysts_need_no_one_time_codes_by_default(strict) -> None:
    from fastapi.testclient import TestClient

    from tests.workspace.conftest import Browser

    ana = Browser(TestClient(workspace_only(strict)))
    assert ana.login("ana").status_code == 303
    assert ana.get("/workspace/queue").status_code == 200
    ana.client.close()


def test_an_admin_sets_a_password_and_disables_a_user_from_the_users_page(app, client_for) -> None:
    adam, bob = client_for("adam"), client_for("bob")
    page = adam.get("/workspace/users")
    assert page.status_code == 200 and "bob" in page.text
    with app.db.sessions() as session:
        bob_id = find_user(session, "bob").id
    # a new password for bob ends his sessions
    assert adam.post(f"/workspace/users/{bob_id}/password", {"password": "reset by the admin"}).status_code == 303
    assert bob.get("/workspace/queue", follow_redirects=False).status_code == 303
    again = client_for()
    assert again.login("bob", password="reset by the admin").status_code == 303
    # disabled, he cannot log in at all, and his new session ended too
    assert adam.post(f"/workspace/users/{bob_id}/disable").status_code == 303
    assert again.get("/workspace/queue", follow_redirects=False).status_code == 303
    assert client_for().login("bob", password="reset by the admin").status_code == 401
    # every change is audited under the admin's name
    assert [(e.actor, e.subject_id) for e in _events(app, "user.passwd")] == [("adam", str(bob_id))]
    assert [(e.actor, e.detail["sessions_ended"]) for e in _events(app, "user.disable")] == [("adam", 1)]
    # and the page is the admin's only
    assert client_for("sue").get("/workspace/users").status_code == 403
    assert client_for("ana").post(f"/workspace/users/{bob_id}/enable").status_code == 403


# -- finding 7: numbers no row can have -----------------------------------------------------------------
@pytest.mark.parametrize("path", ["/workspace/items/{n}", "/workspace/media/{n}/preview", "/workspace/media/{n}/text",
                                  "/workspace/media/{n}/raw"])
@pytest.mark.parametrize("n", [2**63, 2**64 + 5, 10**30])
def test_ids_beyond_any_row_are_not_found_not_a_server_error(client_for, path: str, n: int) -> None:
    response = client_for("ana").get(path.format(n=n))
    assert response.status_code == 404 and "Not found" in response.text


def test_a_form_naming_a_huge_media_item_is_refused_in_one_line(app, client_for) -> None:
    seeded = seed_url(app)
    ana = client_for("ana")
    response = ana.post(f"/workspace/items/{seeded.url_id}/assess",
                        {"legal": "not-illegal", "media_item_id": str(2**70)})
    assert response.status_code == 409 and "is not the number of a media item" in response.text
    posted = ana.post(f"/workspace/items/{2**64}/claim", {})
    assert posted.status_code == 404


# -- finding 8: tampered evidence -------------------------------------------------------------------------
def _flip_a_byte(path) -> None:  # type: ignore[no-untyped-def]
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_tampered_blob_gives_a_clear_page_an_audit_event_and_nothing_else(app, client_for) -> None:
    seeded = seed_url(app)
    with app.db.sessions() as session:
        blob = session.get(MediaItem, seeded.image_id).blob
    _flip_a_byte(app.evidence.blob_path(blob))
    response = client_for("ana").get(f"/workspace/media/{seeded.image_id}/preview")
    assert response.status_code == 409
    assert "failed its integrity check" in response.text and response.headers["content-type"].startswith("text/html")
    [event] = _events(app, "evidence.integrity-failure")
    assert event.actor == "ana" and event.subject_id == blob and "preview" in event.detail["path"]


def test_a_tampered_warc_is_not_downloaded(app, client_for) -> None:
    seeded = seed_url(app)
    with app.db.sessions() as session:
        from hotline.models import Capture

        warc_path = session.get(Capture, seeded.capture_id).warc_path
    _flip_a_byte(app.evidence.root / warc_path)
    response = client_for("sue").post(f"/workspace/items/{seeded.url_id}/evidence")
    assert response.status_code == 409 and "failed its integrity check" in response.text
    assert b"WARC/1.1" not in response.content
    assert len(_events(app, "evidence.integrity-failure")) == 1 and not _events(app, "evidence.download")


# -- finding 9: the text view -----------------------------------------------------------------------------
def test_the_text_view_shows_only_text(app, client_for) -> None:
    seeded = seed_url(app)
    ana = client_for("ana")
    # an image is never shown as text, whatever its declared type
    assert ana.get(f"/workspace/media/{seeded.image_id}/text").status_code == 404
    with app.db.session() as session:
        session.get(MediaItem, seeded.image_id).content_type = "text/html"
        session.get(MediaItem, seeded.image_id).kind = "other"
    disguised = ana.get(f"/workspace/media/{seeded.image_id}/text")
    assert disguised.status_code == 404 and "not text" in disguised.text
    assert ana.get(f"/workspace/media/{seeded.image_id}/sanitised").status_code == 404
    # the captured page still is
    page = ana.get(f"/workspace/media/{seeded.page_id}/text")
    assert page.status_code == 200 and "gallery" in page.text
    assert synthetic_png(1)[:8] not in page.content
