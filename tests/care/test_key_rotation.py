"""Key rotation on a data dir with real captured evidence: new evidence under the new key, old evidence
sealed again in bounded batches while every read keeps working, and an old key retired only when
nothing is sealed under it."""

from __future__ import annotations

import base64
import json
import threading

from hotline.evidence.reseal import reseal_job, reseal_step
from hotline.sealing.envelope import MASTER_KEY_FILE, generate_master_key, key_id, sealed_key_id
from hotline.sealing.keyring import KEYRING_FILE
from tests.care.conftest import Captured, every_evidence


def _status(captured: Captured) -> dict:  # type: ignore[type-arg]
    result = captured.cli("key", "status", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _files_by_key(captured: Captured) -> dict[str, int]:
    return {k["id"]: k["files"] for k in _status(captured)["keys"]}


def test_rotation_seals_new_evidence_under_the_new_key_and_old_reads_go_on(captured: Captured) -> None:
    # given a data dir whose evidence is all sealed under its first key
    with captured.app() as before:
        original = every_evidence(before)
        first = before.keyring.current.hex
        total = sum(_files_by_key(captured).values())
        assert len(original) >= 6 and _files_by_key(captured) == {first: total}

        # when an operator rotates the key
        rotated = captured.cli("key", "rotate", "--as", "sue")
        assert rotated.exit_code == 0, rotated.output
        status = _status(captured)
        new = next(k["id"] for k in status["keys"] if k["current"])

        # then new evidence is sealed under the new key, even by a process that loaded the keys before
        assert new != first
        written = before.evidence.write_warc("after-rotation", b"WARC/1.1\r\n\r\nnew capture")
        assert sealed_key_id((before.evidence.root / written).read_bytes()).hex() == new
        assert before.evidence.open_warc(written).endswith(b"new capture")
        # and the old files are still read, until they are sealed again
        assert _files_by_key(captured) == {first: total, new: 1}
        assert every_evidence(before) == original
    assert (captured.data_dir / MASTER_KEY_FILE).exists(), "the first key stays until it is retired"


def test_reads_keep_working_while_resealing_is_half_done_and_the_old_key_retires_after(captured: Captured) -> None:
    with captured.app() as stale:  # loaded its keyring before the rotation
        original = every_evidence(stale)
        first = stale.keyring.current.hex
        assert captured.cli("key", "rotate").exit_code == 0
        with captured.app() as worker:
            new = worker.keyring.current.hex
            # when the background job has done one small batch
            step = reseal_step(worker, limit=3)
            assert step.resealed == 3 and not step.done
            half = _files_by_key(captured)
            assert half[new] == 3 and half[first] == len(original) - 3 + 0
            # then every capture's evidence reads the same, through a stale process and through the CLI
            assert every_evidence(stale) == original
            assert every_evidence(worker) == original
            for reference in captured.references.values():
                exported = captured.cli("evidence", "export", reference, "--out", str(captured.data_dir.parent / reference))
                assert exported.exit_code == 0, exported.output
            # and the old key cannot be retired yet
            refused = captured.cli("key", "retire", first[:8])
            assert refused.exit_code == 2 and "still sealed under" in refused.output
            # when the walk finishes
            while reseal_job(worker):
                pass
    assert _files_by_key(captured) == {first: 0, new: len(original)}
    assert captured.cli("key", "retire", first[:8]).exit_code == 0
    # then the old key is gone from disk and everything still reads
    keyring = json.loads((captured.data_dir / KEYRING_FILE).read_text())
    assert [k["id"] for k in keyring["keys"]] == [new]
    assert not (captured.data_dir / MASTER_KEY_FILE).exists()
    with captured.app() as after:
        assert every_evidence(after) == original
    events = json.loads(captured.cli("audit", "ls", "--action", "key.", "--json").stdout)
    assert [e["action"] for e in events] == ["key.retire", "key.rotate"]


def test_reads_from_another_thread_never_fail_during_a_full_reseal(captured: Captured) -> None:
    with captured.app() as reader_app, captured.app() as worker:
        original = every_evidence(reader_app)
        worker.keyring.rotate()
        errors: list[BaseException] = []
        passes = 0
        finished = threading.Event()

        def read_until_done() -> None:
            nonlocal passes
            while not finished.is_set() or passes == 0:
                try:
                    assert every_evidence(reader_app) == original
                except BaseException as exc:  # noqa: BLE001 - any failure is the finding
                    errors.append(exc)
                    return
                passes += 1

        reader = threading.Thread(target=read_until_done)
        reader.start()
        while not reseal_step(worker, limit=1).done:
            pass
        finished.set()
        reader.join(timeout=60)
    assert not errors, errors[0]
    assert passes >= 1
    assert set(_files_by_key(captured).values()) == {0, len(original)}


def test_a_resealed_warc_stays_bound_to_its_path(captured: Captured) -> None:
    import pytest

    from hotline.evidence import EvidenceCryptoError

    with captured.app() as app:
        warcs = [p for p in every_evidence(app) if p.startswith("warc/")]
        app.keyring.rotate()
        while not reseal_step(app).done:
            pass
        first, second = (app.evidence.root / warcs[0]), (app.evidence.root / warcs[1])
        assert sealed_key_id(first.read_bytes()) == app.keyring.current.id
        second.write_bytes(first.read_bytes())  # a sealed file copied over another capture's
        with pytest.raises(EvidenceCryptoError):
            app.evidence.open_warc(warcs[1])
        assert app.evidence.open_warc(warcs[0])


def test_keys_from_the_environment_rotate_by_configuration(captured: Captured) -> None:
    with captured.app() as app:
        original = every_evidence(app)
        old = app.keyring.current.secret
    new = generate_master_key()
    env = {"HOTLINE_MASTER_KEY": f"{base64.b64encode(new).decode()}, {base64.b64encode(old).decode()}"}
    # the CLI cannot change the environment: it says what to do instead
    refused = captured.cli("key", "rotate", env=env)
    assert refused.exit_code == 2 and "HOTLINE_MASTER_KEY" in refused.output
    generated = captured.cli("key", "generate")
    assert len(base64.b64decode(generated.stdout.strip())) == 32
    # with the new key first, old files read and are sealed again under it
    resealed = captured.cli("key", "reseal", env=env)
    assert resealed.exit_code == 0, resealed.output
    status = json.loads(captured.cli("key", "status", "--json", env=env).stdout)
    assert status["source"] == "HOTLINE_MASTER_KEY"
    assert {k["id"]: k["files"] for k in status["keys"]} == {key_id(new).hex(): len(original), key_id(old).hex(): 0}
    told = captured.cli("key", "retire", key_id(old).hex(), env=env)
    assert told.exit_code == 0 and "remove it from HOTLINE_MASTER_KEY" in told.output
    only_new = {"HOTLINE_MASTER_KEY": base64.b64encode(new).decode()}
    with captured.app(master_key=only_new["HOTLINE_MASTER_KEY"]) as app:
        assert every_evidence(app) == original


def test_a_damaged_file_keeps_its_key_from_retiring(captured: Captured) -> None:
    with captured.app() as app:
        blob = next(p for p in every_evidence(app) if not p.startswith("warc/"))
        path = app.evidence.blob_path(blob)
        data = bytearray(path.read_bytes())
        data[-1] ^= 1
        path.write_bytes(bytes(data))
        first = app.keyring.current.hex
        app.keyring.rotate()
    result = captured.cli("key", "reseal")
    assert result.exit_code == 1 and "1 files could not be opened" in result.output
    assert _files_by_key(captured)[first] == 1
    assert captured.cli("key", "retire", first).exit_code == 2


def test_both_executors_run_the_reseal_and_retention_jobs_on_the_capture_hosts() -> None:
    from hotline.evidence.retention import retention_job
    from hotline.executors.registry import JOB_BY_NAME

    assert JOB_BY_NAME["evidence_reseal"].run is reseal_job and JOB_BY_NAME["evidence_reseal"].queue == "capture"
    assert JOB_BY_NAME["evidence_retention"].run is retention_job
