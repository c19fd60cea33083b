"""Intake benchmark: signed partner submissions per second and latency, on loopback.

Three servers, each one uvicorn process, measured in the same run with the same client and requests:

  baseline    a bare FastAPI handler doing the same checks (size cap, signature, partner schema, URL
              normalisation) and no database write
  sqlite      hotline's /api/v1/reports on the embedded default (SQLite, WAL)
  postgresql  the same on PostgreSQL (a scratch database on 127.0.0.1:5432, dropped afterwards)

The client is a small asyncio HTTP/1.1 client with keep-alive connections (cheaper than httpx, so the
client does not steal the server's CPU on a 2-core machine). Every request is a new report with its own
idempotency key and URL: the worst case, nothing deduplicated.

    .venv/bin/python bench/intake.py [--requests 3000] [--concurrency 8] [--no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
KEY_ID, SECRET = "pkbench0000000001", "bench-signing-secret-" + "x" * 24


# --- servers (run in child processes) ----------------------------------------------------------------

def baseline_app() -> Any:
    """The same validation as the real handler, with the partner's secret in memory and no database."""
    from fastapi import FastAPI

    from forwarders.partner import PayloadError, SignatureError, parse_partner_payload, verify
    from forwarders.partner_schema import MAX_BODY_BYTES
    from hotline.pipeline.intake import check_urls
    from hotline.web.public.body import BodyTooLarge, read_body

    app = FastAPI()

    @app.post("/api/v1/reports")
    async def submit(request: Request) -> JSONResponse:
        try:
            body = await read_body(request, MAX_BODY_BYTES)
            verify(request.headers, body, lambda key: SECRET.encode() if key == KEY_ID else None)
            payload = parse_partner_payload(body)
        except BodyTooLarge:
            return JSONResponse({"detail": "too large"}, status_code=413)
        except SignatureError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=401)
        except PayloadError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=422)
        accepted, rejected = check_urls([item.url for item in payload.items])
        return JSONResponse({"receipt": "HL-0", "reference": payload.reference, "duplicate": False,
                             "accepted": [url for _, url in accepted],
                             "rejected": [{"url": r.text, "reason": r.reason} for r in rejected]},
                            status_code=201)

    return app


def serve(kind: str, port: int, data_dir: str, database_url: str) -> None:
    import uvicorn

    if kind == "baseline":
        app = baseline_app()
    else:
        from hotline.app import Hotline
        from hotline.config import load_settings
        from hotline.web import create_app

        app = create_app(Hotline(load_settings(data_dir=Path(data_dir), database_url=database_url or None)))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- setup -------------------------------------------------------------------------------------------

def prepare_hotline(data_dir: Path, database_url: str | None) -> None:
    """Create the schema and a partner whose key id and secret the client knows."""
    from hotline.app import Hotline
    from hotline.config import load_settings
    from hotline.models import Partner
    from hotline.web.api.partners import hash_api_key, seal_partner_secret

    with Hotline(load_settings(data_dir=data_dir, database_url=database_url)) as hotline:
        hotline.init()
        with hotline.db.session() as session:
            partner = Partner(name="bench-partner", country="NL", key_id=KEY_ID,
                              api_key_hash=hash_api_key(secrets.token_urlsafe(32)), roles=["submit"])
            session.add(partner)
            session.flush()  # a sealed secret is bound to its row's id, as `hotline partner add` does it
            partner.signing_secret = seal_partner_secret(session, partner, "signing_secret", SECRET.encode())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(kind: str, data_dir: Path, database_url: str = "") -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    process = subprocess.Popen([sys.executable, __file__, "--serve", kind, str(port), str(data_dir), database_url],
                               cwd=REPO, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, port
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"the {kind} server exited with {process.returncode}") from None
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"the {kind} server did not start")


@contextmanager
def postgres_scratch(wanted: bool) -> Iterator[str | None]:
    """A scratch database on the local server (dropped afterwards), or None when not wanted or there."""
    if not wanted:
        yield None
        return
    try:
        import psycopg
    except ImportError:
        print("PostgreSQL skipped: psycopg is not installed", file=sys.stderr)
        yield None
        return
    from hotline.synthnet.scratch import scratch_database

    with ExitStack() as stack:
        url: str | None = None
        try:
            url = stack.enter_context(scratch_database(POSTGRES_ADMIN_URL, prefix="hotline_bench"))
        except psycopg.Error as exc:  # no server: the run reports it and measures the rest
            print(f"PostgreSQL skipped: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        yield url


# --- client ------------------------------------------------------------------------------------------

def build_requests(port: int, count: int, run_id: str) -> list[bytes]:
    from forwarders.partner import signed_headers

    requests = []
    for n in range(count):
        key = f"bench-{run_id}-{n:06d}"
        body = json.dumps({
            "version": 1, "sender": "bench-partner", "reference": f"NL-{n}", "idempotency_key": key,
            "language": "en", "items": [{
                "url": f"https://gallery-{n % 97}.example-synth.nl/album/{run_id}/{n}",
                "classification": {"category": "csam", "severity": "A1"},
                "hosting": {"ips": ["5.2.130.10"], "country": "RO"},
                "hashes": {"sha256": f"{n:064x}"}}],
        }, separators=(",", ":")).encode()
        headers = signed_headers(body, KEY_ID, SECRET, key)
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        requests.append((f"POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{head}"
                         f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
    return requests


async def _connection(port: int, queue: list[bytes], latencies: list[float], statuses: dict[int, int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while queue:
            request = queue.pop()
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def _load(port: int, requests: list[bytes], concurrency: int) -> tuple[float, list[float], dict[int, int]]:
    queue = list(reversed(requests))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    await asyncio.gather(*(_connection(port, queue, latencies, statuses) for _ in range(concurrency)))
    return time.perf_counter() - started, latencies, statuses


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # server CPU time per submission: what bounds throughput on a quiet core
    statuses: dict[int, int]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(name: str, pid: int, port: int, count: int, warmup: int, concurrency: int) -> Result:
    run_id = uuid.uuid4().hex[:8]
    asyncio.run(_load(port, build_requests(port, warmup, run_id + "w"), concurrency))
    requests = build_requests(port, count, run_id)
    cpu_before = cpu_seconds(pid)
    seconds, latencies, statuses = asyncio.run(_load(port, requests, concurrency))
    cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000 / len(latencies)
    quantiles = statistics.quantiles(latencies, n=100)
    return Result(name, len(latencies), seconds, len(latencies) / seconds, quantiles[49] * 1000,
                  quantiles[98] * 1000, cpu_ms, statuses)


# --- main --------------------------------------------------------------------------------------------

def run(count: int, warmup: int, concurrency: int, postgres: bool) -> list[Result]:
    results: list[Result] = []
    with postgres_scratch(postgres) as pg_url, tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmp:
        targets: list[tuple[str, Path, str]] = [("baseline (no DB)", Path(tmp) / "baseline", ""),
                                                ("hotline, SQLite", Path(tmp) / "sqlite", "")]
        if pg_url is not None:
            targets.append(("hotline, PostgreSQL", Path(tmp) / "pg", pg_url))
        for name, data_dir, url in targets:
            kind = "baseline" if name.startswith("baseline") else "hotline"
            if kind == "hotline":
                prepare_hotline(data_dir, url or None)
            process, port = start(kind, data_dir, url)
            try:
                results.append(measure(name, process.pid, port, count, warmup, concurrency))
            finally:
                process.terminate()
                process.wait(timeout=30)
    return results


def report(results: list[Result], concurrency: int) -> str:
    baseline = results[0].per_second
    load = Path("/proc/loadavg").read_text().split()[0]
    lines = [(f"concurrency {concurrency}, {results[0].requests} requests each, one uvicorn worker per server, "
             f"load average {load} on {os.cpu_count()} CPUs"), "",
             "| server | submissions/s | vs baseline | p50 ms | p99 ms | server CPU ms/submission | answers |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        answers = ", ".join(f"{code}×{n}" for code, n in sorted(r.statuses.items()))
        lines.append(f"| {r.name} | {r.per_second:.0f} | {r.per_second / baseline:.2f} | {r.p50_ms:.1f} | "
                     f"{r.p99_ms:.1f} | {r.cpu_ms:.2f} | {answers} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--serve", nargs=4, metavar=("KIND", "PORT", "DATA_DIR", "DATABASE_URL"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        kind, port, data_dir, url = args.serve
        serve(kind, int(port), data_dir, url)
        return 0
    results = run(args.requests, args.warmup, args.concurrency, not args.no_postgres)
    print(report(results, args.concurrency))
    refused = {r.name: n for r in results if (n := sum(c for code, c in r.statuses.items() if code != 201))}
    if refused:
        # Figures of refused submissions say nothing about intake: no target is judged on them.
        print(f"\nnot every submission was accepted (201): {refused}; no target judged")
        return 1
    sqlite = next(r for r in results if "SQLite" in r.name)
    ok = sqlite.cpu_ms <= 1.5 and sqlite.p99_ms < 50
    print(f"\ntarget on SQLite (<= 1.5 ms server CPU per submission, p99 < 50 ms): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
