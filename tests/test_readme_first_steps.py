"""README "First steps" run as written, top to bottom, in an empty folder (as on a fresh clone).

Each line of the section's shell block is run as a real command. The one that serves is started, used
as a newcomer would (log in to the workspace, open the public form) and stopped with Ctrl-C.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
PASSWORD = "a long synthetic passphrase"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def first_steps() -> list[str]:
    """The commands of the README's "First steps" shell block, comments dropped."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## First steps"):]
    block = section[section.index("```sh") + len("```sh"):section.index("```", section.index("```sh") + 5)]
    return [line.split("#", 1)[0].strip() for line in block.strip().splitlines() if line.split("#", 1)[0].strip()]


def _argv(command: str) -> list[str]:
    argv = shlex.split(command)
    assert argv[0] == ".venv/bin/hotline", f"first steps should use the installed command: {command}"
    return [str(VENV_BIN / "hotline"), *argv[1:]]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_serving(base: str, proc: subprocess.Popen[str], deadline: float) -> None:
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the server stopped: {proc.stderr.read() if proc.stderr else ''}"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not answer in time")


def test_readme_first_steps_run_as_written_on_an_empty_folder(tmp_path: Path) -> None:
    commands = first_steps()
    assert len(commands) >= 3 and "init" in commands[0]
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("HOTLINE_")}
    env.update({"HOTLINE_PORT": str(port), "COLUMNS": "100"})
    base = f"http://127.0.0.1:{port}"
    for command in commands:
        argv = _argv(command)
        if "--serve" not in argv:
            # A new session has no terminal, so the password prompt reads standard input.
            done = subprocess.run(argv, cwd=tmp_path, env=env, input=f"{PASSWORD}\n{PASSWORD}\n", text=True,
                                  capture_output=True, timeout=300, start_new_session=True, check=False)
            assert done.returncode == 0, f"{command}: {done.stderr}"
            continue
        proc = subprocess.Popen(argv, cwd=tmp_path, env=env, text=True, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        try:
            _wait_until_serving(base, proc, time.monotonic() + 180)
            with httpx.Client(base_url=base, timeout=10) as client:
                # the public form answers, and the analyst logs in and sees the demo's three reports
                assert "<form" in client.get("/report").text
                token = CSRF_RE.search(client.get("/workspace/login").text)
                assert token is not None
                login = client.post("/workspace/login", data={"name": "ana", "password": PASSWORD, "code": "",
                                                              "csrf": token.group(1)})
                assert login.status_code == 303, login.text
                queue = client.get("/workspace/queue").text
                assert len(set(re.findall(r'href="/workspace/items/(\d+)"', queue))) == 3
        finally:
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C, as the README says
            out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert "report HL-" in out
    # and the data stayed in ./var, where `make run` serves it from
    assert (tmp_path / "var" / "hotline.sqlite3").is_file()
