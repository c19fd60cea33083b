"""The evidence store: encrypted WARC files per capture and an encrypted content-addressed blob store.

Layout under ``root``::

    warc/YYYY/MM/DD/<capture id>.warc.enc     one sealed WARC per capture, never replaced
    blobs/ab/<sha256>.enc                     one sealed body per distinct content (media)

Paths handed out are relative to ``root`` so the data directory can move. Files are sealed under the
keyring's current master key and opened with whichever key their header names (hotline.sealing.keyring).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from hotline.sealing.envelope import KEY_ID_END, EvidenceCryptoError, sealed_key_id

if TYPE_CHECKING:
    from hotline.sealing.keyring import Keyring

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_SAFE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
WARC_SUFFIX = ".warc.enc"
EXPORT_SUFFIX = ".warc.gz"


def _warc_context(relative: str) -> bytes:
    # A WARC is bound to its own path: copied over another capture's file, it fails authentication.
    return b"hotline-warc:" + relative.encode("utf-8")


def export_name(relative: str | Path) -> str:
    """The name a sealed WARC is exported under (the one its warcinfo record gives, for new files)."""
    return Path(relative).name.removesuffix(WARC_SUFFIX) + EXPORT_SUFFIX


class EvidenceNotFound(LookupError):
    """The requested blob or WARC file is not in the store."""


class EvidenceIntegrityError(EvidenceCryptoError):
    """A stored file is there but fails its check (changed, swapped, or sealed under a key not held):
    nothing of it may be served, and someone must look (the workspace audits it as
    `evidence.integrity-failure`)."""

    def __init__(self, relative: str, reason: str) -> None:
        super().__init__(f"the evidence file {relative} failed its integrity check ({reason}): nothing was "
                         "served; an administrator should restore it from a backup")
        self.relative = relative
        self.reason = reason

    @property
    def subject_type(self) -> str:
        return "evidence_file"

    @property
    def subject_id(self) -> str:
        return Path(self.relative).name.removesuffix(".enc")[:64]


def _write_atomically(path: Path, data: bytes, known_dirs: set[Path], times: tuple[int, int] | None = None,
                      *, replace: bool = True) -> None:
    """Write to a unique temporary name, then rename: readers never see a half-written file.

    With ``replace=False`` the file appears by a hard link, which fails if the name is taken: a sealed file
    already there is never replaced (FileExistsError)."""
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
        if times is not None:
            os.utime(tmp, ns=times)
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
            tmp.unlink()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _read(path: Path, missing: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:  # never there, purged, or removed between a check and the read
        raise EvidenceNotFound(missing) from None


class EvidenceStore:
    def __init__(self, root: Path, keys: Keyring | bytes) -> None:
        from hotline.sealing.keyring import Keyring

        self.root = Path(root)
        self.keyring = keys if isinstance(keys, Keyring) else Keyring.of(keys)
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
        try:
            # Shared with an earlier capture: mark it used now, so a retention purge that found it
            # unreferenced a moment ago leaves it for the row this capture is about to add.
            os.utime(path)
        except FileNotFoundError:
            _write_atomically(path, self.keyring.seal(data), self._known_dirs)
        return digest

    def get_blob(self, sha256: str) -> bytes:
        relative = self.blob_relative(sha256)
        sealed = _read(self.blob_path(sha256), f"no blob {sha256}")
        try:
            data = self.keyring.open(sealed)
        except EvidenceCryptoError as exc:
            raise EvidenceIntegrityError(relative, str(exc)) from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise EvidenceIntegrityError(relative, "its content does not match its digest")
        return data

    # -- WARC files --------------------------------------------------------------------------
    def write_warc(self, capture_id: str, warc: bytes, when: datetime | None = None) -> str:
        """Seal one capture's WARC bytes; returns the path relative to ``root``.

        ``capture_id`` names the file: one per capture (the capture names it with its job id, time and a
        random part, so a URL captured again keeps every earlier capture's evidence). A sealed file is
        never overwritten: a name already taken that day raises FileExistsError."""
        if not _SAFE_NAME_RE.match(capture_id):
            raise ValueError(f"capture id not usable as a file name: {capture_id!r}")
        day = (when or datetime.now(UTC)).strftime("%Y/%m/%d")
        relative = f"warc/{day}/{capture_id}{WARC_SUFFIX}"
        sealed = self.keyring.seal(warc, context=_warc_context(relative))
        _write_atomically(self.root / relative, sealed, self._known_dirs, replace=False)
        return relative

    def _resolve(self, relative: str | Path) -> Path:
        path = self._resolve_unchecked(relative)
        if not path.exists():
            raise EvidenceNotFound(f"no evidence file {relative}")
        return path

    def open_warc(self, relative: str | Path) -> bytes:
        """The decrypted (plain) WARC bytes of one capture."""
        path = self._resolve(relative)
        context = _warc_context(path.relative_to(self.root.resolve()).as_posix())
        sealed = _read(path, f"no evidence file {relative}")
        try:
            return self.keyring.open(sealed, context=context)
        except EvidenceCryptoError as exc:
            raise EvidenceIntegrityError(str(relative), str(exc)) from None

    def export(self, relatives: Iterable[str | Path], out_dir: Path) -> list[Path]:
        """Decrypt WARC files into ``out_dir`` as per-record gzipped ``.warc.gz`` files, the form WARC
        tools expect (each record its own gzip member; unzipped, the sealed WARC byte for byte)."""
        from hotline.evidence.warc import records_gzipped

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
        written = []
        for relative in relatives:
            target = out / export_name(relative)
            # Decrypted evidence: owner-only like the sealed files, whatever the umask says.
            target.unlink(missing_ok=True)  # a file left from before keeps its mode: start afresh
            _write_atomically(target, b"".join(records_gzipped(self.open_warc(relative))), set())
            written.append(target)
        return written

    # -- maintenance: key rotation and retention (hotline.evidence.reseal, hotline.evidence.retention) ---
    @contextmanager
    def maintenance(self) -> Iterator[None]:
        """Held while files are re-sealed or purged, so a purge never races a re-seal that would put a
        deleted file back (one host; hosts sharing the store over NFS get the same lock there)."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(self.root / ".maintenance.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def files(self, after: str | None = None) -> Iterator[str]:
        """Every sealed file (relative path), blobs then WARCs, in a stable order; only those after
        `after` when given, so a long walk can stop and resume."""
        cursor = tuple(after.split("/")) if after else ()
        for top in ("blobs", "warc"):
            yield from self._walk((top,), cursor)

    def _walk(self, parts: tuple[str, ...], cursor: tuple[str, ...]) -> Iterator[str]:
        if cursor and parts < cursor[: len(parts)]:
            return  # everything below sorts before the cursor
        try:
            entries = sorted(os.scandir(self.root.joinpath(*parts)), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue  # temporary files and locks
            here = (*parts, entry.name)
            if entry.is_dir(follow_symlinks=False):
                yield from self._walk(here, cursor)
            elif not cursor or here > cursor:
                yield "/".join(here)

    def key_id_of(self, relative: str) -> bytes:
        """The id of the master key a stored file is sealed under (reads only its header)."""
        with open(self._resolve(relative), "rb") as handle:
            return sealed_key_id(handle.read(KEY_ID_END))

    def _context_of(self, relative: str) -> bytes:
        return _warc_context(relative) if relative.startswith("warc/") else b""

    def open_file(self, relative: str) -> bytes:
        """The plain bytes of any stored file (a WARC or a blob), checked as its readers check it."""
        if relative.startswith("blobs/"):
            return self.get_blob(Path(relative).name.removesuffix(".enc"))
        return self.open_warc(relative)

    def reseal(self, relative: str) -> bool:
        """Seal one file again under the current key with a fresh data key and header, in place
        (temporary file and rename: a reader sees the old or the new file, both readable). A WARC
        stays bound to its path. False when the file has gone (purged meanwhile)."""
        path = self.root / relative
        try:
            before = path.stat()
            plain = self.open_file(relative)
        except (EvidenceNotFound, FileNotFoundError):
            if path.exists():
                raise  # there but unreadable (a blob not matching its name): the caller reports it
            return False
        sealed = self.keyring.seal(plain, context=self._context_of(relative))
        # The file keeps its times: retention reads them as "last used by a capture".
        _write_atomically(path, sealed, self._known_dirs, times=(before.st_atime_ns, before.st_mtime_ns))
        return True

    def remove(self, relative: str) -> bool:
        """Delete one stored file (retention); False when it was not there."""
        path = self._resolve_unchecked(relative)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def _resolve_unchecked(self, relative: str | Path) -> Path:
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"path outside the evidence store: {relative}")
        return path

    def blob_relative(self, sha256: str) -> str:
        return self.blob_path(sha256).relative_to(self.root).as_posix()
