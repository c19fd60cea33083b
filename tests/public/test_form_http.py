"""The report form over real HTTP on loopback: what is stored, what is refused, what the reporter sees."""

from __future__ import annotations

from typing import Any

import pytest
from public_support import UA_MARKER, done_codes, fresh_form, reference_shown
from sqlalchemy import func, inspect, select

from hotline.models import Base, Report, ReportSource
from hotline.web import create_app
from hotline.web.public.ratelimit import RateLimiter, RateLimits


def count_reports(hotline: Any) -> int:
    with hotline.db.sessions() as session:
        return session.scalar(select(func.count()).select_from(Report)) or 0


def every_stored_value(hotline: Any) -> str:
    """All rows of all tables as one text, to search for anything that identifies the reporter."""
    chunks = []
    with hotline.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in inspect(conn).get_table_names():
                chunks.extend(repr(tuple(row)) for row in conn.execute(table.select()))
    return "\n".join(chunks)


def test_a_report_is_stored_with_its_reference_and_without_ip_or_user_agent(
    hotline_db, serve, client_for
) -> None:
    # given the form served from a hotline on SQLite or PostgreSQL
    client = client_for(serve(create_app(hotline_db)))
    fields = fresh_form(client, "/ro/report") | {"contact": "mama@example.ro", "description": "Găsit pe forum"}
    # when the reporter sends it
    answer = client.post("/ro/report", data=fields, headers={"Referer": "https://forum.example/t/9"})
    # then they get a reference and a secret, once, in Romanian
    assert answer.status_code == 200
    reference, secret = done_codes(answer.text)
    assert "Vă mulțumim" in answer.text and answer.headers["cache-control"] == "no-store"
    with hotline_db.db.sessions() as session:
        report = session.scalar(select(Report).where(Report.reference == reference))
        assert report is not None
        assert (report.source, report.language, report.category_claimed) == (ReportSource.PUBLIC, "ro", "csam")
        assert report.reporter_contact == "mama@example.ro" and report.description == "Găsit pe forum"
        assert [link.reported_url.url for link in report.urls] == [
            "https://gallery.example-synth.ro/p/1", "http://example-synth.ro/p/2"]
        assert report.status_secret_hash and secret.replace("-", "") not in report.status_secret_hash
    # and nothing anywhere in the database names the reporter's address, browser or referring page
    stored = every_stored_value(hotline_db)
    assert "127.0.0.1" not in stored and UA_MARKER not in stored and "forum.example" not in stored
    assert secret not in stored


def test_the_same_form_sent_twice_makes_one_report(hotline_db, serve, client_for) -> None:
    # given a form the reporter sends, then sends again (double click, reload, flaky connection)
    client = client_for(serve(create_app(hotline_db)))
    fields = fresh_form(client)
    first = client.post("/en/report", data=fields)
    again = client.post("/en/report", data=fields)
    # then one report is kept, the second answer names it and does not invent a new secret
    reference, _secret = done_codes(first.text)
    assert again.status_code == 200 and reference_shown(again.text) == reference
    assert 'id="secret"' not in again.text and "already been sent" in again.text
    assert count_reports(hotline_db) == 1
    # and a new page of the form is a new report
    assert reference_shown(client.post("/en/report", data=fresh_form(client)).text) != reference
    assert count_reports(hotline_db) == 2


def test_the_status_page_shows_coarse_progress_with_the_secret(public_app, serve, client_for) -> None:
    _hotline, web = public_app
    client = client_for(serve(web))
    reference, secret = done_codes(client.post("/en/report", data=fresh_form(client)).text)
    shown = client.post("/en/report/status", data={"reference": reference, "secret": secret.lower()})
    assert shown.status_code == 200
    assert shown.text.count("<strong>Received</strong>") == 2
    wrong = client.post("/en/report/status", data={"reference": reference, "secret": "AAAA-BBBB-CCCC-DDDD"})
    assert wrong.status_code == 400 and "We found no report" in wrong.text and "Received</strong>" not in wrong.text
    in_romanian = client.post("/ro/report/status", data={"reference": reference, "secret": secret})
    assert in_romanian.text.count("<strong>Primită</strong>") == 2


def test_invalid_addresses_are_shown_back_and_the_valid_ones_kept(public_app, serve, client_for) -> None:
    hotline, web = public_app
    client = client_for(serve(web))
    fields = fresh_form(client) | {"urls": "https://ok.example.ro/1\nftp://x.example.ro/\nnot a url"}
    answer = client.post("/en/report", data=fields)
    assert answer.status_code == 400
    assert "ftp://x.example.ro/</span>: Only addresses that start with http://" in answer.text
    assert '>https://ok.example.ro/1</textarea>' in answer.text
    assert 'aria-describedby="urls-hint urls-error urls-rejected" aria-invalid="true"' in answer.text
    assert count_reports(hotline) == 0


def test_missing_answers_are_tied_to_their_fields(public_app, serve, client_for) -> None:
    hotline, web = public_app
    client = client_for(serve(web))
    fields = fresh_form(client) | {"category": "", "consent": "", "description": "x" * 5001}
    answer = client.post("/en/report", data=fields)
    assert answer.status_code == 400
    for field in ("category", "consent", "description"):
        assert f'id="{field}-error"' in answer.text
    assert 'href="#category-0">Choose what you saw.</a>' in answer.text
    assert count_reports(hotline) == 0


@pytest.mark.parametrize("tamper", ["no-token", "wrong-token", "no-cookie"])
def test_a_form_without_its_csrf_token_and_cookie_is_refused(public_app, serve, client_for, tamper: str) -> None:
    hotline, web = public_app
    client = client_for(serve(web))
    fields = fresh_form(client)
    if tamper == "no-token":
        fields.pop("csrf_token")
    elif tamper == "wrong-token":
        fields["csrf_token"] = fresh_form(client_for(client.base_url.__str__()))["csrf_token"]
    else:
        client.cookies.clear()
    answer = client.post("/en/report", data=fields)
    assert answer.status_code == 400 and "This form has expired" in answer.text
    assert "https://gallery.example-synth.ro/p/1" in answer.text, "what they typed is kept"
    assert count_reports(hotline) == 0


def test_a_filled_honeypot_stores_nothing(public_app, serve, client_for) -> None:
    hotline, web = public_app
    client = client_for(serve(web))
    answer = client.post("/en/report", data=fresh_form(client) | {"website": "http://spam.example"})
    assert answer.status_code == 400 and count_reports(hotline) == 0


def test_too_many_reports_from_one_client_get_a_friendly_429(public_app, serve, client_for) -> None:
    hotline, web = public_app
    web.state.public_limiter = RateLimiter(RateLimits(per_client=2, global_limit=100, window_seconds=600))
    client = client_for(serve(web))
    sent = [client.post("/ro/report", data=fresh_form(client, "/ro/report")).status_code for _ in range(2)]
    assert sent == [200, 200]
    refused = client.post("/ro/report", data=fresh_form(client, "/ro/report"))
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "Ați trimis mai multe raportări într-un timp scurt" in refused.text
    assert count_reports(hotline) == 2


def test_the_global_limit_refuses_everyone(public_app, serve, client_for) -> None:
    _hotline, web = public_app
    web.state.public_limiter = RateLimiter(RateLimits(per_client=100, global_limit=1, window_seconds=600))
    client = client_for(serve(web))
    fields = fresh_form(client)
    assert client.post("/en/report", data=fields).status_code == 200
    assert client.post("/en/report", data=fields).status_code == 429


def test_status_lookups_are_limited_too(public_app, serve, client_for) -> None:
    _hotline, web = public_app
    web.state.status_limiter = RateLimiter(RateLimits(per_client=3, global_limit=100, window_seconds=600))
    client = client_for(serve(web))
    guesses = [client.post("/en/report/status", data={"reference": "HL-2026-AAAA-AAAA", "secret": "x"})
               for _ in range(4)]
    assert [g.status_code for g in guesses] == [400, 400, 400, 429]


def test_an_oversized_or_undecodable_form_is_refused(public_app, serve, client_for) -> None:
    hotline, web = public_app
    client = client_for(serve(web))
    fields = fresh_form(client)
    big = client.post("/en/report", data=fields | {"description": "x" * 70_000})
    assert big.status_code == 413
    raw = client.post("/en/report", content=b"urls=%FF%FE&consent=yes",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert raw.status_code == 400
    assert count_reports(hotline) == 0


@pytest.mark.parametrize(
    ("path", "accept", "language", "text"),
    [
        ("/report", "en-US,en;q=0.9", "en", "Send the report"),
        ("/report", "ro-RO", "ro", "Trimiteți raportarea"),
        ("/report", "de-DE", "ro", "Trimiteți raportarea"),
        ("/en/report", "ro-RO", "en", "Send the report"),
        ("/ro/report", "en-US", "ro", "Trimiteți raportarea"),
        ("/report/status", "en", "en", "Show the progress"),
        ("/ro/report/status", "en", "ro", "Arătați stadiul"),
    ],
)
def test_the_language_comes_from_the_path_then_the_browser(
    public_app, serve, client_for, path: str, accept: str, language: str, text: str
) -> None:
    _hotline, web = public_app
    page = client_for(serve(web)).get(path, headers={"Accept-Language": accept})
    assert page.status_code == 200
    assert page.headers["content-language"] == language and f'<html lang="{language}">' in page.text
    assert text in page.text


def test_the_form_page_is_safe_to_serve(public_app, serve, client_for) -> None:
    _hotline, web = public_app
    client = client_for(serve(web))
    page = client.get("/en/report")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script" not in page.text, "the form works without JavaScript"
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert client.get("/static/public/report.css").status_code == 200


def test_the_worker_is_woken_after_the_commit(make_hotline, serve, client_for) -> None:
    hotline = make_hotline()
    seen: list[int] = []
    web = create_app(hotline, on_new_work=lambda: seen.append(count_reports(hotline)))
    client = client_for(serve(web))
    client.post("/en/report", data=fresh_form(client))
    assert seen == [1], "when the worker is woken the report is already committed"
