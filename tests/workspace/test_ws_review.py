"""Findings of the security review of the workspace, each pinned by a test that failed before its fix."""

from __future__ import annotations

import gzip
import re

import pytest

from hotline.models import MediaItem
from tests.workspace.conftest import seed_url


def _set_content_type(app, media_id: int, content_type: str) -> None:  # type: ignore[no-untyped-def]
    with app.db.session() as session:
        session.get(MediaItem, media_id).content_type = content_type


def _revealed_raw_url(ana, url_id: int, media_id: int) -> str:  # type: ignore[no-untyped-def]
    page = ana.get(f"/workspace/items/{url_id}").text
    token = re.search(r'name="view" value="([^"]+)"', page).group(1)
    location = ana.post(f"/workspace/media/{media_id}/reveal", {"view": token}).headers["location"]
    view = re.search(r"view=([^#&]+)", location).group(1)
    return f"/workspace/media/{media_id}/raw?view={view}"


@pytest.mark.parametrize(
    "hostile_type",
    ["video/mp4, text/html", "image/png,text/html", "image/svg+xml", "image/svg", "video/mp4 text/html",
     "image/x-foo\r\nx: y", "image/"],
)
def test_raw_media_is_never_served_under_a_type_a_browser_could_render_as_a_page(
    app, client_for, hostile_type: str
) -> None:
    # given a revealed video whose captured server sent a crafted Content-Type
    seeded = seed_url(app, video=True)
    assert seeded.video_id is not None
    _set_content_type(app, seeded.video_id, hostile_type)
    ana = client_for("ana")
    # when the analyst's player asks for the raw bytes
    raw = ana.get(_revealed_raw_url(ana, seeded.url_id, seeded.video_id))
    # then they are refused as text, never passed on under the captured type
    assert raw.status_code == 415
    assert raw.headers["content-type"].startswith("text/plain")


def test_raw_media_keeps_a_plain_image_or_video_type(app, client_for) -> None:
    seeded = seed_url(app, video=True)
    assert seeded.video_id is not None
    _set_content_type(app, seeded.video_id, "Video/MP4; codecs=avc1")
    ana = client_for("ana")
    raw = ana.get(_revealed_raw_url(ana, seeded.url_id, seeded.video_id))
    assert raw.status_code == 200 and raw.headers["content-type"] == "video/mp4"


def test_evidence_holding_known_list_items_is_not_handed_to_an_analyst(app, client_for) -> None:
    # given a capture with an item matched to a known list (hidden from analysts on the item page)
    seeded = seed_url(app, known=True)
    # when an analyst asks for the whole WARC, which holds that item's bytes too
    refused = client_for("ana").post(f"/workspace/items/{seeded.url_id}/evidence")
    # then it is refused, while a supervisor may download it
    assert refused.status_code == 403 and "supervisor" in refused.text
    allowed = client_for("sue").post(f"/workspace/items/{seeded.url_id}/evidence")
    assert allowed.status_code == 200 and gzip.decompress(allowed.content) == seeded.warc


def test_the_account_page_is_not_a_password_oracle_for_a_borrowed_session(client_for) -> None:
    # given someone with ana's session but not her password, guessing on the one-time-code page
    borrowed = client_for("ana")
    for _ in range(5):
        assert borrowed.post("/workspace/account/totp", {"password": "guess guess guess"}).status_code == 409
    # when they then try the right password
    response = borrowed.post("/workspace/account/totp", {"password": "correct horse battery"})
    # then it is refused as well: the guesses counted like failed logins
    assert response.status_code == 409 and "too many" in response.text
    assert "otpauth://" not in response.text


def test_parallel_guesses_cannot_outrun_the_login_throttle(app, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from hotline import auth

    # given a password check slow enough that ten parallel guesses would all be inside it at once
    throttles = auth.Throttles.default()
    inside = threading.Barrier(10, timeout=1.0)  # bounded: only ever full without the fix
    checked: list[int] = []
    real_verify = auth.verify_password

    def slow_verify(password_hash, password):  # type: ignore[no-untyped-def]
        checked.append(1)
        try:
            inside.wait()
        except threading.BrokenBarrierError:
            pass
        return real_verify(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", slow_verify)
    outcomes: list[str] = []

    def guess(n: int) -> None:
        with app.db.session() as session:
            try:
                auth.authenticate(session, throttles, "ana", f"guess number {n}", None, f"client-{n}")
            except auth.LoginThrottled:
                outcomes.append("throttled")
            except auth.LoginFailed:
                outcomes.append("failed")

    # when ten guesses for one user arrive together from ten addresses
    threads = [threading.Thread(target=guess, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then only the allowed five reach the password check; the rest are throttled
    assert len(checked) == 5
    assert sorted(outcomes) == ["failed"] * 5 + ["throttled"] * 5


def test_a_one_time_code_works_only_once(app, client_for) -> None:
    import pyotp

    from hotline.auth import enrol_totp, find_user

    # given sue with a one-time-code app, who logs in with the current code
    with app.db.session() as session:
        enrol_totp(session, find_user(session, "sue"))
        secret = find_user(session, "sue").totp_secret
    code = pyotp.TOTP(secret).now()
    assert client_for().login("sue", code=code).status_code == 303
    # when someone who saw her type it (and knows the password) uses the same code again
    replay = client_for().login("sue", code=code)
    # then it is refused, although the code is still inside its 90-second window
    assert replay.status_code == 401


@pytest.mark.parametrize("declared", [True, False])
def test_an_oversized_form_is_refused_before_it_is_parsed(client_for, declared: bool) -> None:
    # given someone not logged in, sending a huge urlencoded body to the login form
    # (with its length declared, and streamed without one)
    stranger = client_for()
    stranger.get("/workspace/login")
    huge = b"name=" + b"a" * (2 * 1024 * 1024)
    content = huge if declared else iter([huge[i : i + 65536] for i in range(0, len(huge), 65536)])
    # when it arrives
    response = stranger.client.post("/workspace/login", content=content,
                                    headers={"content-type": "application/x-www-form-urlencoded"},
                                    follow_redirects=False)
    # then it is refused as too large, not read into memory as a form
    assert response.status_code == 413
    assert response.headers["cache-control"] == "no-store"


def test_an_analyst_reaches_no_supervisor_or_admin_action(app, client_for) -> None:
    from hotline.triage.assessment import four_eyes_classifications
    from hotline.triage.autoforward import policies_paused

    seeded = seed_url(app, known=True)
    ana = client_for("ana")
    # every supervisor/admin page and action answers 403 to an analyst, and changes nothing
    assert ana.get("/workspace/stats").status_code == 403
    assert ana.get("/workspace/audit").status_code == 403
    assert ana.post("/workspace/settings/policies", {"paused": "yes"}).status_code == 403
    assert ana.post("/workspace/settings/four-eyes", {"legal": "not-illegal"}).status_code == 403
    shown = ana.post(f"/workspace/media/{seeded.known_id}/show-known", {"reason": "curious"})
    assert shown.status_code == 403
    with app.db.sessions() as session:
        assert not policies_paused(session)
        assert "not-illegal" not in four_eyes_classifications(session)
    # and another analyst's claim can be released only by them or a supervisor
    bob = client_for("bob")
    assert bob.post(f"/workspace/items/{seeded.url_id}/claim").status_code == 303
    assert ana.post(f"/workspace/items/{seeded.url_id}/release").status_code == 409
    assert client_for("sue").post(f"/workspace/items/{seeded.url_id}/release").status_code == 303


def test_a_cookie_with_non_ascii_characters_fails_the_csrf_check_instead_of_crashing(client_for) -> None:
    # given a valid login form token, sent back with a pre-login cookie holding non-ASCII characters
    stranger = client_for()
    stranger.get("/workspace/login")
    stranger.client.cookies.clear()
    cookie = ("hotline_prelogin=" + "\u00e9" * 22).encode("latin-1")  # httpx sends only ASCII str headers
    # when the form is posted
    response = stranger.client.post(
        "/workspace/login", data={"name": "ana", "password": "correct horse battery", "csrf": stranger.token},
        headers={"cookie": cookie}, follow_redirects=False,
    )
    # then it is refused like any forged form (not an error 500), and nobody is logged in
    assert response.status_code == 403
    assert "hotline_session" not in response.headers.get("set-cookie", "")


def test_one_time_codes_in_other_scripts_are_read_or_refused_never_a_crash(app, client_for) -> None:
    import pyotp

    from hotline.auth import enrol_totp, find_user

    with app.db.session() as session:
        enrol_totp(session, find_user(session, "sue"))
        secret = find_user(session, "sue").totp_secret
    assert client_for().login("sue", code="\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9").status_code == 401
    full_width = "".join(chr(0xFF10 + int(d)) for d in pyotp.TOTP(secret).now())
    assert client_for().login("sue", code=full_width).status_code == 303


def test_a_cross_site_post_is_refused_even_with_a_valid_token(app, client_for) -> None:
    seeded = seed_url(app)
    ana = client_for("ana")
    refused = ana.post(f"/workspace/items/{seeded.url_id}/claim", {}, headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403
    assert ana.post(f"/workspace/items/{seeded.url_id}/claim", {},
                    headers={"Sec-Fetch-Site": "same-origin"}).status_code == 303
