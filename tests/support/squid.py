"""A real Squid (Debian's /usr/sbin/squid, installed by `make squid`) on a loopback port, for tests.

    with Squid(hosts={"site-a.hotline.test": "127.0.0.1"}, rules=["http_access allow all"]) as squid:
        requests.get(url, proxies={"http": squid.url, "https": squid.url})
        squid.wait_for(lambda r: r.url.startswith("http://site-a.hotline.test"))

What start() guarantees, or it raises SquidFailed with one line saying what to do:
- the generated config passes `squid -k parse`;
- Squid listens on 127.0.0.1:`port` (a free port; retried if another process takes it first);
- Squid resolves names from the generated `hosts_file`: a probe request for a name only that file
  knows reaches a probe server on loopback. `dns_nameservers` takes no port, so a hosts file is the
  only way to point names at loopback; if Squid cannot read it (it reads it as user `proxy` after
  dropping root) it would silently ask the system resolver instead.

Safety: whatever the caller's rules say, Squid refuses any destination outside loopback (a rule placed
before them), and names missing from the hosts file go to a nameserver on 127.0.0.1, so nothing leaves
the machine. Query strings stay out of the access log (`strip_query_terms on`).

`config=` runs a whole configuration instead of `rules` (the product's, from `hotline egress
squid-config`): the safety rule still comes first and this Squid's own files, hosts_file and
nameserver come last, so they win.

Files live in a dedicated directory under /tmp (mode 0755, owned by `proxy` when running as root):
pytest's own temporary directories are 0700 root, which Squid's `proxy` user cannot traverse.
"""

from __future__ import annotations

import http.client
import os
import pwd
import re
import secrets
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from support.daemon import ManagedDaemon
from support.vhosts import VirtualHosts

SQUID = Path("/usr/sbin/squid")
INSTALL_HINT = "run `make squid` (a step of `make test`), which installs Debian's squid package"
PROBE_NAME = "squid-probe.hotline.test"
READY_LINE = "Accepting HTTP Socket connections at"
PORT_TAKEN = "Address already in use"
SQUID_USER = "proxy"  # Debian's cache_effective_user: Squid drops root to it

# Fields separated by single spaces, the URL last (it is the only field that may hold odd characters).
LOG_FORMAT = "%ts.%03tu %>a %rm %>Hs %Ss %Sh %<a %<p %ru"

# Where this Squid keeps its files and how it resolves names; last in the file, so they win over anything
# a product configuration says about the same single-valued directives.
FILES_CONFIG = """\
pid_filename {dir}/squid.pid
cache_log {dir}/cache.log
coredump_dir {dir}
hosts_file {dir}/hosts
# Names missing from hosts_file go to a nameserver on loopback (none listens): no query leaves the machine.
dns_nameservers 127.0.0.1
dns_timeout 1 seconds
dns_retransmit_interval 1 seconds
# No ICMP probes, no cache digests; stop at once on SIGTERM.
pinger_enable off
digest_generation off
shutdown_lifetime 0 seconds
"""

# First in the file, so nothing after it can open more: only loopback destinations, and the probe.
SAFETY_CONFIG = """\
acl hotline_loopback dst 127.0.0.0/8 ::1
http_access deny !hotline_loopback
acl hotline_probe dstdomain {probe_name}
acl hotline_probe_port port {probe_port}
http_access allow hotline_probe hotline_probe_port
"""

# The test's own listener and logs, when the test gives rules rather than a whole configuration.
STANDARD_CONFIG = """\
http_port 127.0.0.1:{port}
logformat hotline {log_format}
access_log stdio:{dir}/access.log logformat=hotline
strip_query_terms on
cache deny all
# A capture must not announce the proxy (or the client's address) to the site it fetches.
via off
forwarded_for delete
"""

# A product configuration (see `config=`) must log in this format to {dir}/access.log.
ProductConfig = Callable[[int, Path], str]  # (port, directory) -> squid.conf text with http_port, access_log


class SquidFailed(RuntimeError):
    """Squid is missing, would not start, or does not resolve names from its hosts file."""


@dataclass(frozen=True)
class AccessRecord:
    """One line of Squid's access log."""

    time: float
    client: str
    method: str
    status: int
    result: str  # TCP_MISS, TCP_TUNNEL, TCP_DENIED, NONE_NONE...
    hierarchy: str  # HIER_DIRECT when Squid connected to the origin, HIER_NONE when it did not
    peer: str | None  # the address Squid connected to
    peer_port: int | None
    url: str  # absolute URL, or host:port for CONNECT; query strings stripped

    @classmethod
    def parse(cls, line: str) -> AccessRecord:
        stamp, client, method, status, result, hierarchy, peer, port, url = line.rstrip("\n").split(" ", 8)
        return cls(float(stamp), client, method, int(status) if status.isdigit() else 0, result, hierarchy,
                   None if peer == "-" else peer, None if port == "-" else int(port), url)


class Squid(ManagedDaemon):
    def __init__(self, hosts: Mapping[str, str] | None = None, rules: Sequence[str] = ("http_access allow all",),
                 executable: Path = SQUID, hosts_file_mode: int = 0o644, start_seconds: float = 30.0,
                 config: ProductConfig | None = None) -> None:
        self.hosts = dict(hosts or {})
        self.rules = list(rules)
        self.product_config = config  # a whole configuration (the product's), instead of `rules`
        self.executable = executable
        self.hosts_file_mode = hosts_file_mode  # a test makes it unreadable to prove start() notices
        self.start_seconds = start_seconds
        self.directory = Path(tempfile.mkdtemp(prefix="hotline-squid-"))
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._baseline = 0  # access-log lines written by start()'s own probe

    # --- files -------------------------------------------------------------------------------------------

    @property
    def config_file(self) -> Path:
        return self.directory / "squid.conf"

    @property
    def hosts_file(self) -> Path:
        return self.directory / "hosts"

    @property
    def access_log(self) -> Path:
        return self.directory / "access.log"

    @property
    def cache_log(self) -> Path:
        return self.directory / "cache.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config_text(self, port: int, probe_port: int) -> str:
        values = {"port": port, "dir": self.directory, "log_format": LOG_FORMAT, "probe_name": PROBE_NAME,
                  "probe_port": probe_port}
        safety, files = SAFETY_CONFIG.format(**values), FILES_CONFIG.format(**values)
        header = "# Generated by tests/support/squid.py for one test run.\n"
        if self.product_config is not None:
            return header + safety + self.product_config(port, self.directory) + files
        rules = "\n".join([*self.rules, "http_access deny all"]) + "\n"
        return header + STANDARD_CONFIG.format(**values) + files + safety + "# Rules of the test:\n" + rules

    def _write_files(self, port: int, probe_port: int) -> None:
        self.directory.chmod(0o755)
        if os.geteuid() == 0:  # Squid writes its logs as `proxy` once it drops root
            user = pwd.getpwnam(SQUID_USER)
            os.chown(self.directory, user.pw_uid, user.pw_gid)
        lines = [f"{address} {name}" for name, address in {**self.hosts, PROBE_NAME: "127.0.0.1"}.items()]
        self.hosts_file.write_text("\n".join(lines) + "\n")
        self.hosts_file.chmod(self.hosts_file_mode)
        self.config_file.write_text(self.config_text(port, probe_port))
        self.config_file.chmod(0o644)

    def check_config(self) -> None:
        """`squid -k parse`: a generated config with a mistake fails here, before anything starts."""
        parsed = subprocess.run([str(self.executable), "-k", "parse", "-f", str(self.config_file)],
                                check=False, capture_output=True, text=True, timeout=30)
        problems = [line for line in parsed.stderr.splitlines() if re.search(r"FATAL|ERROR", line)]
        if parsed.returncode != 0 or problems:
            raise SquidFailed(f"squid -k parse rejected {self.config_file}: {' | '.join(problems[-3:])}")

    # --- life cycle --------------------------------------------------------------------------------------

    def start(self) -> Self:
        if not self.executable.exists():
            raise SquidFailed(f"Squid is not installed ({self.executable}): {INSTALL_HINT}")
        with VirtualHosts() as probe:
            token = secrets.token_hex(8)
            probe.add(PROBE_NAME, f"/{token}", token)
            for _attempt in range(5):
                self.port = _free_port()
                self._write_files(self.port, probe.port)
                self.check_config()
                if self._launch():
                    break
            else:
                raise SquidFailed(f"Squid found no free port on 127.0.0.1; see {self.cache_log}")
            try:
                self._prove_hosts_file(probe, token)
            except SquidFailed:
                self.stop()
                raise
        self._baseline = len(self.records(since=0))
        return self

    def _launch(self) -> bool:
        """Start Squid and wait until it accepts connections; False if its port was taken meanwhile."""
        self.cache_log.unlink(missing_ok=True)
        output = (self.directory / "squid.out").open("wb")
        self._process = subprocess.Popen([str(self.executable), "-N", "-f", str(self.config_file)],
                                         stdout=output, stderr=subprocess.STDOUT, cwd=self.directory,
                                         start_new_session=True)
        output.close()
        deadline = time.monotonic() + self.start_seconds
        while time.monotonic() < deadline:
            log = self.cache_log_text()
            if READY_LINE in log:
                return True
            try:
                self._process.wait(timeout=0.05)  # doubles as the pause between two looks at the log
            except subprocess.TimeoutExpired:
                continue
            if PORT_TAKEN in self.cache_log_text():
                return False
            raise SquidFailed(f"Squid exited with status {self._process.returncode} while starting: "
                              f"{self._last_lines()}")
        self.stop()
        raise SquidFailed(f"Squid did not accept connections within {self.start_seconds:.0f} s: {self._last_lines()}")

    def _prove_hosts_file(self, probe: VirtualHosts, token: str) -> None:
        unreadable = [line.split("| ", 1)[-1] for line in self.cache_log_text().splitlines()
                      if "parseEtcHosts" in line]
        if unreadable:  # the quick answer; the probe below is the proof
            self._refuse_hosts_file(unreadable[0])
        status, body = self._probe(f"http://{PROBE_NAME}:{probe.port}/{token}")
        if status != 200 or body != token or not probe.seen_by_path(f"/{token}"):
            self._refuse_hosts_file(f"a probe for {PROBE_NAME} got {status or body}, not the probe server")
        self.wait_for(lambda record: record.url.startswith(f"http://{PROBE_NAME}:"), since=0)

    def _refuse_hosts_file(self, detail: str) -> None:
        raise SquidFailed(f"Squid does not resolve names from its hosts_file {self.hosts_file} ({detail}): "
                          f"user {SQUID_USER} must be able to read it and traverse {self.directory}")

    def _probe(self, url: str) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            connection.request("GET", url)
            response = connection.getresponse()
            return response.status, response.read().decode(errors="replace")
        except OSError as error:
            return 0, str(error)
        finally:
            connection.close()


    # --- logs --------------------------------------------------------------------------------------------

    def cache_log_text(self) -> str:
        try:
            return self.cache_log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _last_lines(self) -> str:
        """The end of cache.log, or of Squid's own output when it died before opening its log."""
        output = self.directory / "squid.out"
        text = self.cache_log_text() or (output.read_text(errors="replace") if output.exists() else "")
        lines = [line.split("| ", 1)[-1] for line in text.splitlines() if line.strip()]
        return " | ".join(lines[-3:]) or f"nothing in {self.cache_log}"

    def mark(self) -> int:
        """A position in the access log: records(since=mark) lists what came after it."""
        return self._baseline + len(self.records())

    def records(self, since: int | None = None) -> list[AccessRecord]:
        """Access-log records, by default those after start()'s own probe."""
        try:
            lines = self.access_log.read_text().splitlines()
        except FileNotFoundError:
            return []
        return [AccessRecord.parse(line) for line in lines[self._baseline if since is None else since:] if line]

    def wait_for(self, predicate: Callable[[AccessRecord], bool], count: int = 1, since: int | None = None,
                 timeout: float = 10.0) -> list[AccessRecord]:
        """Records matching `predicate` once there are `count` of them. Squid logs a transaction when it
        ends (a CONNECT tunnel when it closes), so a record may come a moment after the response."""
        deadline = time.monotonic() + timeout
        while True:
            matching = [record for record in self.records(since) if predicate(record)]
            if len(matching) >= count or time.monotonic() > deadline:
                return matching
            time.sleep(0.02)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
