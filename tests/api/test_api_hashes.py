"""Partners with the hashes role download hash lists, audited; the partner payload's JSON Schema is
published; the OpenAPI document says what GET /reports/{receipt} answers with a bad receipt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from api_support import add_partner, payload
from sqlalchemy import select
from web_support import serving

from forwarders.base import Notice, NoticeItem
from forwarders.partner_schema import encode_payload, payload_from_notice
from hotline.matching.lists import import_list
from hotline.models import AuditEvent
from hotline.web import create_app

PDQS = ["f0" * 32, "0f" * 32]


@pytest.fixture
def served(make_hotline, tmp_path: Path):  # type: ignore[no-untyped-def]
    hotline = make_hotline()
    listed = tmp_path / "partner.txt"
    listed.write_text("".join(f"pdq {h}\n" for h in PDQS))
    with hotline.db.session() as session:
        import_list(session, listed, name="from-nl", verdict="baseline")
    sharer = add_partner(hotline, "nl-meldpunt", roles=("submit", "hashes"))
    other = add_partner(hotline, "de-eco", roles=("submit",))
    with serving(create_app(hotline)) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield hotline, client, sharer, other


def _get(client: httpx.Client, creds: Any, **params: str) -> httpx.Response:
    return client.get("/api/v1/hashes", params=params, headers={"Authorization": f"Bearer {creds.api_key}"})


def test_a_partner_with_the_hashes_role_downloads_a_list_in_threatexchange_lines(  # type: ignore[no-untyped-def]
        served) -> None:
    hotline, client, sharer, _ = served

    answer = _get(client, sharer, list="from-nl", format="tx")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.text.splitlines() == [f"pdq {h}" for h in PDQS]
    assert answer.headers["cache-control"] == "no-store"
    with hotline.db.sessions() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "hashlist.export")).all()
    assert (event.actor, event.detail["via"], event.detail["signals"]) == ("api:nl-meldpunt", "api", 2)


@pytest.mark.parametrize(("fmt", "media"), [("csv", "text/csv"), ("hma", "application/json")])
def test_other_formats(served, fmt: str, media: str) -> None:  # type: ignore[no-untyped-def]
    _, client, sharer, _ = served

    answer = _get(client, sharer, list="from-nl", format=fmt)

    assert answer.status_code == 200 and answer.headers["content-type"].startswith(media)
    assert all(h in answer.text for h in PDQS)


def test_our_assessed_items_with_nothing_assessed_is_an_empty_list(served) -> None:  # type: ignore[no-untyped-def]
    _, client, sharer, _ = served

    answer = _get(client, sharer, assessed="true")

    assert (answer.status_code, answer.text) == (200, "")


def test_without_the_role_or_with_a_bad_question_the_answer_says_why(served) -> None:  # type: ignore[no-untyped-def]
    hotline, client, sharer, other = served

    assert _get(client, other, list="from-nl").status_code == 403
    assert "hashes" in _get(client, other, list="from-nl").json()["detail"]
    assert _get(client, sharer, list="nope").status_code == 404
    assert _get(client, sharer).status_code == 400
    assert _get(client, sharer, list="from-nl", assessed="true").status_code == 400
    assert _get(client, sharer, list="from-nl", format="xml").status_code == 422
    assert client.get("/api/v1/hashes", params={"list": "from-nl"}).status_code == 401
    with hotline.db.sessions() as session:
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "hashlist.export")).all() == []


def test_the_partner_payload_schema_is_published_and_checks_what_we_send(  # type: ignore[no-untyped-def]
        served) -> None:
    _, client, _, _ = served
    schema = client.get("/api/v1/schema/partner-payload.json").json()
    notice = Notice("RO-2026-000123", "fwd-12345678", "hotline", "https://nl.example/api",
                    [NoticeItem("https://gallery.example-synth.ro/p/1", hosting={"ips": ["5.2.130.10"]},
                                classification={"category": "csam", "severity": "A1"},
                                hashes={"sha256": "ab" * 32, "pdq": PDQS[0], "pdq_tx": PDQS[1]})])
    sent = json.loads(encode_payload(payload_from_notice(notice, "ro-hotline")))

    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(sent, schema, cls=jsonschema.Draft202012Validator)
    jsonschema.validate(payload(), schema, cls=jsonschema.Draft202012Validator)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(payload(items=[]), schema, cls=jsonschema.Draft202012Validator)
    assert "pdq_tx" not in sent["items"][0]["hashes"]  # not in version 1 of the format


def test_the_documented_422_of_a_report_state_is_what_is_sent(served) -> None:  # type: ignore[no-untyped-def]
    _, client, sharer, _ = served
    document = client.get("/api/v1/openapi.json").json()
    documented = document["paths"]["/reports/{receipt}"]["get"]["responses"]["422"]
    schema = {**documented["content"]["application/json"]["schema"], "components": document["components"]}

    answer = client.get(f"/api/v1/reports/{'X' * 65}", headers={"Authorization": f"Bearer {sharer.api_key}"})

    assert answer.status_code == 422
    jsonschema.validate(answer.json(), schema)
    assert answer.json()["detail"].startswith("invalid request: path.receipt")
