"""Property-based checks of the API against its own OpenAPI document (schemathesis): no server errors.

Each generated request is sent twice: as schemathesis builds it (unsigned, random headers: refused) and
signed with a real partner's secret, so the generated bodies reach the parser and the database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from api_support import add_partner
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from web_support import serving

from hotline.web import create_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    from hotline.app import Hotline
    from hotline.config import load_settings

    hotline = Hotline(load_settings(data_dir=tmp_path_factory.mktemp("schemathesis")))
    hotline.init()
    creds = add_partner(hotline)
    try:
        with serving(create_app(hotline)) as base:
            yield base, creds
    finally:
        hotline.close()


def usable(body: Any, sender: str) -> Any:
    """Generated URLs are rarely http(s) with a host (a rule the JSON schema cannot say): make them so, and
    name the signing partner as the sender (another name is refused with 403), keeping every other
    generated field, so the signed requests reach the database."""
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        body = dict(body)
        if "sender" in body:
            body["sender"] = sender
        body["items"] = [dict(item, url=f"https://gen.example-synth.nl/{n}") if isinstance(item, dict) else item
                         for n, item in enumerate(body["items"])]
    return body


def check_operation(operation: Any, base: str, creds: Any, statuses: list[int]) -> None:
    from forwarders.partner import signed_headers

    @given(case=operation.as_strategy())
    @settings(max_examples=8, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        response = case.call()
        case.validate_response(response, checks=CHECKS)
        # The same request, signed by a real partner: it must still never be a 5xx.
        body = b"" if case.body is None or case.method == "GET" else json.dumps(usable(case.body, creds.partner.name)).encode()
        headers = signed_headers(body, creds.key_id, creds.signing_secret, "schemathesis")
        headers.pop("Idempotency-Key")
        answer = httpx.request(case.method, f"{base}/api/v1{case.formatted_path}", content=body or None,
                               headers=headers, timeout=10)
        statuses.append(answer.status_code)
        assert answer.status_code < 500, answer.text
        assert answer.headers["content-type"].startswith("application/json")

    run()


def test_the_api_never_answers_with_a_server_error(live_api: tuple[str, Any]) -> None:
    base, creds = live_api
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {f"{op.method.upper()} {op.path}" for op in operations} >= {
        "POST /reports", "GET /reports/{receipt}", "POST /feedback"}
    statuses: list[int] = []
    for operation in operations:
        check_operation(operation, base, creds, statuses)
    assert 201 in statuses, "some signed, generated reports were stored"

