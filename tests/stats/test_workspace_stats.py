"""The statistics page in the analysts' workspace: supervisors only, self-contained, strict CSP."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from .conftest import seed

PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def _logged_in(web: FastAPI, name: str) -> TestClient:
    client = TestClient(web)
    token = CSRF_RE.search(client.get("/workspace/login").text).group(1)
    response = client.post("/workspace/login", data={"name": name, "password": PASSWORD, "code": "", "csrf": token},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def test_supervisors_see_the_period_they_choose(make_hotline) -> None:
    from hotline.auth import create_user
    from hotline.web import workspace
    from hotline.web.security import SecurityHeaders

    # Given the seeded dataset, an analyst and a supervisor
    # (supervisors must enrol one-time codes by default: tests/workspace/test_ws_security.py covers that)
    app = make_hotline(secret_key="s" * 40, totp_required_roles=[])
    with app.db.session() as session:
        seed(session)
        create_user(session, "ana", "analyst", PASSWORD)
        create_user(session, "sue", "supervisor", PASSWORD)
    web = FastAPI()
    web.add_middleware(SecurityHeaders)
    workspace.mount(web, app)

    # When each opens the statistics for January 2026
    path = "/workspace/stats?start=2026-01-01&end=2026-01-31"
    with _logged_in(web, "ana") as ana, _logged_in(web, "sue") as sue:
        refused, page = ana.get(path), sue.get(path)

    # Then only the supervisor gets them, as a page without scripts under its own CSP
    assert refused.status_code == 403
    assert page.status_code == 200
    assert "reports by source" in page.text and 'value="2026-01-31"' in page.text
    assert "<script" not in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "img-src data:" in csp and "script-src" not in csp
    assert page.headers["cache-control"] == "no-store"
    with TestClient(web) as anonymous:
        assert anonymous.get(path, follow_redirects=False).status_code == 303
