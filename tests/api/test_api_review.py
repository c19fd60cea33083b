"""Findings of the security review of the partner API, each pinned by a test that failed before its fix."""

from __future__ import annotations

import pytest
from api_support import count_reports, encode, payload, signed


@pytest.mark.parametrize("stamp", [b"\xb2", b"1" * 5000, "\u0661\u0662".encode("utf-8")])
def test_a_timestamp_that_is_not_plain_ascii_seconds_is_a_401_not_a_crash(api_sqlite, stamp: bytes) -> None:
    # given a signed request whose timestamp header is digits only to str.isdigit (superscript two,
    # a number longer than int() accepts, Arabic-Indic digits)
    hotline, client, creds = api_sqlite
    body = encode(payload())
    headers: dict[str, str | bytes] = dict(signed(body, creds))
    headers["X-Hotline-Timestamp"] = stamp
    # when it is sent
    answer = client.post("/api/v1/reports", content=body, headers=headers)
    # then it is refused as a bad signature, with one line and no traceback, and nothing is stored
    assert answer.status_code == 401
    assert "Timestamp" in answer.json()["detail"] and "Traceback" not in answer.text
    assert count_reports(hotline) == 0
