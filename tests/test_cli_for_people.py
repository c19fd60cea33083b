"""The command line for people and scripts: a missing data dir, versions, tables that fit 80 columns,
progress that shows, and one-line errors for values the command does not know."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from cli import app as cli_app
from hotline.synthnet import SyntheticInternet

REPO = Path(__file__).resolve().parents[1]
HOTLINE = str(Path(sys.executable).with_name("hotline"))

# Every command, with arguments that would be valid on an initialised data dir. A new command must be
# added here (the test below fails until it is), so none can quietly create a data dir or a database.
NEEDS_A_DATA_DIR: dict[str, list[str]] = {
    "submit": ["submit", "http://a.example/"],
    "close": ["close", "HL-2026-AAAA-BBBB", "--reason", "out-of-scope"],
    "mailbox poll": ["mailbox", "poll"],
    "process": ["process", "--until-idle"],
    "show": ["show", "HL-2026-AAAA-BBBB"],
    "serve": ["serve"],
    "recapture": ["recapture", "HL-2026-AAAA-BBBB"],
    "discover": ["discover", "HL-2026-AAAA-BBBB"],
    "locate": ["locate", "http://a.example/"],
    "stats": ["stats"],
    "queue": ["queue"],
    "assess": ["assess", "HL-2026-AAAA-BBBB", "--legal", "baseline"],
    "approve": ["approve", "HL-2026-AAAA-BBBB"],
    "worker": ["worker"],
    "scheduler": ["scheduler"],
    "audit verify": ["audit", "verify"],
    "audit ls": ["audit", "ls"],
    "audit anchor": ["audit", "anchor"],
    "evidence export": ["evidence", "export", "HL-2026-AAAA-BBBB", "--out", "exported"],
    "forward": ["forward"],
    "forward ls": ["forward", "ls"],
    "forward retry": ["forward", "retry", "1"],
    "forward release": ["forward", "release", "1"],
    "forward sent": ["forward", "sent", "1", "--note", "sent by hand"],
    "hashlist import": ["hashlist", "import", "list.csv", "--name", "n", "--verdict", "baseline"],
    "hashlist export": ["hashlist", "export", "--assessed"],
    "hashlist ls": ["hashlist", "ls"],
    "hashlist rm": ["hashlist", "rm", "n"],
    "monitor": ["monitor"],
    "monitor ls": ["monitor", "ls"],
    "partner add": ["partner", "add", "nl-meldpunt", "--country", "NL"],
    "partner outbound": ["partner", "outbound", "nl-meldpunt", "--endpoint", "https://h.example/api", "--key-id",
                         "k", "--secret", "s"],
    "partner ls": ["partner", "ls"],
    "policy pause": ["policy", "pause", "--as", "sue"],
    "policy resume": ["policy", "resume", "--as", "sue"],
    "policy status": ["policy", "status"],
    "policy apply": ["policy", "apply"],
    "rules explain": ["rules", "explain", "HL-2026-AAAA-BBBB"],
    "user add": ["user", "add", "ana", "--password-stdin"],
    "user ls": ["user", "ls"],
    "user totp": ["user", "totp", "ana"],
    "user logout-everywhere": ["user", "logout-everywhere", "ana"],
    "user passwd": ["user", "passwd", "ana", "--password-stdin"],
    "user disable": ["user", "disable", "ana"],
    "user enable": ["user", "enable", "ana"],
    "user token issue": ["user", "token", "issue", "ana"],
    "user token ls": ["user", "token", "ls", "ana"],
    "user token revoke": ["user", "token", "revoke", "ana"],
    "backup": ["backup", "--out", "b", "--passphrase-stdin"],
    "evidence purge": ["evidence", "purge", "--older-than", "30", "--dry-run"],
    "hold set": ["hold", "set", "HL-2026-AAAA-BBBB", "--reason", "case 1", "--as", "sue"],
    "hold release": ["hold", "release", "HL-2026-AAAA-BBBB", "--as", "sue"],
    "hold ls": ["hold", "ls"],
    "key status": ["key", "status"],
    "key rotate": ["key", "rotate"],
    "key reseal": ["key", "reseal"],
    "key retire": ["key", "retire", "abcd1234"],
}
# These make the data dir, need none (squid-config runs on the proxy host), or are the capture process's own
# entry point.
WORK_WITHOUT_A_DATA_DIR = {"init", "demo", "rules check", "capture-worker", "restore", "key generate",
                           "egress squid-config"}


def _commands() -> list[str]:
    def walk(command, path):  # type: ignore[no-untyped-def]
        if hasattr(command, "commands"):
            if getattr(command, "invoke_without_command", False) and path:
                yield " ".join(path)
            for name, sub in command.commands.items():
                yield from walk(sub, [*path, name])
        else:
            yield " ".join(path)

    return list(walk(typer.main.get_command(cli_app), []))


def test_every_command_is_listed_here() -> None:
    assert set(_commands()) == set(NEEDS_A_DATA_DIR) | WORK_WITHOUT_A_DATA_DIR


@pytest.mark.parametrize("name", sorted(NEEDS_A_DATA_DIR))
def test_a_command_on_a_missing_data_dir_says_run_init_and_creates_nothing(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "list.csv").write_text("sha256\n" + "ab" * 32 + "\n")
    before = sorted(tmp_path.rglob("*"))
    # A broker is named so that worker and scheduler, which check their broker first, reach the data dir.
    env = {"HOTLINE_DATA_DIR": str(tmp_path / "var"), "HOTLINE_BROKER_URL": "redis://127.0.0.1:6379/15"}
    done = CliRunner().invoke(cli_app, NEEDS_A_DATA_DIR[name], env=env, input="a long synthetic passphrase\n")
    assert done.exit_code == 2, done.output
    assert done.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'var'} holds no hotline data yet: run `hotline init` first"
    ]
    assert sorted(tmp_path.rglob("*")) == before


def test_an_outdated_database_asks_for_init_and_init_upgrades_it(tmp_path: Path) -> None:
    import sqlite3

    env = {"HOTLINE_DATA_DIR": str(tmp_path / "var")}
    runner = CliRunner()
    assert runner.invoke(cli_app, ["init"], env=env).exit_code == 0
    assert runner.invoke(cli_app, ["init"], env=env).exit_code == 0  # idempotent
    with sqlite3.connect(tmp_path / "var" / "hotline.sqlite3") as db:
        db.execute("UPDATE alembic_version SET version_num = 'ffff'")
    newer = runner.invoke(cli_app, ["queue"], env=env)
    assert newer.exit_code == 2 and "upgraded by a newer hotline (schema ffff)" in newer.stderr
    from hotline.db import head_revision

    with sqlite3.connect(tmp_path / "var" / "hotline.sqlite3") as db:
        db.execute("UPDATE alembic_version SET version_num = ?", (head_revision(),))
    _downgrade(tmp_path / "var" / "hotline.sqlite3", "0001")  # a real database of the first schema
    if head_revision() != "0001":  # an older schema than this version's: init upgrades it
        older = runner.invoke(cli_app, ["queue"], env=env)
        assert older.exit_code == 2 and "run `hotline init` to upgrade it" in older.stderr
        assert runner.invoke(cli_app, ["init"], env=env).exit_code == 0
    assert runner.invoke(cli_app, ["queue"], env=env).exit_code == 0


def _downgrade(database: Path, revision: str) -> None:
    from hotline.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{database}")
    try:
        migrate(engine, revision, down=True)
    finally:
        engine.dispose()


def test_an_unreachable_database_is_one_line_without_its_password(tmp_path: Path) -> None:
    env = {"HOTLINE_DATABASE_URL": "postgresql+psycopg://hotline:s3cret@127.0.0.1:9/hotline"}
    done = CliRunner().invoke(cli_app, ["queue"], env=env)
    assert done.exit_code == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "cannot read the database at postgresql+psycopg://hotline:***@127.0.0.1:9/hotline" in done.stderr
    assert "s3cret" not in done.output


def test_version_and_python_dash_m() -> None:
    from importlib.metadata import version

    for argv in ([HOTLINE, "--version"], [sys.executable, "-m", "hotline", "--version"]):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0 and done.stdout.strip() == f"hotline {version('hotline')}", done.stderr
    helped = subprocess.run([sys.executable, "-m", "hotline", "--help"], capture_output=True, text=True,
                            timeout=60, check=False)
    assert helped.returncode == 0 and "submit" in helped.stdout


@pytest.mark.slow
def test_the_wheel_ships_type_information_catalogues_templates_and_migrations(tmp_path: Path) -> None:
    import shutil

    # Built from a copy: setuptools leaves a build/ folder in the tree it builds.
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "build", "var", "__pycache__", "*.egg-info", ".*_cache", "test-artifacts", "node_modules"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path), str(source)], check=True, timeout=300, capture_output=True)
    [wheel] = tmp_path.glob("hotline-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in ("hotline", "fingerprints", "forwarders"):
        assert f"{package}/py.typed" in names
    assert "cli.py" in names and "hotline/__main__.py" in names
    assert {"hotline/i18n/locale/ro/LC_MESSAGES/messages.mo", "hotline/rules/default_ro.toml"} <= names
    assert any(name.startswith("hotline/migrations/versions/0001") for name in names)
    assert any(name.startswith("hotline/web/workspace/templates/") for name in names)


UNKNOWN_VALUES = [
    (["process", "--stage", "bogus"], "unknown stage bogus: choose from capture, fingerprint, locate, triage"),
    (["submit", "http://a.example/", "--category", "porn"],
     "unknown category 'porn': choose from csam, grooming, adult-minors, other"),
    (["stats", "--format", "pdf"], "unknown format 'pdf': choose from table, csv, json, html"),
    (["partner", "add", "x", "--country", "NL", "--role", "admin"],
     "unknown role 'admin': choose from submit, feedback, triage"),
    (["hashlist", "import", "list.csv", "--name", "n", "--verdict", "bad"],
     "unknown verdict 'bad': choose from baseline, national, not-illegal, adult-minors, other-harmful"),
    (["queue", "--state", "bogus"], "unknown queue state 'bogus': use one of triaged, assessed"),
    (["forward", "ls", "--state", "bogus"], "unknown state 'bogus'; use one of queued, sending, delivered"),
]


@pytest.mark.parametrize(("argv", "message"), UNKNOWN_VALUES, ids=[" ".join(a[:2]) for a, _ in UNKNOWN_VALUES])
def test_an_unknown_value_is_one_line_listing_the_choices(argv: list[str], message: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "list.csv").write_text("sha256\n" + "ab" * 32 + "\n")
    env = {"HOTLINE_DATA_DIR": str(tmp_path / "var")}
    assert CliRunner().invoke(cli_app, ["init"], env=env).exit_code == 0
    done = CliRunner().invoke(cli_app, argv, env=env)
    assert done.exit_code == 2
    [line] = done.stderr.strip().splitlines()
    assert message in line


# -- on the synthetic internet: tables at 80 columns and progress through a pipe ---------------------
LONG_PATH = "/galerii/" + "-".join(["albumul-sintetic-de-test"] * 4) + "/pagina?sortare=data&ordine=descrescator"


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Two reports with long URLs, captured, located and triaged through the CLI; yields (env, refs, urls)."""
    data_dir = tmp_path_factory.mktemp("cli") / "var"
    with SyntheticInternet(default_sites=False) as net:
        urls = []
        for n, (host, country) in enumerate((("galerie.sintetic-demo.ro", "RO"), ("forum.synth-demo.nl", "NL"))):
            net.add_host(host, country=country)
            urls.append(net.add_page(host, f"{LONG_PATH}{n}", html=f"<img src='/i{n}.png' alt=''>"))
            net.add_image(host, f"/i{n}.png", seed=n)
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}, **net.env(),
               "HOTLINE_DATA_DIR": str(data_dir), "COLUMNS": "80"}
        _run(env, "init")
        refs = [_run(env, "submit", url, "--category", "csam").stdout.strip() for url in urls]
        processed = _run(env, "process", "--until-idle")
        yield env, refs, urls, processed


def _run(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([HOTLINE, *argv], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done


def read_table(text: str) -> list[dict[str, str]]:
    """Rows of a table printed by hotline.commands.tables: folded cells joined again, key cells by line."""
    lines = text.splitlines()
    rule = next(i for i, line in enumerate(lines) if set(line.strip()) == {"─"})
    header = lines[rule - 1]
    starts = [m.start() for m in re.finditer(r"\S+(?: \S+)*", header)]
    names = [header[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
    rows: list[dict[str, list[str]]] = []
    for line in lines[rule + 1:]:
        if not line.strip():
            continue
        cells = [line[a:b].strip() if b else line[a:].strip() for a, b in zip(starts, [*starts[1:], None],
                                                                            strict=True)]
        if cells[0]:
            rows.append({name: [] for name in names})
        for name, cell in zip(names, cells, strict=True):
            if cell:
                rows[-1][name].append(cell)
    return [{name: "\n".join(parts) for name, parts in row.items()} for row in rows]


def test_process_through_a_pipe_prints_a_line_per_batch(processed) -> None:  # type: ignore[no-untyped-def]
    _, _, _, done = processed
    batches = [line for line in done.stdout.splitlines() if "done in this batch" in line]
    assert {line.split(":")[0] for line in batches} == {"capture", "fingerprint", "locate", "triage"}
    assert "triage: 2 done in this batch, 2 in all, 0 waiting" in done.stdout


def test_show_and_queue_fit_80_columns_and_never_cut_a_reference_or_url(processed) -> None:  # type: ignore[no-untyped-def]
    env, refs, urls, _ = processed
    shown = _run(env, "show", refs[0]).stdout
    queue = _run(env, "queue").stdout
    for text in (shown, queue):
        assert max(len(line) for line in text.splitlines()) <= 80
        assert "…" not in text
    [url_row] = read_table(shown)
    assert url_row["#"] == "1" and url_row["url"].replace("\n", "") == urls[0]
    rows = read_table(queue)
    assert {row["reference"] for row in rows} == set(refs)
    assert {row["url"].replace("\n", "") for row in rows} == set(urls)
    # and the "#" column is what `assess --url N` takes
    assessed = _run(env, "assess", refs[0], "--url", url_row["#"], "--legal", "not-illegal", "--json")
    assert json.loads(assessed.stdout)
