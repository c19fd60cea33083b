"""Findings of the security review of the evidence store, each pinned by a test that failed before its fix."""

from __future__ import annotations

import gzip
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.evidence import EvidenceStore, generate_master_key

SYNTHETIC = b"synthetic bytes drawn by no one"


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A permissive umask, as on many shared hosts: permissions must come from the code, not the umask."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_exported_plain_warcs_are_readable_by_their_owner_only(tmp_path: Path, open_umask: None) -> None:
    # given a sealed WARC and an old export with loose permissions in the target folder
    store = EvidenceStore(tmp_path / "evidence", generate_master_key())
    relative = store.write_warc("cap-1", b"WARC/1.1\r\nWARC-Type: warcinfo\r\n\r\nsynthetic")
    out = tmp_path / "out"
    out.mkdir()
    (out / "cap-1.warc.gz").write_bytes(b"old")
    (out / "cap-1.warc.gz").chmod(0o644)
    # when it is exported in plain (unsealed) form
    [exported] = store.export([relative], out)
    # then the decrypted file is owner-only and holds the new content
    assert _mode(exported) == 0o600
    assert gzip.decompress(exported.read_bytes()).startswith(b"WARC/1.1")


def test_a_new_export_folder_is_owner_only(tmp_path: Path, open_umask: None) -> None:
    store = EvidenceStore(tmp_path / "evidence", generate_master_key())
    relative = store.write_warc("cap-2", b"WARC/1.1\r\n\r\nsynthetic")
    store.export([relative], tmp_path / "fresh-out")
    assert _mode(tmp_path / "fresh-out") == 0o700


def test_blob_folders_cannot_be_listed_by_other_users(tmp_path: Path, open_umask: None) -> None:
    # blob file names are content hashes: listing them would tell which known files are stored
    store = EvidenceStore(tmp_path / "evidence", generate_master_key())
    digest = store.put_blob(SYNTHETIC)
    assert _mode(store.blob_path(digest).parent) == 0o700
    assert _mode(store.blob_path(digest)) == 0o600


def test_a_warc_copied_over_another_captures_file_fails_authentication(tmp_path: Path) -> None:
    from hotline.evidence import EvidenceCryptoError

    # given two captures' sealed WARCs
    store = EvidenceStore(tmp_path / "evidence", generate_master_key())
    first = store.write_warc("cap-1", b"WARC/1.1\r\n\r\nsynthetic page one")
    second = store.write_warc("cap-2", b"WARC/1.1\r\n\r\nsynthetic page two")
    # when someone with write access to the disk (but not the key) puts the first in place of the second
    (store.root / second).write_bytes((store.root / first).read_bytes())
    # then the second capture's evidence is refused instead of silently showing the first page
    with pytest.raises(EvidenceCryptoError):
        store.open_warc(second)
    assert store.open_warc(first).endswith(b"page one")


def test_warcs_sealed_before_paths_were_bound_are_still_read(tmp_path: Path) -> None:
    from hotline.sealing.envelope import seal

    key = generate_master_key()
    store = EvidenceStore(tmp_path / "evidence", key)
    legacy = "warc/2026/01/02/old.warc.enc"
    (store.root / legacy).parent.mkdir(parents=True)
    (store.root / legacy).write_bytes(seal(b"WARC/1.1\r\n\r\nsynthetic legacy", key))
    assert store.open_warc(legacy).endswith(b"legacy")


def test_a_master_key_readable_by_others_is_made_private_again(tmp_path) -> None:
    from hotline.evidence import load_or_create_master_key

    key = load_or_create_master_key(tmp_path)
    path = next((tmp_path / "keys").iterdir())
    path.chmod(0o644)
    assert load_or_create_master_key(tmp_path) == key
    assert path.stat().st_mode & 0o777 == 0o600
