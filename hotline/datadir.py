"""Owner-only modes in the data dir, whatever the umask: it holds the database (with sealed secrets and
the audit log), the match index and the keys.

New folders are made 0700 and new files 0600 by the code that makes them; `repair_modes` (run by
`hotline init`) brings an existing data dir to the same. Hosts that share one data dir run hotline as one
service user (docs/deploy.md), so owner-only is enough for all of them.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotline.config import Settings

DIR_MODE = 0o700
FILE_MODE = 0o600
DATABASE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def make_private(folder: Path) -> None:
    """Create the folder (and its parents) if missing; the folder itself ends up 0700."""
    folder.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    _chmod(folder, DIR_MODE)


def private_file(path: Path) -> None:
    """Make the file owner-only if it exists (for files other code created)."""
    _chmod(path, FILE_MODE)


def create_private_file(path: Path) -> None:
    """Create an empty owner-only file if it is missing (before a library opens it with its own mode)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)


def _chmod(path: Path, mode: int) -> None:
    try:
        current = stat.S_IMODE(path.lstat().st_mode)
    except FileNotFoundError:
        return
    if current != mode and not path.is_symlink():
        path.chmod(mode)


def private_tree(root: Path) -> None:
    """Folders 0700 and files 0600 under root (a small tree: the match index, the keys)."""
    if not root.is_dir():
        return
    _chmod(root, DIR_MODE)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            _chmod(Path(folder) / name, DIR_MODE)
        for name in files:
            _chmod(Path(folder) / name, FILE_MODE)


def sqlite_files(settings: Settings) -> list[Path]:
    url = settings.database
    if not url.startswith("sqlite:///"):
        return []
    path = Path(url.removeprefix("sqlite:///"))
    return [path.with_name(path.name + suffix) for suffix in DATABASE_SUFFIXES]


def repair_modes(settings: Settings) -> None:
    """Owner-only modes on what an older version (or a loose umask) left readable to others.

    The evidence tree is not walked (it may hold millions of files, each written 0600 from the start);
    its folder and the data dir above it are closed, which is what keeps others out."""
    data_dir = settings.data_dir
    make_private(data_dir)
    for sub in ("evidence", "index", "logs", "keys"):
        _chmod(data_dir / sub, DIR_MODE)
    for path in sqlite_files(settings):
        private_file(path)
    for name in ("secret_key", "audit-anchors.jsonl"):
        private_file(data_dir / name)
    if settings.audit_anchor_file is not None:
        private_file(settings.audit_anchor_file)
    private_tree(data_dir / "index")
    private_tree(data_dir / "keys")
