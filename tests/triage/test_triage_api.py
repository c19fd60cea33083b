"""The triage API under /api/v1 on a real server on loopback: roles, assess, approve and refusals."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import func, select

from forwarders.partner import signed_headers
from hotline.errors import Refused
from hotline.models import Assessment, Forward, ReportedUrl, UrlState, User
from hotline.triage.assessment import approve_url, assess, set_four_eyes
from hotline.web.api.partners import create_partner
from tests.triage.conftest import TRUSTED, add_users, seed_item

BASELINE = {"legal": "baseline", "age_group": "pre-pubescent", "gender": "female", "content_type": "image"}


@pytest.fixture
def api(make_hotline, live_server):  # type: ignore[no-untyped-def]
    """A served hotline with three keys: two integrations with the triage role and a plain partner."""
    app = make_hotline()
    with app.db.session() as session:
        keys = {name: create_partner(session, name, roles=roles) for name, roles in
                [("triage-tool", ["triage"]), ("second-tool", ["triage"]), ("nl-meldpunt", ["submit", "feedback"])]}

    class Api:
        hotline = app
        base = live_server(app) + "/api/v1"
        creds = keys

        def call(self, method: str, path: str, key: str | None = "triage-tool", body: object = None) -> httpx.Response:
            headers = {"Authorization": f"Bearer {keys[key].api_key}"} if key else {}
            return httpx.request(method, self.base + path, json=body, headers=headers, timeout=10)

    return Api()


def test_only_keys_with_the_triage_role_may_read_the_queue_assess_or_approve(api) -> None:
    item = seed_item(api.hotline, 1)
    calls = [("GET", "/queue", None), ("POST", f"/urls/{item.url_id}/assessment", BASELINE),
             ("POST", f"/urls/{item.url_id}/approval", {})]
    for method, path, body in calls:
        anonymous = api.call(method, path, key=None, body=body)
        assert anonymous.status_code == 401, (path, anonymous.text)
        assert anonymous.json()["detail"].startswith("authentication required")
        partner = api.call(method, path, key="nl-meldpunt", body=body)
        assert partner.status_code == 403, (path, partner.text)
        assert partner.json()["detail"] == "partner 'nl-meldpunt' does not have the 'triage' role"
        wrong = httpx.request(method, api.base + path, json=body, timeout=10,
                              headers={"Authorization": "Bearer hlk.pk0000.not-a-key"})
        assert wrong.status_code == 401
    # nothing was assessed by any of them
    with api.hotline.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Assessment)) == 0


def test_the_queue_has_the_workspace_order(api) -> None:
    plain = seed_item(api.hotline, 1)
    known = seed_item(api.hotline, 2, [(TRUSTED, 3)])
    answer = api.call("GET", "/queue")
    assert answer.status_code == 200, answer.text
    assert [item["id"] for item in answer.json()] == [known.url_id, plain.url_id]
    assert api.call("GET", "/queue?state=assessed").json() == []
    assert api.call("GET", "/queue?state=closed").status_code == 422


def test_a_key_assesses_and_approves_in_one_call_and_the_forwards_are_queued(api) -> None:
    item = seed_item(api.hotline, 1)
    answer = api.call("POST", f"/urls/{item.url_id}/assessment", body={**BASELINE, "approve": True,
                                                                       "notes": "via the integration"})
    assert answer.status_code == 201, answer.text
    result = answer.json()
    assert result["state"] == "forwarded"
    assert result["assessment"]["assessor"] == "api:triage-tool" and result["assessment"]["policy"] is None
    assert [f["destination"] for f in result["forwards"]] == ["hotline-nl-offlimits"]
    with api.hotline.db.sessions() as session:
        key_account = session.scalar(select(User).where(User.name == "api:triage-tool"))
        assert key_account.role == "system" and key_account.password_hash is None
        [forward] = session.scalars(select(Forward)).all()
        assert forward.id == result["forwards"][0]["id"]


def test_signed_requests_are_accepted_too(api) -> None:
    item = seed_item(api.hotline, 1)
    creds = api.creds["triage-tool"]
    body = json.dumps({"legal": "not-illegal", "notes": "signed"}).encode()
    headers = signed_headers(body, creds.key_id, creds.signing_secret, "triage-1")
    answer = httpx.post(f"{api.base}/urls/{item.url_id}/assessment", content=body, headers=headers, timeout=10)
    assert answer.status_code == 201, answer.text
    assert answer.json()["state"] == "closed"
    tampered = httpx.post(f"{api.base}/urls/{item.url_id}/assessment", content=body.replace(b"signed", b"forged"),
                          headers=headers, timeout=10)
    assert tampered.status_code == 401


def test_refusals_match_the_workspace(api) -> None:
    # given a supervisor who requires a second person for baseline, and an item
    users = add_users(api.hotline)
    with api.hotline.db.session() as session:
        set_four_eyes(session, session.get(User, users["sue"]), ["baseline"])
    item = seed_item(api.hotline, 1)
    path = f"/urls/{item.url_id}/assessment"
    # missing fields: 422 with the workspace's sentence, nothing written
    missing = api.call("POST", path, body={"legal": "baseline"})
    assert missing.status_code == 422
    assert missing.json()["detail"] == ("age_group and gender required when legal is baseline "
                                        "(use 'unknown' if it cannot be determined)")
    unknown_value = api.call("POST", path, body={"legal": "awful"})
    assert unknown_value.status_code == 422 and unknown_value.json()["detail"].startswith("invalid request: legal")
    # four-eyes: the key cannot approve at once, nor approve its own assessment
    at_once = api.call("POST", path, body={**BASELINE, "approve": True})
    assert at_once.status_code == 409
    assert at_once.json()["detail"] == "'baseline' needs a second analyst: someone else must approve it"
    assert api.call("POST", path, body=BASELINE).status_code == 201
    own = api.call("POST", f"/urls/{item.url_id}/approval", body={})
    assert own.status_code == 409
    assert own.json()["detail"].startswith("'baseline' needs two people, and api:triage-tool is not a person")
    # a second key is not a second person either (issue 17: partner keys are never one of the four eyes)
    other = api.call("POST", f"/urls/{item.url_id}/approval", key="second-tool", body={})
    assert other.status_code == 409 and "api:second-tool is not a person" in other.json()["detail"]
    # nor is a person approving the key's assessment two people: a person assesses, another approves
    with api.hotline.db.session() as session:
        sue = session.get(User, users["sue"])
        with pytest.raises(Refused, match="assessment is by api:triage-tool, not a person"):
            approve_url(api.hotline, session, item.url_id, sue)
    with api.hotline.db.session() as session:
        assess(api.hotline, session, item.url_id, session.get(User, users["ana"]), BASELINE)
    with api.hotline.db.session() as session:
        done = approve_url(api.hotline, session, item.url_id, session.get(User, users["sue"]))
        assert [f.destination for f in done.forwards] == ["hotline-nl-offlimits"]
    # and what is no longer waiting, or does not exist, is refused
    again = api.call("POST", path, body=BASELINE)
    assert again.status_code == 409 and again.json()["detail"] == f"URL {item.url_id} is forwarded, not waiting for assessment"
    assert api.call("POST", "/urls/999999/assessment", body=BASELINE).status_code == 404
    with api.hotline.db.sessions() as session:
        assert session.get(ReportedUrl, item.url_id).state == UrlState.FORWARDED
        assert session.scalar(select(func.count()).select_from(Forward)) == 1


def test_the_openapi_document_describes_the_triage_routes(api) -> None:
    document = httpx.get(f"{api.base}/openapi.json", timeout=10).json()
    assert {"/queue", "/urls/{url_id}/assessment", "/urls/{url_id}/approval"} <= set(document["paths"])
    assert "AssessmentRequest" in document["components"]["schemas"]


def test_a_key_never_acts_as_a_person_whose_account_has_its_name(api) -> None:
    # given a person's account that happens to be called like the key's account
    with api.hotline.db.session() as session:
        session.add(User(name="api:triage-tool", role="analyst"))
    item = seed_item(api.hotline, 1)
    answer = api.call("POST", f"/urls/{item.url_id}/assessment", body={"legal": "not-illegal"})
    assert answer.status_code == 409
    assert answer.json()["detail"] == ("the account 'api:triage-tool' belongs to a person; "
                                       "rename it so the API key can act")
    with api.hotline.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Assessment)) == 0
