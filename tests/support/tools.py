"""Where the field's own tools live (`make tools` builds their venvs) and how tests run them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLS_DIR = REPO / ".venv-tools"
# py-wacz is a product dependency, so its command sits beside the interpreter running the tests.
PROJECT_BIN = Path(sys.executable).parent


def tool_command(venv: str, command: str) -> Path:
    """The path of `command` in the tool venv `venv`; fails the test (not skips) when it is missing."""
    path = TOOLS_DIR / venv / "bin" / command
    if not path.is_file():
        pytest.fail(f"{command} is not installed in {TOOLS_DIR / venv}: run `make tools`", pytrace=False)
    return path


def project_command(command: str) -> Path:
    path = PROJECT_BIN / command
    if not path.is_file():
        pytest.fail(f"{command} is not installed in {PROJECT_BIN.parent}: run `make .venv/.installed-dev`",
                    pytrace=False)
    return path


def tool_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A minimal environment: no proxy settings (traffic stays on loopback), HOME in a temp dir."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
           "NO_PROXY": "*", "PYTHONDONTWRITEBYTECODE": "1"}
    env.update(extra or {})
    return env


def run(args: Sequence[str | Path], *, cwd: Path, env: Mapping[str, str],
        check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a tool; with `check`, a non-zero exit fails the test showing the tool's own output."""
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=dict(env), capture_output=True, text=True,
                          timeout=timeout, check=False)
    if check and done.returncode != 0:
        pytest.fail(f"{' '.join(str(a) for a in args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}",
                    pytrace=False)
    return done


def free_port() -> int:
    """A loopback port that was free a moment ago (callers retry if another process takes it first)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
