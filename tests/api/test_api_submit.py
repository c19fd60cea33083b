"""Submitting in the partner format: signatures, idempotency, validation; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest
from api_support import add_partner, count_reports, encode, payload, post_report, signed
from sqlalchemy import select

from hotline.models import Report, ReportSource


def test_a_signed_report_is_stored_once_and_answered_with_a_receipt(api_on) -> None:
    hotline, client, creds = api_on
    # when a partner submits two URLs, one of which we cannot use
    answer = post_report(client, creds, payload(urls=("https://Gallery.Example-Synth.nl/p/1", "http://intranet/x")))
    # then it is received, with our receipt and the reasons for what was left out
    assert answer.status_code == 201, answer.text
    receipt = answer.json()
    assert receipt["duplicate"] is False and receipt["reference"] == "NL-2026-42"
    assert receipt["accepted"] == ["https://gallery.example-synth.nl/p/1"]
    assert [r["url"] for r in receipt["rejected"]] == ["http://intranet/x"]
    with hotline.db.sessions() as session:
        report = session.scalar(select(Report).where(Report.reference == receipt["receipt"]))
        assert report is not None and report.source == ReportSource.PARTNER
        assert (report.partner_id, report.idempotency_key) == (creds.partner.id, "fwd-0000-0001")
        assert report.category_claimed == "csam" and report.language == "en"
        assert report.payload["items"][0]["hashes"]["sha256"] == "ab" * 32


def test_a_retry_with_the_same_key_gets_the_same_answer_and_no_second_report(api_on) -> None:
    hotline, client, creds = api_on
    first = post_report(client, creds, payload())
    again = post_report(client, creds, payload())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json() | {"duplicate": True}
    assert count_reports(hotline) == 1


def test_a_key_reused_for_a_different_report_is_refused(api_on) -> None:
    hotline, client, creds = api_on
    post_report(client, creds, payload())
    other = post_report(client, creds, payload(urls=("https://other.example-synth.nl/",)))
    assert other.status_code == 422 and "already used" in other.json()["detail"]
    assert count_reports(hotline) == 1


def test_two_partners_may_use_the_same_key(api_on) -> None:
    hotline, client, creds = api_on
    second = add_partner(hotline, "be-childfocus")
    assert post_report(client, creds, payload()).status_code == 201
    assert post_report(client, second, payload(sender="be-childfocus")).status_code == 201
    assert count_reports(hotline) == 2


def test_concurrent_retries_create_one_report(api_on) -> None:
    hotline, client, creds = api_on
    body = encode(payload(key="fwd-concurrent-1"))
    headers = signed(body, creds)
    answers: list[tuple[int, str]] = []
    start = threading.Barrier(8)

    def retry() -> None:
        start.wait()
        response = client.post("/api/v1/reports", content=body, headers=headers)
        answers.append((response.status_code, response.json().get("receipt", response.text)))

    threads = [threading.Thread(target=retry) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(code for code, _ in answers) == [200] * 7 + [201]
    assert len({receipt for _, receipt in answers}) == 1
    assert count_reports(hotline) == 1


@pytest.mark.parametrize("fault", ["unsigned", "wrong-secret", "stale", "future", "unknown-key", "altered"])
def test_a_request_without_a_valid_signature_is_refused_and_stores_nothing(api_sqlite, fault: str) -> None:
    hotline, client, creds = api_sqlite
    body = encode(payload())
    headers = signed(body, creds)
    if fault == "unsigned":
        headers = {"Content-Type": "application/json"}
    elif fault == "wrong-secret":
        headers = signed(body, creds, secret="not-the-secret")
    elif fault == "stale":
        headers = signed(body, creds, timestamp=int(time.time()) - 3600)
    elif fault == "future":
        headers = signed(body, creds, timestamp=int(time.time()) + 3600)
    elif fault == "unknown-key":
        headers["X-Hotline-Key-Id"] = "pk0000000000000000"
    else:
        body = body.replace(b"NL-2026-42", b"NL-2026-43")
    answer = client.post("/api/v1/reports", content=body, headers=headers)
    assert answer.status_code == 401 and "www-authenticate" in answer.headers
    assert answer.json()["detail"].startswith("signature refused")
    assert count_reports(hotline) == 0


def test_a_wrong_api_key_next_to_a_good_signature_is_refused(api_sqlite) -> None:
    hotline, client, creds = api_sqlite
    other = add_partner(hotline, "be-childfocus")
    body = encode(payload())
    answer = client.post("/api/v1/reports", content=body,
                         headers=signed(body, creds) | {"Authorization": f"Bearer {other.api_key}"})
    assert answer.status_code == 401 and count_reports(hotline) == 0
    ok = client.post("/api/v1/reports", content=body,
                     headers=signed(body, creds) | {"Authorization": f"Bearer {creds.api_key}"})
    assert ok.status_code == 201


def test_a_partner_without_the_submit_role_is_forbidden(api_sqlite) -> None:
    hotline, client, _ = api_sqlite
    reader = add_partner(hotline, "feedback-only", roles=("feedback",))
    assert post_report(client, reader, payload()).status_code == 403
    assert count_reports(hotline) == 0


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"version": 2}, "version"),
        ({"items": []}, "items"),
        ({"idempotency_key": "short"}, "idempotency_key"),
        ({"sender": "Not Valid"}, "sender"),
        ({"extra": True}, "extra"),
    ],
)
def test_a_payload_that_breaks_the_schema_is_refused_with_the_field(api_sqlite, change: dict, where: str) -> None:
    hotline, client, creds = api_sqlite
    answer = post_report(client, creds, payload() | change)
    assert answer.status_code == 422 and where in answer.json()["detail"]
    assert count_reports(hotline) == 0


def test_a_report_whose_urls_are_all_unusable_stores_nothing(api_sqlite) -> None:
    hotline, client, creds = api_sqlite
    answer = post_report(client, creds, payload(urls=("http://intranet/a", "http://localhostx/b")))
    assert answer.status_code == 422 and "no item has a URL we can use" in answer.json()["detail"]
    assert count_reports(hotline) == 0


def test_the_idempotency_header_must_agree_with_the_body(api_sqlite) -> None:
    hotline, client, creds = api_sqlite
    body = encode(payload())
    headers = signed(body, creds) | {"Idempotency-Key": "fwd-something-else"}
    assert client.post("/api/v1/reports", content=body, headers=headers).status_code == 422
    assert count_reports(hotline) == 0


def test_an_oversized_body_is_refused_before_it_is_read(api_sqlite) -> None:
    hotline, client, creds = api_sqlite
    body = b"{" + b" " * (4 * 1024 * 1024) + b"}"
    answer = client.post("/api/v1/reports", content=body, headers=signed(b"{}", creds))
    assert answer.status_code == 413 and count_reports(hotline) == 0


def test_json_that_is_not_utf8_or_not_json_is_a_422(api_sqlite) -> None:
    hotline, client, creds = api_sqlite
    for body in (b"\xff\xfe{", b"not json", b"[]"):
        answer = client.post("/api/v1/reports", content=body, headers=signed(body, creds))
        assert answer.status_code == 422, body
    assert count_reports(hotline) == 0
