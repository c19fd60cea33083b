"""pywb, the field's replay tool, serving WARCs on loopback for tests (its venv: .venv-tools/pywb).

`pywb_serving()` makes a collection in a work dir (`wb-manager init`, `wb-manager add` each WARC),
starts `wayback -b 127.0.0.1 -p PORT`, waits until it answers, yields a `Replay`, and stops it.
The `pywb_replay` fixture is a factory over it whose servers stop at the end of the session; a
conftest makes it available with `from tests.support.pywb import pywb_replay  # noqa: F401`.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.tools import free_port, run, tool_command, tool_env

STARTUP_SECONDS = 60.0
STOP_SECONDS = 10.0


@dataclass(frozen=True)
class Replay:
    """A running pywb: `base_url` (http://127.0.0.1:PORT) and the collection holding the WARCs."""

    base_url: str
    collection: str
    workdir: Path

    def url(self, target: str, timestamp: str, mode: str = "id_") -> str:
        """/<coll>/<timestamp><mode>/<url>; `id_` is the original bytes, not rewritten for the browser."""
        return f"{self.base_url}/{self.collection}/{timestamp}{mode}/{target}"

    def get(self, target: str, timestamp: str, mode: str = "id_") -> httpx.Response:
        with httpx.Client(trust_env=False, timeout=30) as client:
            return client.get(self.url(target, timestamp, mode))

    @property
    def index(self) -> str:
        """The collection's CDXJ index as pywb wrote it (which record it serves for a URL and date)."""
        return "".join(p.read_text() for p in sorted((self.workdir / "collections" / self.collection
                                                       / "indexes").glob("*.cdxj")))


def make_collection(workdir: Path, warcs: Sequence[Path], collection: str = "evidence") -> None:
    """`wb-manager init` then `wb-manager add` (copies each WARC into the collection and indexes it)."""
    env = tool_env(workdir)
    run([tool_command("pywb", "wb-manager"), "init", collection], cwd=workdir, env=env)
    for warc in warcs:
        run([tool_command("pywb", "wb-manager"), "add", collection, warc.resolve()], cwd=workdir, env=env)


@contextmanager
def pywb_serving(warcs: Sequence[Path], workdir: Path, collection: str = "evidence") -> Iterator[Replay]:
    """Serve `warcs` with pywb on a free loopback port until the block ends."""
    workdir.mkdir(parents=True, exist_ok=True)
    make_collection(workdir, warcs, collection)
    for _attempt in range(3):  # the free port may be taken between probing and binding it
        port = free_port()
        log = workdir / f"wayback-{port}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [str(tool_command("pywb", "wayback")), "-b", "127.0.0.1", "-p", str(port)],
                cwd=workdir, env=tool_env(workdir), stdout=sink, stderr=subprocess.STDOUT)
        try:
            base_url = f"http://127.0.0.1:{port}"
            if _wait_until_ready(process, base_url):
                yield Replay(base_url, collection, workdir)
                return
        finally:
            _stop(process)
    pytest.fail(f"wayback did not start on loopback; its log: {log.read_text(errors='replace')[-2000:]}",
                pytrace=False)


def _wait_until_ready(process: subprocess.Popen[bytes], base_url: str) -> bool:
    """True once pywb answers its home page; False if the process exits (e.g. port taken)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    with httpx.Client(trust_env=False, timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return False
            try:
                if client.get(base_url + "/").status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    pytest.fail(f"wayback did not answer at {base_url} within {STARTUP_SECONDS:.0f} s", pytrace=False)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_SECONDS)


PywbFactory = Callable[..., Replay]


@pytest.fixture(scope="session")
def pywb_replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PywbFactory]:
    """`pywb_replay(warc, ...)` serves the WARCs in a new collection; all servers stop after the session."""
    with ExitStack() as servers:
        def serve(*warcs: Path, collection: str = "evidence") -> Replay:
            return servers.enter_context(pywb_serving(warcs, tmp_path_factory.mktemp("pywb"), collection))

        yield serve
