"""Partner credentials from the command line: roles for our API, and what they issued to us."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

REPO = Path(__file__).resolve().parents[1]


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "cli.py"), *args], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_roles_and_outbound_credentials_are_recorded(make_hotline, tmp_path: Path) -> None:
    from hotline.models import Partner
    from hotline.web.api.partners import partner_secret

    app = make_hotline()
    env = {"PATH": os.environ.get("PATH", ""), "HOTLINE_DATA_DIR": str(app.settings.data_dir)}
    added = _run(env, "partner", "add", "nl-offlimits", "--country", "NL", "--role", "submit", "--role", "triage",
                 "--json")
    assert added.returncode == 0, added.stderr
    outbound = _run(env, "partner", "outbound", "nl-offlimits", "--endpoint", "https://partner.example/api/v1/reports",
                    "--key-id", "ro-safernet", "--secret", "s3cret", "--directory-id", "hotline-nl-offlimits")
    assert outbound.returncode == 0, outbound.stderr
    missing = _run(env, "partner", "outbound", "nobody", "--endpoint", "https://x.example/", "--key-id", "k",
                   "--secret", "s")
    assert missing.returncode == 2 and "no partner named" in missing.stderr

    with app.db.sessions() as session:
        partner = session.scalars(select(Partner)).one()
        assert partner_secret(session, partner, "outbound_secret") == b"s3cret"
    assert sorted(partner.roles) == ["submit", "triage"]
    assert (partner.outbound_key_id, partner.directory_id) == ("ro-safernet", "hotline-nl-offlimits")
    assert b"s3cret" not in partner.outbound_secret  # sealed at rest
    assert json.loads(added.stdout)["api_key"] not in json.dumps(
        json.loads(_run(env, "partner", "ls", "--json").stdout))
