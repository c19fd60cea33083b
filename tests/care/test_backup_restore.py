"""Backup and restore through the CLI on a data dir with real captures: restored into an empty data dir,
every report and every piece of evidence reads back the same; keys never lie beside the evidence."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from hotline.app import Hotline
from hotline.config import load_settings
from tests.care.conftest import Captured, capture_into, cli, every_evidence, net_settings

PASSPHRASE = "a long backup passphrase"


def _shown(run, references: dict[str, str]) -> dict[str, dict]:  # type: ignore[no-untyped-def,type-arg]
    shown = {}
    for reference in references.values():
        result = run("show", reference, "--json")
        assert result.exit_code == 0, result.output
        shown[reference] = json.loads(result.stdout)
    return shown


def _exported(run, references: dict[str, str], out: Path) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    files = {}
    for reference in references.values():
        result = run("evidence", "export", reference, "--out", str(out / reference))
        assert result.exit_code == 0, result.output
        files.update({Path(f).name: Path(f).read_bytes() for f in json.loads(result.stdout)["files"]})
    return files


def _restored_cli(data_dir: Path, **env: str):  # type: ignore[no-untyped-def]
    def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        return cli(*args, stdin=stdin, env={"HOTLINE_DATA_DIR": str(data_dir), **fixed, **(env or {})})

    fixed = env
    return run


def test_a_backup_restores_into_an_empty_data_dir_and_reads_back(captured: Captured, tmp_path: Path) -> None:
    before_shown = _shown(captured.cli, captured.references)
    before_files = _exported(captured.cli, captured.references, tmp_path / "before")
    with captured.app() as app:
        before_evidence = every_evidence(app)
    # when the data dir is backed up with its keys in a folder of their own
    made = captured.cli("backup", "--out", str(tmp_path / "backup"), "--keys-out", str(tmp_path / "keys"), "--json")
    assert made.exit_code == 0, made.output
    summary = json.loads(made.stdout)
    assert summary["evidence_files"] == len(before_evidence) and summary["database"]["kind"] == "sqlite"
    # and restored into an empty data dir
    target = tmp_path / "restored" / "var"
    restore = _restored_cli(target)
    done = restore("restore", "--from", str(tmp_path / "backup"), "--keys-from", str(tmp_path / "keys"))
    assert done.exit_code == 0, done.output
    # then every report shows the same and every capture's evidence reads back byte for byte
    assert _shown(restore, captured.references) == before_shown
    assert _exported(restore, captured.references, tmp_path / "after") == before_files
    with Hotline(load_settings(data_dir=target)) as restored:
        assert every_evidence(restored) == before_evidence
    assert restore("audit", "verify").exit_code == 0
    assert [e["action"] for e in json.loads(restore("audit", "ls", "--action", "backup.", "--json").stdout)] \
        == ["backup.restore"]
    assert [e["action"] for e in json.loads(captured.cli("audit", "ls", "--action", "backup.", "--json").stdout)] \
        == ["backup.create"]
    # and the keys were never in the backup
    _assert_no_key_material(captured, tmp_path / "backup")


def _assert_no_key_material(captured: Captured, backup: Path) -> None:
    with captured.app() as app:
        secrets = [k.secret for k in app.keyring.all_keys()]
    for path in backup.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in secrets:
                assert secret not in data and base64.b64encode(secret) not in data, path


def test_keys_sealed_with_a_passphrase_and_a_wrong_passphrase(captured: Captured, tmp_path: Path) -> None:
    with captured.app() as app:
        before = every_evidence(app)
        app.keyring.rotate()  # two keys in the ring: both must travel
    made = captured.cli("backup", "--out", str(tmp_path / "b"), "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert made.exit_code == 0, made.output
    assert "sealed with the passphrase" in made.output
    assert (tmp_path / "b" / "keys.sealed").exists()
    _assert_no_key_material(captured, tmp_path / "b")
    target = tmp_path / "r" / "var"
    restore = _restored_cli(target)
    wrong = restore("restore", "--from", str(tmp_path / "b"), "--passphrase-stdin", stdin="not the passphrase\n")
    assert wrong.exit_code == 2 and "wrong passphrase" in wrong.output
    assert not target.exists(), "a failed restore leaves nothing behind"
    passfile = tmp_path / "passphrase"
    passfile.write_text(PASSPHRASE + "\n")
    right = restore("restore", "--from", str(tmp_path / "b"), env={"HOTLINE_BACKUP_PASSPHRASE_FILE": str(passfile)})
    assert right.exit_code == 0, right.output
    with Hotline(load_settings(data_dir=target)) as restored:
        assert len(restored.keyring.all_keys()) == 2
        assert every_evidence(restored) == before


def test_a_short_passphrase_or_no_keys_choice_is_refused(captured: Captured, tmp_path: Path) -> None:
    short = captured.cli("backup", "--out", str(tmp_path / "b"), "--passphrase-stdin", stdin="short\n")
    assert short.exit_code == 2 and "at least 12 characters" in short.output
    none = captured.cli("backup", "--out", str(tmp_path / "b"))
    assert none.exit_code == 2 and "--passphrase-stdin" in none.output
    assert not (tmp_path / "b").exists()


def test_keys_are_never_written_inside_the_backup(captured: Captured, tmp_path: Path) -> None:
    inside = captured.cli("backup", "--out", str(tmp_path / "b"), "--keys-out", str(tmp_path / "b" / "keys"))
    assert inside.exit_code == 2 and "must not be inside --out" in inside.output
    around = captured.cli("backup", "--out", str(tmp_path / "k" / "b"), "--keys-out", str(tmp_path / "k"))
    assert around.exit_code == 2
    into_data = captured.cli("backup", "--out", str(captured.data_dir / "b"), "--keys-out", str(tmp_path / "k2"))
    assert into_data.exit_code == 2 and "inside the data dir" in into_data.output
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "old").write_text("an older backup")
    busy = captured.cli("backup", "--out", str(tmp_path / "used"), "--keys-out", str(tmp_path / "k3"))
    assert busy.exit_code == 2 and "not empty" in busy.output


def test_a_restore_checks_everything_before_writing(captured: Captured, tmp_path: Path) -> None:
    assert captured.cli("backup", "--out", str(tmp_path / "b"), "--keys-out", str(tmp_path / "k")).exit_code == 0
    target = tmp_path / "r" / "var"
    restore = _restored_cli(target)
    # an altered evidence file
    sealed = next((tmp_path / "b" / "evidence" / "warc").rglob("*.enc"))
    original = sealed.read_bytes()
    sealed.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    altered = restore("restore", "--from", str(tmp_path / "b"), "--keys-from", str(tmp_path / "k"))
    assert altered.exit_code == 2 and "does not match the manifest" in altered.output
    assert not target.exists() and not list(target.parent.glob(".*restoring*"))
    sealed.write_bytes(original)
    # the keys of another data dir
    other = tmp_path / "other-keys"
    other.mkdir()
    with Hotline(load_settings(data_dir=tmp_path / "elsewhere")) as stranger:
        from hotline.backup.keys import write_keys_dir

        write_keys_dir(stranger.keyring.export(), other)
    wrong_keys = restore("restore", "--from", str(tmp_path / "b"), "--keys-from", str(other))
    assert wrong_keys.exit_code == 2 and "are missing" in wrong_keys.output
    # a data dir that is not empty
    target.mkdir(parents=True)
    (target / "something").write_text("x")
    busy = restore("restore", "--from", str(tmp_path / "b"), "--keys-from", str(tmp_path / "k"))
    assert busy.exit_code == 2 and "not empty" in busy.output
    # a folder that is not a finished backup
    (tmp_path / "b" / "manifest.json").unlink()
    unfinished = _restored_cli(tmp_path / "r2")("restore", "--from", str(tmp_path / "b"), "--keys-from", str(tmp_path / "k"))
    assert unfinished.exit_code == 2 and "did not finish" in unfinished.output


def test_the_backup_of_a_running_instance_is_consistent(captured: Captured, tmp_path: Path) -> None:
    from hotline.backup import make_backup
    from hotline.models import Report, ReportSource

    with captured.app() as app, captured.app() as writer, writer.db.session() as session:
        # given a writer in the middle of a transaction (holding SQLite's write lock)
        session.add(Report(reference="HL-IN-FLIGHT", source=ReportSource.CLI))
        session.flush()
        # when the instance is backed up meanwhile
        made = make_backup(app, tmp_path / "b", keys_out=tmp_path / "k")
        assert made.evidence_files > 0
    target = tmp_path / "r" / "var"
    restore = _restored_cli(target)
    assert restore("restore", "--from", str(tmp_path / "b"), "--keys-from", str(tmp_path / "k")).exit_code == 0
    # then the backup holds what was committed, not the half-done transaction
    assert restore("show", "HL-IN-FLIGHT").exit_code == 2
    assert len(_shown(restore, captured.references)) == 3
    assert captured.cli("show", "HL-IN-FLIGHT").exit_code == 0  # committed afterwards in the original


@pytest.fixture
def postgres_pair():  # type: ignore[no-untyped-def]
    """Two new databases on the real PostgreSQL server: the instance's and the one to restore into."""
    from hotline.synthnet.scratch import scratch_database
    from tests.conftest import _PG_PROBLEM, POSTGRES_ADMIN_URL

    if _PG_PROBLEM:
        pytest.skip(_PG_PROBLEM)
    with scratch_database(POSTGRES_ADMIN_URL, "hotline_care") as source, \
            scratch_database(POSTGRES_ADMIN_URL, "hotline_care") as target:
        yield source, target


def test_postgresql_backup_runs_pg_dump_and_restores_with_pg_restore(postgres_pair, care_net, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    source_url, target_url = postgres_pair
    with Hotline(load_settings(data_dir=tmp_path / "var", database_url=source_url, **net_settings(care_net))) as app:
        app.init()
        references = capture_into(app)
        before_evidence = every_evidence(app)
    source = _restored_cli(tmp_path / "var", HOTLINE_DATABASE_URL=source_url)
    before_shown = _shown(source, references)
    before_files = _exported(source, references, tmp_path / "before")
    made = source("backup", "--out", str(tmp_path / "b"), "--keys-out", str(tmp_path / "k"), "--json")
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["database"]["file"] == "database.pgdump"
    # restored into an empty data dir and a new, empty database
    target = _restored_cli(tmp_path / "r" / "var", HOTLINE_DATABASE_URL=target_url)
    done = target("restore", "--from", str(tmp_path / "b"), "--keys-from", str(tmp_path / "k"))
    assert done.exit_code == 0, done.output
    assert _shown(target, references) == before_shown
    assert _exported(target, references, tmp_path / "after") == before_files
    with Hotline(load_settings(data_dir=tmp_path / "r" / "var", database_url=target_url)) as restored:
        assert every_evidence(restored) == before_evidence
    # a second restore into the now-filled database is refused
    again = _restored_cli(tmp_path / "r2", HOTLINE_DATABASE_URL=target_url)(
        "restore", "--from", str(tmp_path / "b"), "--keys-from", str(tmp_path / "k"))
    assert again.exit_code == 2 and "not empty" in again.output


def test_postgresql_backup_can_leave_the_database_to_its_own_tools(postgres_pair, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source_url, target_url = postgres_pair
    with Hotline(load_settings(data_dir=tmp_path / "var", database_url=source_url)) as app:
        app.init()
        app.evidence.put_blob(b"synthetic evidence")
    source = _restored_cli(tmp_path / "var", HOTLINE_DATABASE_URL=source_url)
    made = source("backup", "--out", str(tmp_path / "b"), "--keys-out", str(tmp_path / "k"), "--skip-database")
    assert made.exit_code == 0, made.output
    assert "pg_dump --format=custom" in made.output and "PGPASSWORD" not in made.output
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["database"]["kind"] == "postgresql" and manifest["database"]["file"] is None
    target = _restored_cli(tmp_path / "r" / "var", HOTLINE_DATABASE_URL=target_url)
    done = target("restore", "--from", str(tmp_path / "b"), "--keys-from", str(tmp_path / "k"))
    assert done.exit_code == 0, done.output
    assert "pg_restore" in done.output
    # the commands it prints do the database part: dump the source, restore into the still empty target
    if shutil.which("pg_dump"):
        subprocess.run(manifest["database"]["pg_dump"], shell=True, check=True)
        hint = next(line.strip() for line in done.output.splitlines() if line.strip().startswith("pg_restore"))
        subprocess.run(hint, shell=True, check=True)
        assert target("init").exit_code == 0
        with Hotline(load_settings(data_dir=tmp_path / "r" / "var", database_url=target_url)) as restored:
            assert [k.hex for k in restored.keyring.all_keys()] == manifest["keys"]["ids"]
            assert restored.evidence.get_blob(hashlib.sha256(b"synthetic evidence").hexdigest())
        assert target("audit", "verify").exit_code == 0
    # a SQLite backup does not go into PostgreSQL settings, nor the other way round
    wrong = _restored_cli(tmp_path / "r3")("restore", "--from", str(tmp_path / "b"), "--keys-from", str(tmp_path / "k"))
    assert wrong.exit_code == 2 and "postgresql database but the settings use sqlite" in wrong.output
