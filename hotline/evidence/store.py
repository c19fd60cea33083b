"""The evidence store: encrypted WARC files per capture and an encrypted content-addressed blob store.

Layout under ``root``::

    warc/YYYY/MM/DD/<capture id>.warc.enc     one sealed WARC per capture
    blobs/ab/<sha256>.enc                     one sealed body per distinct content (media)

Paths handed out are relative to ``root`` so the data directory can move.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from hotline.evidence.crypto import open_sealed, seal

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_SAFE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
WARC_SUFFIX = ".warc.enc"


def _warc_context(relative: str) -> bytes:
    # A WARC is bound to its own path: copied over another capture's file, it fails authentication.
    return b"hotline-warc:" + relative.encode("utf-8")


class EvidenceNotFound(LookupError):
    """The requested blob or WARC file is not in the store."""


def _write_atomically(path: Path, data: bytes, known_dirs: set[Path]) -> None:
    """Write to a unique temporary name, then rename: readers never see a half-written file."""
    if path.parent not in known_dirs:  # saves a mkdir system call per file
        # Owner only: blob names are content hashes, which other local users must not list.
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        known_dirs.add(path.parent)
    tmp = path.parent / f".tmp-{uuid.uuid4().hex}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileNotFoundError:  # the directory was removed behind our back
        known_dirs.discard(path.parent)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class EvidenceStore:
    def __init__(self, root: Path, master_key: bytes) -> None:
        self.root = Path(root)
        self._master_key = master_key
        self._known_dirs: set[Path] = set()

    # -- blobs -------------------------------------------------------------------------------
    def blob_path(self, sha256: str) -> Path:
        if not _SHA256_RE.match(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        # One level of 256 folders: a second level would mean a new folder for almost every blob.
        return self.root / "blobs" / sha256[:2] / f"{sha256}.enc"

    def has_blob(self, sha256: str) -> bool:
        return self.blob_path(sha256).exists()

    def put_blob(self, data: bytes, sha256: str | None = None) -> str:
        """Store ``data`` once; returns its sha256 (the blob's key). ``sha256`` skips re-hashing."""
        digest = sha256 or hashlib.sha256(data).hexdigest()
        path = self.blob_path(digest)
        if not path.exists():
            _write_atomically(path, seal(data, self._master_key), self._known_dirs)
        return digest

    def get_blob(self, sha256: str) -> bytes:
        path = self.blob_path(sha256)
        if not path.exists():
            raise EvidenceNotFound(f"no blob {sha256}")
        data = open_sealed(path.read_bytes(), self._master_key)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise EvidenceNotFound(f"blob {sha256} does not match its digest")
        return data

    # -- WARC files --------------------------------------------------------------------------
    def write_warc(self, capture_id: str, warc: bytes, when: datetime | None = None) -> str:
        """Seal one capture's WARC bytes; returns the path relative to ``root``."""
        if not _SAFE_NAME_RE.match(capture_id):
            raise ValueError(f"capture id not usable as a file name: {capture_id!r}")
        day = (when or datetime.now(UTC)).strftime("%Y/%m/%d")
        relative = f"warc/{day}/{capture_id}{WARC_SUFFIX}"
        sealed = seal(warc, self._master_key, context=_warc_context(relative))
        _write_atomically(self.root / relative, sealed, self._known_dirs)
        return relative

    def _resolve(self, relative: str | Path) -> Path:
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"path outside the evidence store: {relative}")
        if not path.exists():
            raise EvidenceNotFound(f"no evidence file {relative}")
        return path

    def open_warc(self, relative: str | Path) -> bytes:
        """The decrypted (plain) WARC bytes of one capture."""
        path = self._resolve(relative)
        context = _warc_context(path.relative_to(self.root.resolve()).as_posix())
        return open_sealed(path.read_bytes(), self._master_key, context=context)

    def export(self, relatives: Iterable[str | Path], out_dir: Path) -> list[Path]:
        """Decrypt WARC files into ``out_dir`` as plain ``.warc`` files readable by any WARC tool."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
        written = []
        for relative in relatives:
            name = Path(relative).name.removesuffix(WARC_SUFFIX) + ".warc"
            target = out / name
            # Decrypted evidence: owner-only like the sealed files, whatever the umask says.
            target.unlink(missing_ok=True)  # a file left from before keeps its mode: start afresh
            _write_atomically(target, self.open_warc(relative), set())
            written.append(target)
        return written
