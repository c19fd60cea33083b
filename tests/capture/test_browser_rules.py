"""When a browser capture may run, and what the browser is told, by calling the configuration directly
(the browser itself runs in tests/egress/test_browser_capture.py, through real Squid)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.capture.browser import browser_problem, context_options, launch_args, launch_options
from hotline.capture.models import CaptureJob, CaptureOptions

PROXY = "http://127.0.0.1:3128"


def _options(tmp_path: Path, **overrides: object) -> CaptureOptions:
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/sh\n")
    settings: dict[str, object] = {"browser_executable": chromium, **overrides}
    return CaptureOptions(evidence_dir=tmp_path, master_key=b"k" * 32, **settings)  # type: ignore[arg-type]


def test_no_proxy_no_browser(tmp_path: Path) -> None:
    assert "needs an egress proxy" in (browser_problem(_options(tmp_path), None) or "")


def test_a_missing_chromium_says_what_to_install(tmp_path: Path) -> None:
    options = _options(tmp_path, browser_executable=tmp_path / "nowhere")

    assert "install Debian's chromium" in (browser_problem(options, PROXY) or "")


@pytest.mark.parametrize(("root", "sandbox", "refused"), [
    (False, True, None),  # production: an unprivileged user, sandbox on
    (False, False, "only a process running as root may turn it off"),
    (True, True, "cannot run as root"),
    (True, False, None),  # tests running as root
])
def test_the_sandbox_stays_on_unless_running_as_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, root: bool,
                                                     sandbox: bool, refused: str | None) -> None:
    monkeypatch.setattr("hotline.capture.browser.os.geteuid", lambda: 0 if root else 1000)
    options = _options(tmp_path, browser_sandbox=sandbox)

    problem = browser_problem(options, PROXY)

    assert problem is None if refused is None else refused in (problem or "")
    if problem is None:
        assert launch_options(options, PROXY)["chromium_sandbox"] is sandbox


def test_everything_goes_to_the_proxy_and_nothing_else_leaves(tmp_path: Path) -> None:
    args = launch_args(PROXY)

    assert f"--proxy-server={PROXY}" in args and "--proxy-bypass-list=<-loopback>" in args
    assert "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1" in args  # no DNS of its own
    assert "--force-webrtc-ip-handling-policy=disable_non_proxied_udp" in args
    assert {"--disable-quic", "--dns-prefetch-disable", "--no-pings"} <= set(args)
    assert not [a for a in args if a.startswith("--disable-features")]  # would drop Playwright's own list


def test_each_capture_gets_a_context_without_downloads_permissions_or_service_workers(tmp_path: Path) -> None:
    job = CaptureJob(job_id="j", url="http://a.example/", user_agent="UA/1", accept_language="ro-RO,ro;q=0.9")

    context = context_options(job, _options(tmp_path))

    assert (context["accept_downloads"], context["service_workers"], context["permissions"]) == (False, "block", [])
    assert (context["user_agent"], context["locale"]) == ("UA/1", "ro-RO")
