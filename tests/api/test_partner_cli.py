"""`hotline partner add|ls`: credentials printed once, stored hashed; listing never shows them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotline.app import Hotline
from hotline.config import load_settings
from hotline.web.api.partners import find_partner, partner_for_api_key, partner_secret


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    import cli

    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "var"))
    runner = CliRunner()
    assert runner.invoke(cli.app, ["init"]).exit_code == 0
    return lambda *args: runner.invoke(cli.app, list(args))


def test_adding_a_partner_prints_its_credentials_once_and_stores_only_a_hash(run, tmp_path: Path) -> None:
    added = run("partner", "add", "nl-meldpunt", "--country", "nl", "--endpoint", "https://meldpunt.example/api",
                "--json")
    assert added.exit_code == 0, added.output
    issued = json.loads(added.stdout)
    with Hotline(load_settings(data_dir=tmp_path / "var")) as hotline, hotline.db.sessions() as session:
        partner = find_partner(session, issued["key_id"])
        assert partner is not None and partner.country == "NL"
        assert issued["api_key"] not in (partner.api_key_hash or "")
        assert partner_for_api_key(session, issued["api_key"]) is partner
        # sealed at rest (issue 17): the database alone does not give the secret away
        assert issued["signing_secret"].encode() not in partner.signing_secret
        assert partner_secret(session, partner, "signing_secret") == issued["signing_secret"].encode()
    listed = run("partner", "ls", "--json")
    assert listed.exit_code == 0
    assert [p["name"] for p in json.loads(listed.stdout)] == ["nl-meldpunt"]
    assert issued["api_key"] not in listed.stdout and issued["signing_secret"] not in listed.stdout


def test_the_plain_output_names_each_credential(run) -> None:
    added = run("partner", "add", "be-childfocus", "--country", "BE")
    assert added.exit_code == 0
    assert [line.split(":")[0] for line in added.stdout.splitlines()] == [
        "name", "key_id", "api_key", "signing_secret"]
    assert "be-childfocus" in run("partner", "ls").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Bad Name", "--country", "NL"), "partner name"),
        (("ok-name", "--country", "NLD"), "two-letter"),
        (("ok-name", "--country", "NL", "--endpoint", "ftp://x"), "http"),
    ],
)
def test_bad_input_is_one_clear_line(run, args: tuple[str, ...], message: str) -> None:
    result = run("partner", "add", *args)
    assert result.exit_code == 2 and message in result.output


def test_a_name_is_used_once(run) -> None:
    assert run("partner", "add", "nl-meldpunt", "--country", "NL").exit_code == 0
    again = run("partner", "add", "nl-meldpunt", "--country", "NL")
    assert again.exit_code == 2 and "already exists" in again.output
