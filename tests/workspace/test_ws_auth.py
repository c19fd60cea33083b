"""Logging in: cookies, throttling, TOTP, logging out (everywhere) and roles, over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from hotline.auth import SessionCodec, SessionData, Throttles, enrol_totp, find_user, totp_secret


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(web) -> FakeClock:  # type: ignore[no-untyped-def]
    fake = FakeClock()
    web.state.workspace.throttles = Throttles.default(clock=fake)
    return fake


def test_login_sets_a_strict_httponly_session_cookie(client_for) -> None:
    # given a person on the login page
    person = client_for()
    # when they log in with the right password
    response = person.login("ana")
    # then they land on the queue with a signed session cookie the page's scripts cannot read
    assert response.status_code == 303
    assert response.headers["location"] == "/workspace/queue"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("hotline_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/workspace" in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback
    queue = person.get("/workspace/queue")
    assert queue.status_code == 200 and "ana (analyst)</a>" in queue.text
    assert queue.headers["cache-control"] == "no-store"
    assert queue.headers["x-frame-options"] == "DENY"


def test_the_session_cookie_is_secure_on_https(client_for) -> None:
    person = client_for(base_url="https://testserver")
    response = person.login("ana")
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("hotline_session="))
    assert "Secure" in cookie


def test_a_wrong_password_is_refused_without_a_session(client_for) -> None:
    person = client_for()
    response = person.login("ana", password="wrong password!")
    assert response.status_code == 401
    assert "wrong user name, password or one-time code" in response.text
    assert "hotline_session" not in person.client.cookies
    assert person.get("/workspace/queue", follow_redirects=False).status_code == 303


def test_pages_need_a_login(client_for) -> None:
    response = client_for().get("/workspace/items/1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/workspace/login?next=/workspace/items/1"


def test_login_goes_back_only_to_workspace_pages(client_for) -> None:
    person = client_for()
    person.get("/workspace/login")
    response = person.post("/workspace/login", {"name": "ana", "password": "correct horse battery",
                                                "next": "https://evil.example/"})
    assert response.headers["location"] == "/workspace/queue"


def test_a_forged_session_cookie_is_ignored(app, client_for) -> None:
    # given a session cookie signed with another key
    forged = SessionCodec(b"not-the-secret").dump(SessionData("made-up-session-id", "nonce"))
    person = client_for()
    person.client.cookies.set("hotline_session", forged, path="/workspace")
    # then it does not log anyone in
    assert person.get("/workspace/audit", follow_redirects=False).status_code == 303


def test_failures_slow_down_the_guesser_without_locking_the_owner_out(client_for, clock) -> None:
    # given someone guessing ana's password from one address
    attacker = client_for()
    for _ in range(3):
        assert attacker.login("ana", password="guess guess guess").status_code == 401
    # then from the fourth failure on they wait, longer each time
    assert attacker.login("ana", password="guess guess guess").status_code == 401
    waited = attacker.login("ana", password="guess guess guess")
    assert waited.status_code == 429 and "try again in 2 seconds" in waited.text
    clock.advance(2)
    assert attacker.login("ana", password="guess guess guess").status_code == 401
    assert "try again in 4 seconds" in attacker.login("ana", password="guess guess guess").text
    # and ana, from her own browser (it logged in to her account before), is not held up by any of it
    owner = client_for()
    clock.advance(3600)
    owner.login("ana")
    for _ in range(12):
        clock.advance(120)
        attacker.login("ana", password="guess guess guess")
    assert client_for().login("ana").status_code == 429  # a new browser waits the (short) per-account delay
    assert owner.login("ana").status_code == 303
def test_one_client_guessing_many_names_is_throttled(client_for, clock) -> None:
    attacker = client_for()
    for n in range(21):  # twenty failures are free, then the delays begin
        attacker.login(f"someone{n}", password="guess guess guess")
    response = attacker.login("bob")
    assert response.status_code == 429
    assert "too many failed logins" in response.text


def test_totp_is_required_once_enrolled(app, client_for) -> None:
    with app.db.session() as session:
        enrol_totp(session, find_user(session, "sue"))
        secret = totp_secret(session, find_user(session, "sue"))
    assert client_for().login("sue").status_code == 401
    assert client_for().login("sue", code="000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
                              ).status_code == 401
    code = pyotp.TOTP(secret).now()
    assert client_for().login("sue", code=code).status_code == 303
    # a code seen over a shoulder is not accepted a second time
    assert client_for().login("sue", code=code).status_code == 401


def test_logout_ends_this_session(client_for) -> None:
    ana = client_for("ana")
    response = ana.post("/workspace/logout")
    assert response.status_code == 303
    assert ana.get("/workspace/queue", follow_redirects=False).status_code == 303


def test_logout_everywhere_ends_every_session_of_the_user(client_for) -> None:
    # given ana logged in on two machines, and bob on a third
    laptop, desktop, bob = client_for("ana"), client_for("ana"), client_for("bob")
    stolen_cookie = desktop.client.cookies.get("hotline_session")
    # when she logs out everywhere from the laptop
    assert laptop.post("/workspace/logout-everywhere").status_code == 303
    # then the desktop session (and any copy of its cookie) is dead; bob is unaffected
    assert desktop.get("/workspace/queue", follow_redirects=False).status_code == 303
    replay = client_for()
    replay.client.cookies.set("hotline_session", stolen_cookie, path="/workspace")
    assert replay.get("/workspace/queue", follow_redirects=False).status_code == 303
    assert bob.get("/workspace/queue").status_code == 200
    # and she can log in again
    assert client_for().login("ana").status_code == 303


def test_roles_guard_supervisor_and_admin_pages(client_for) -> None:
    allowed = {
        "/workspace/audit": {"adam"},
        "/workspace/settings": {"sue", "adam"},
        "/workspace/queue": {"ana", "sue", "adam"},
    }
    people = {name: client_for(name) for name in ("ana", "sue", "adam")}
    for path, names in allowed.items():
        for name, person in people.items():
            assert person.get(path).status_code == (200 if name in names else 403), (name, path)


def test_a_user_enrols_totp_from_the_account_page(app, client_for) -> None:
    import re

    ana = client_for("ana")
    assert "One-time codes are off" in ana.get("/workspace/account").text
    assert ana.post("/workspace/account/totp", {"password": "wrong password!"}).status_code == 409
    page = ana.post("/workspace/account/totp", {"password": "correct horse battery"}).text
    secret = re.search(r"<dt>Secret</dt><dd><code>([A-Z2-7]+)</code>", page).group(1)
    pending = re.search(r'name="pending" value="([^"]+)"', page).group(1)
    # a wrong code changes nothing; the right one turns codes on
    assert ana.post("/workspace/account/totp/confirm", {"pending": pending, "code": "000000"
                    if pyotp.TOTP(secret).now() != "000000" else "111111"}).status_code == 409
    assert client_for().login("ana").status_code == 303
    ok = ana.post("/workspace/account/totp/confirm", {"pending": pending, "code": pyotp.TOTP(secret).now()})
    assert ok.status_code == 303
    assert client_for().login("ana").status_code == 401
    # the confirming code is used up; the next one logs in
    assert client_for().login("ana", code=pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30))
                              ).status_code == 303
    # someone else's pending enrolment cannot be confirmed into bob's account
    bob = client_for("bob")
    assert bob.post("/workspace/account/totp/confirm", {"pending": pending,
                                                        "code": pyotp.TOTP(secret).now()}).status_code == 409
