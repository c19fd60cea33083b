"""Helpers for the public-form tests: a uvicorn server for a given app, and the form's fields."""

from __future__ import annotations

import re

import httpx

UA_MARKER = "UniqueTestAgent/7.3 (marker-5f1c)"




def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the form has no CSRF token"
    return found.group(1)


def fresh_form(client: httpx.Client, path: str = "/en/report") -> dict[str, str]:
    """GET the form (which sets the cookie) and return valid fields for a POST."""
    page = client.get(path)
    assert page.status_code == 200
    submission = re.search(r'name="submission" value="([^"]+)"', page.text)
    assert submission, "the form has no submission id"
    return {
        "csrf_token": csrf_token(page.text),
        "submission": submission.group(1),
        "urls": "https://gallery.example-synth.ro/p/1\nexample-synth.ro/p/2",
        "category": "csam",
        "description": "Found via a link in a forum.",
        "contact": "",
        "consent": "yes",
        "website": "",
    }


def reference_shown(html: str) -> str:
    reference = re.search(r'id="reference">([^<]+)<', html)
    assert reference, "the page shows no reference"
    return reference.group(1)


def done_codes(html: str) -> tuple[str, str]:
    reference = re.search(r'id="reference">([^<]+)<', html)
    secret = re.search(r'id="secret">([^<]+)<', html)
    assert reference and secret, "the page shows no reference and secret"
    return reference.group(1), secret.group(1)
