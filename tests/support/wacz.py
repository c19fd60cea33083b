"""py-wacz's `wacz create` and `wacz validate`, as the field runs them on our WARCs.

py-wacz is a product dependency (for `--wacz`), so its `wacz` command is the one in .venv. Use that
script, not `python -m wacz`: the module entry point drops main()'s result and exits 0 even when
validation fails.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.support.tools import project_command, run, tool_env

PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}


def write_pages(path: Path, pages: Sequence[dict[str, Any]]) -> Path:
    """A pages.jsonl (header line, then one {"url", "ts", "title"...} per page) for `wacz create -p`."""
    lines = [PAGES_HEADER, *pages]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def wacz_create(output: Path, warcs: Sequence[Path], *, pages: Path | None = None,
                detect_pages: bool = False, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`wacz create -o OUTPUT [-p PAGES | --detect-pages] WARC...`.

    --detect-pages keeps only HTML responses that some other record names as its Referer (unless a
    warcinfo record lists pages): pass the pages explicitly to be sure they are listed."""
    args: list[str | Path] = [project_command("wacz"), "create", "-o", output]
    if pages is not None:
        args += ["-p", pages]
    if detect_pages:
        args.append("--detect-pages")
    return run([*args, *warcs], cwd=output.parent, env=tool_env(output.parent), check=check)


def wacz_validate(path: Path) -> subprocess.CompletedProcess[str]:
    """`wacz validate -f PATH`; exit 0 and "Validation succeeded" when valid. Never raises on invalid."""
    return run([project_command("wacz"), "validate", "-f", path], cwd=path.parent, env=tool_env(path.parent),
               check=False)


def wacz_pages(path: Path) -> list[dict[str, Any]]:
    """The pages a WACZ lists (pages/pages.jsonl without its header line); [] when it has none."""
    with zipfile.ZipFile(path) as archive:
        if "pages/pages.jsonl" not in archive.namelist():
            return []
        lines = archive.read("pages/pages.jsonl").decode("utf-8").splitlines()
    return [entry for entry in map(json.loads, lines) if "format" not in entry]
