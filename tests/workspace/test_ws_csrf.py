"""Every state-changing workspace route refuses a missing or wrong CSRF token.

The routes are enumerated from the app, so a route added later is covered without touching this test.
"""

from __future__ import annotations

import itertools
import re

from fastapi.routing import APIRoute
from sqlalchemy import func, select

from hotline.models import AuditEvent
from hotline.web.csrf import issue_token
from tests.workspace.conftest import seed_url, workspace_only


def all_routes(routes) -> list[APIRoute]:  # type: ignore[no-untyped-def]
    """Every APIRoute, looking inside included routers (FastAPI >= 0.16x keeps them nested)."""
    flat = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            flat += all_routes(inner.routes)
        elif isinstance(route, APIRoute):
            flat.append(route)
    return flat


def state_changing_routes(web) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    found = []
    for route in all_routes(web.routes):
        if route.path.startswith("/workspace"):
            for method in sorted(route.methods - {"GET", "HEAD", "OPTIONS"}):
                found.append((method, re.sub(r"\{[^}]+\}", "1", route.path)))
    return found


def test_the_enumeration_sees_the_workspace_forms(app) -> None:
    routes = {path for _, path in state_changing_routes(workspace_only(app))}
    assert {"/workspace/login", "/workspace/logout", "/workspace/items/1/assess", "/workspace/items/1/approve",
            "/workspace/media/1/reveal", "/workspace/items/1/evidence"} <= routes
    assert len(routes) >= 11


def _audit_count(app) -> int:  # type: ignore[no-untyped-def]
    with app.db.sessions() as session:
        return session.scalar(select(func.count(AuditEvent.id))) or 0


def test_every_state_changing_route_refuses_a_bad_token(app, web, client_for) -> None:
    # given a logged-in supervisor with an item on screen
    seed_url(app, known=True)
    sue = client_for("sue")
    other = client_for("bob")
    before = _audit_count(app)
    bad_tokens = [None, "not-a-token", other.token]  # missing, wrong, valid but bound to bob's login
    for (method, path), bad in itertools.product(state_changing_routes(web), bad_tokens):
        data = {"legal": "not-illegal", "destination": "", "name": "sue", "password": "correct horse battery"}
        if bad is not None:
            data["csrf"] = bad
        # when it posts the form without its own token
        response = sue.client.request(method, path, data=data, follow_redirects=False)
        # then nothing happens
        assert response.status_code == 403, (method, path, bad, response.status_code)
        assert "did not come from this workspace" in response.text
    assert _audit_count(app) == before
    assert sue.get("/workspace/queue").status_code == 200  # still logged in: logout was refused too


def test_a_token_in_the_header_is_accepted(app, client_for) -> None:
    seeded = seed_url(app)
    ana = client_for("ana")
    response = ana.client.post(f"/workspace/items/{seeded.url_id}/claim", headers={"X-CSRF-Token": ana.token},
                               follow_redirects=False)
    assert response.status_code == 303


def test_login_needs_the_token_of_its_own_form(app, client_for) -> None:
    person = client_for()
    person.get("/workspace/login")
    forged = issue_token(b"workspace-test-secret", "attacker-chosen-binding")
    response = person.post("/workspace/login", {"name": "ana", "password": "correct horse battery", "csrf": forged})
    assert response.status_code == 403
    assert person.post("/workspace/login", {"name": "ana", "password": "correct horse battery"},
                       token=False).status_code == 403
