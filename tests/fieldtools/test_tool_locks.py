"""Each tool venv holds exactly its lock (versions with hashes), apart from .venv."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from tests.support.tools import REPO, TOOLS_DIR

TOOL_LOCKS = REPO / "requirements" / "tools"
TOOLS = ["pywb", "threatexchange"]


def _pins(lock: Path) -> dict[str, str]:
    text = lock.read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9_.\-]+==)", text)
    assert all("--hash=sha256:" in e for e in entries if re.match(r"[A-Za-z0-9_.\-]+==", e)), lock
    return {canonicalize_name(name): version
            for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", text, re.MULTILINE)}


@pytest.mark.parametrize("tool", TOOLS)
def test_the_tool_and_its_build_tools_are_locked_with_hashes(tool: str) -> None:
    pins, build = _pins(TOOL_LOCKS / f"{tool}.lock"), _pins(TOOL_LOCKS / f"{tool}-build.lock")

    assert tool in pins
    assert {"pip", "setuptools", "wheel"} <= build.keys()
    assert all(pins[name] == version for name, version in build.items() if name in pins), (pins, build)


@pytest.mark.parametrize("tool", TOOLS)
def test_the_tool_venv_holds_exactly_its_locks(tool: str) -> None:
    [site] = (TOOLS_DIR / tool / "lib").glob("python3*/site-packages") or [None]
    if site is None:
        pytest.fail(f"{TOOLS_DIR / tool} is missing: run `make tools`", pytrace=False)
    installed = {canonicalize_name(d.metadata["Name"]): d.version
                 for d in importlib.metadata.distributions(path=[str(site)])}
    locked = {**_pins(TOOL_LOCKS / f"{tool}-build.lock"), **_pins(TOOL_LOCKS / f"{tool}.lock")}

    assert installed == locked


@pytest.mark.parametrize("module", ["pywb", "threatexchange"])
def test_the_tools_are_not_in_the_project_venv(module: str) -> None:
    assert importlib.util.find_spec(module) is None
