"""RDAP server of the synthetic internet: /ip/<address>, /autnum/<n>, /entity/<handle>.

Answers for the networks in networks.py in their registry's style (rdap_json.py), 404 with an RDAP
error for anything else. Tests can serve raw JSON for an address or CIDR (e.g. real registry samples),
count queries (cache tests), switch on rate limiting (429 with Retry-After) or slow answers (timeouts).
"""

from __future__ import annotations

import ipaddress
import json
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any

from hotline.synthnet.networks import NETWORKS, IPNetwork, Network, find_network
from hotline.synthnet.rdap_json import all_entities, autnum_document, error_document, ip_network_document
from hotline.synthnet.server import ServerThread, TrackingHTTPServer

CONTENT_TYPE = "application/rdap+json"


class RdapData:
    """What the RDAP server knows and has been asked; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._raw: list[tuple[IPNetwork, dict[str, Any]]] = []
        self._rate_limited = 0
        self._slow, self.slow_seconds = 0, 0.0
        self.retry_after = 1
        self.base_url = "http://127.0.0.1/"  # set by RdapServer once its port is known (for self links)
        self.queries: list[str] = []  # request paths, in order

    def serve_raw(self, address_or_cidr: str, document: dict[str, Any]) -> None:
        """Answer /ip/<a> with `document` for every a in the CIDR (most specific raw entry wins)."""
        with self._lock:
            self._raw.append((ipaddress.ip_network(address_or_cidr, strict=False), document))

    def slow_down(self, requests: int, seconds: float) -> None:
        """The next `requests` queries are answered only after `seconds` (client timeout tests)."""
        with self._lock:
            self._slow, self.slow_seconds = requests, seconds

    def take_delay(self) -> float:
        with self._lock:
            if self._slow <= 0:
                return 0.0
            self._slow -= 1
            return self.slow_seconds

    def rate_limit(self, requests: int, retry_after: int = 1) -> None:
        """The next `requests` queries get 429 Too Many Requests with Retry-After."""
        with self._lock:
            self._rate_limited, self.retry_after = requests, retry_after

    @property
    def ip_queries(self) -> int:
        return sum(path.startswith("/ip/") for path in self.queries)

    def answer(self, path: str, base_url: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            self.queries.append(path)
            if self._rate_limited > 0:
                self._rate_limited -= 1
                return 429, error_document(429, "Too Many Requests"), {"Retry-After": str(self.retry_after)}
        kind, _, value = path.strip("/").partition("/")
        try:
            document = {"ip": self._ip, "autnum": self._autnum, "entity": self._entity}[kind](value, base_url)
        except (KeyError, ValueError):
            document = None
        if document is None:
            return 404, error_document(404, "Not Found"), {}
        return 200, document, {}

    def _ip(self, value: str, base_url: str) -> dict[str, Any] | None:
        address = ipaddress.ip_address(value.split("/", 1)[0])
        with self._lock:
            raw = [(net, doc) for net, doc in self._raw if net.version == address.version and address in net]
        if raw:
            return max(raw, key=lambda entry: entry[0].prefixlen)[1]
        network = find_network(str(address))
        return ip_network_document(network, str(address), f"{base_url}ip/{address}") if network else None

    @staticmethod
    def _autnum(value: str, base_url: str) -> dict[str, Any] | None:
        number = int(value.upper().removeprefix("AS"))
        network = next((n for n in NETWORKS if n.asn == number), None)
        return autnum_document(network, f"{base_url}autnum/{number}") if network else None

    @staticmethod
    def _entity(value: str, base_url: str) -> dict[str, Any] | None:
        for network in NETWORKS:
            for found in all_entities(network):
                if found["handle"].upper() == value.upper():
                    return found
        return None


class RdapHandler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True  # header and body go out in separate writes: no 40 ms stalls
    protocol_version = "HTTP/1.1"
    server_version = "synthnet-rdap"

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: object) -> None:
        """Quiet, like the farm."""

    def do_GET(self) -> None:
        data: RdapData = self.server.context["data"]  # type: ignore[attr-defined]
        delay = data.take_delay()
        if delay and self.server.stopping.wait(delay):  # type: ignore[attr-defined]
            return  # the net is stopping: no answer
        status, document, headers = data.answer(self.path.split("?", 1)[0], data.base_url)
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class RdapServer:
    def __init__(self, address: str = "127.0.0.1") -> None:
        self.data = RdapData()
        self._server = ServerThread(TrackingHTTPServer((address, 0), RdapHandler, data=self.data),
                                    name="synthnet-rdap")
        self.data.base_url = self.url

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}/"

    def start(self) -> RdapServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()


__all__ = ["Network", "RdapData", "RdapServer"]
