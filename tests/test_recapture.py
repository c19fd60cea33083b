"""Disguised sites: the reporter's referrer is sent, and an analyst can capture again another way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hotline.synthnet import SyntheticInternet

REPO = Path(__file__).resolve().parents[1]
HOST = "ascuns-sintetic.ro"


def _run(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([sys.executable, str(REPO / "cli.py"), *args], env=env, capture_output=True,
                          text=True, timeout=300, check=False, input=stdin)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_disguised_page_shows_itself_to_the_right_referrer_and_user_agent(tmp_path: Path) -> None:
    with SyntheticInternet(default_sites=False) as net:
        net.add_host(HOST, country="RO")
        net.add_image(HOST, "/real.png", seed=5)
        net.add_disguised(HOST, "/p", html="<img src='/real.png'>", decoy_html="<p>nothing here</p>",
                          referer_prefix="http://links-sintetic.ro/", user_agent_contains="Android")
        env = {"PATH": os.environ.get("PATH", ""), "HOTLINE_DATA_DIR": str(tmp_path), **net.env()}
        _run(env, "init")
        _run(env, "user", "add", "ana", "--password-stdin", stdin="a long password\n")
        reference = json.loads(_run(env, "submit", f"http://{HOST}/p", "--referer",
                                    "http://links-sintetic.ro/list", "--json"))["reference"]
        _run(env, "process", "--until-idle")
        first = json.loads(_run(env, "show", reference, "--json"))["urls"][0]

        # the analyst who asks proves who she is (password on standard input; no one-time code enrolled)
        again = json.loads(_run(env, "recapture", reference, "--user-agent", "Mozilla/5.0 (Linux; Android 14)",
                                "--as", "ana", stdin="a long password\n"))
        after = json.loads(_run(env, "show", reference, "--json"))["urls"][0]

    # The referrer alone is not enough here: the first capture sees the decoy.
    assert [m["kind"] for m in first["media"]] == ["page"]
    assert again["outcome"] == "ok"
    assert [m["kind"] for m in after["media"]] == ["page", "image"]
    assert after["media"][1]["phash"], "the recaptured image is fingerprinted"
    assert after["state"] == "triaged"
