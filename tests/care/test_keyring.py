"""The keyring as other areas use it: seal under the current key, open by the id in the header, and
one-line errors for keys that are missing, damaged or badly configured."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.sealing.envelope import MASTER_KEY_FILE, generate_master_key, key_id
from hotline.sealing.keyring import KEYRING_FILE, Keyring, KeyringError, UnknownKey
from tests.care.conftest import cli

REPO = Path(__file__).resolve().parents[2]


def test_secrets_sealed_before_a_rotation_still_open_after_it(tmp_path: Path) -> None:
    ring = Keyring.load(tmp_path)
    first = ring.current
    sealed = ring.seal(b"an HMAC key", context=b"audit-chain")
    assert (tmp_path / MASTER_KEY_FILE).exists() and not (tmp_path / KEYRING_FILE).exists()
    other_process = Keyring.load(tmp_path)

    new = ring.rotate()

    assert ring.current == new and new.id != first.id
    assert oct((tmp_path / KEYRING_FILE).stat().st_mode & 0o777) == "0o600"
    assert other_process.current.id == new.id, "a keyring loaded earlier sees the rotation"
    assert other_process.open(sealed, context=b"audit-chain") == b"an HMAC key"
    assert ring.open(ring.seal(b"x")) == b"x"
    with pytest.raises(KeyringError, match="current key cannot be retired"):
        ring.retire(new.id)


def test_a_file_under_a_key_the_ring_lacks_names_that_key() -> None:
    old, new = generate_master_key(), generate_master_key()
    sealed = Keyring.of(old).seal(b"evidence")
    with pytest.raises(UnknownKey, match=key_id(old).hex()):
        Keyring.of(new).open(sealed)
    assert Keyring.of(new, old).open(sealed) == b"evidence"


def test_bad_keys_are_one_line_errors_through_the_cli(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    env = {"HOTLINE_DATA_DIR": str(data_dir)}
    assert cli("init", env=env).exit_code == 0
    assert cli("key", "rotate", env=env).exit_code == 0
    keyring = data_dir / KEYRING_FILE
    doc = json.loads(keyring.read_text())
    doc["keys"][0]["key"] = base64.b64encode(generate_master_key()).decode()
    keyring.write_text(json.dumps(doc))
    damaged = _hotline(env, "key", "status")
    assert damaged.returncode == 2 and "is damaged" in damaged.stderr and "keys backup" in damaged.stderr
    assert "Traceback" not in damaged.stderr
    bad_env = _hotline(env | {"HOTLINE_MASTER_KEY": "not base64!"}, "key", "status")
    assert bad_env.returncode == 2 and "HOTLINE_MASTER_KEY is invalid" in bad_env.stderr


def _hotline(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The installed entry point (it turns settings errors into one line)."""
    return subprocess.run([sys.executable, str(REPO / "cli.py"), *args], env={"PATH": os.environ["PATH"], **env},
                          capture_output=True, text=True, timeout=120, check=False)
