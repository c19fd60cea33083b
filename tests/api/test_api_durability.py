"""Durability: an answered submission survives SIGKILL of the server; retries after restart add nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from api_support import add_partner, count_reports, encode, payload, signed
from sqlalchemy import select

from hotline.models import Report

REPO = Path(__file__).resolve().parents[2]
SERVER = """
import sys, uvicorn
from hotline.app import Hotline
from hotline.web import create_app
uvicorn.run(create_app(Hotline()), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def start_server(hotline) -> tuple[subprocess.Popen[bytes], str]:  # type: ignore[no-untyped-def]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env |= {"HOTLINE_DATA_DIR": str(hotline.settings.data_dir), "HOTLINE_DATABASE_URL": hotline.db.url}
    process = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], cwd=REPO, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)


@pytest.mark.slow
def test_answered_reports_survive_a_kill_and_retries_create_nothing_new(hotline_db) -> None:
    creds = add_partner(hotline_db)
    keys = [f"fwd-durable-{n:04d}" for n in range(16)]
    bodies = {key: encode(payload(key=key, urls=(f"https://d.example-synth.nl/{key}",))) for key in keys}
    answered: dict[str, str] = {}
    lock = threading.Lock()
    enough = threading.Event()

    def send(my_keys: list[str], base: str) -> None:
        with httpx.Client(base_url=base, timeout=10) as client:
            for key in my_keys:
                try:
                    answer = client.post("/api/v1/reports", content=bodies[key], headers=signed(bodies[key], creds))
                except httpx.TransportError:
                    return  # the server was killed under us: this one was never answered
                if answer.status_code == 201:
                    with lock:
                        answered[key] = answer.json()["receipt"]
                        if len(answered) >= 6:
                            enough.set()

    # given a server taking submissions from four clients at once
    process, base = start_server(hotline_db)
    try:
        senders = [threading.Thread(target=send, args=(keys[i::4], base)) for i in range(4)]
        for sender in senders:
            sender.start()
        # when it is killed the moment six answers have arrived
        assert enough.wait(timeout=60)
        process.send_signal(signal.SIGKILL)
        with lock:
            answered_before_kill = dict(answered)
        for sender in senders:
            sender.join(timeout=30)
    finally:
        process.kill()
        process.wait()

    # then every answered report is in the database
    with hotline_db.db.sessions() as session:
        stored = {key: ref for key, ref in session.execute(select(Report.idempotency_key, Report.reference))}
    assert {k: stored.get(k) for k in answered_before_kill} == answered_before_kill
    assert len(stored) < len(keys), "the kill came before every submission was answered"

    # and after a restart, retrying everything answers each key once and creates no duplicate
    process, base = start_server(hotline_db)
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            for key in keys:
                answer = client.post("/api/v1/reports", content=bodies[key], headers=signed(bodies[key], creds))
                assert answer.status_code == (200 if key in stored else 201), answer.text
                if key in stored:
                    assert answer.json()["receipt"] == stored[key]
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert count_reports(hotline_db) == len(keys)
