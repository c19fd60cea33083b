"""Meta's python-threatexchange CLI, the reference for signal exchange files and for PDQ as partners
compute it (its venv: .venv-tools/threatexchange). Works offline.

The CLI keeps all its state (collaborations, fetched signals, indexes) in TX_STATEDIR (default
~/.threatexchange); every instance here gets its own temporary one, and HOME points there too.
Signals are loaded without any network through a `local_file` collaboration: a text file with one
`TYPE VALUE` line per signal (the "line format"), read by `threatexchange fetch`.

What the CLI knows (1.2.17): pdq, video_md5, video_sha256, url, url_md5, raw_text, trend_query. Lines of
other types (md5, sha256 of photos...) and invalid values are dropped silently on fetch.
Two surprises: `hash photo` prints nothing for an image whose PDQ quality is under 50, and a
collaboration holding a single PDQ hash never matches (its faiss index loses the one entry when the CLI
saves it to disk and loads it back): give `match` at least two.
"""

from __future__ import annotations

import csv
import io
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.support.tools import run, tool_command, tool_env

CSV_COLUMNS = ["signal_type", "signal_str", "collab", "category", "tags"]


def write_signal_lines(path: Path, signals: Iterable[tuple[str, str]]) -> Path:
    """The line format: `TYPE VALUE` per line, what a local_file collaboration reads."""
    path.write_text("".join(f"{kind} {value}\n" for kind, value in signals), encoding="utf-8")
    return path


def hamming(a: str, b: str) -> int:
    """Bits that differ between two hex hashes of the same length."""
    assert len(a) == len(b), (a, b)
    return (int(a, 16) ^ int(b, 16)).bit_count()


class ThreatExchangeCLI:
    """One `threatexchange` state dir; each method is one CLI call."""

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir = state_dir
        self.env = tool_env(state_dir, {"TX_STATEDIR": str(state_dir / "state")})

    def run(self, *args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run([tool_command("threatexchange", "threatexchange"), *args], cwd=self.state_dir, env=self.env,
                   check=check)

    def add_local_collab(self, name: str, signals_file: Path) -> None:
        """A collaboration read from `signals_file` (line format) by the next `fetch`."""
        self.run("config", "collab", "edit", "local_file", "--create", "--filename", signals_file.resolve(),
                 name)

    def fetch(self) -> None:
        """Read every enabled collaboration into the CLI's state and rebuild its match indexes."""
        self.run("fetch")

    def dataset_csv(self, collab: str) -> str:
        """`dataset -P --csv`: header `signal_type,signal_str,collab,category,tags`, one row per signal."""
        return self.run("dataset", "-P", "--csv", "-c", collab).stdout

    def dataset_lines(self, collab: str) -> str:
        """`dataset -P -S`: `TYPE VALUE` per signal (the CLI drops TYPE when one `-s TYPE` is asked)."""
        return self.run("dataset", "-P", "-S", "-c", collab).stdout

    def export(self, collab: str, signals: Iterable[tuple[str, str]]) -> tuple[str, str]:
        """Load `signals` as a local collaboration and give back (CSV export, line-format export)."""
        self.add_local_collab(collab, write_signal_lines(self.state_dir / f"{collab}.txt", signals))
        self.fetch()
        return self.dataset_csv(collab), self.dataset_lines(collab)

    def hash_photo(self, path: Path) -> str | None:
        """PDQ as python-threatexchange computes it (`hash photo`), or None when its quality is under 50
        (the CLI then prints nothing)."""
        out = self.run("hash", "photo", path.resolve()).stdout.split()
        if not out:
            return None
        kind, value = out
        assert kind == "pdq", out
        return value

    def match_photo(self, path: Path) -> list[str]:
        """`match photo`: one `pdq DISTANCE (COLLAB) CATEGORY` line per fetched signal it matches."""
        return self.run("match", "photo", path.resolve()).stdout.splitlines()


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def threatexchange(tmp_path: Path) -> ThreatExchangeCLI:
    """A threatexchange CLI with a fresh state dir of its own (no collaborations, no network)."""
    return ThreatExchangeCLI(tmp_path / "threatexchange")
