"""What goes into the capture worker and what comes back (pydantic, JSON-serialisable both ways)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _http_proxy(value: str | None) -> str | None:
    """Scrapy speaks to HTTP proxies only (CONNECT for https); SOCKS would need another client."""
    if value is not None and not value.lower().startswith(("http://", "https://")):
        raise ValueError(f"egress proxy must be an http:// or https:// URL, not {value!r}")
    return value


ProxyUrl = Annotated[str | None, AfterValidator(_http_proxy)]
Outcome = Literal["ok", "refused", "failed"]
# A capture's outcome adds "http-error": the site answered, with a final status other than 2xx.
CaptureOutcome = Literal["ok", "http-error", "refused", "failed"]
ResourceKind = Literal["page", "image", "video", "other"]
# "auto": Scrapy, then the browser when the page has a script and fewer images than the options say.
EngineChoice = Literal["auto", "scrapy", "browser"]
Engine = Literal["scrapy", "browser"]
DEFAULT_BROWSER = Path("/usr/bin/chromium")

DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
DEFAULT_CONTENT_TYPES = [
    "text/html",
    "application/xhtml+xml",
    "text/plain",
    "image/*",
    "video/*",
]


class CaptureOptions(BaseModel):
    """Settings for one batch of captures (the worker gets them on stdin, never in argv/env)."""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    evidence_dir: Path
    master_key: bytes = Field(repr=False)
    dns_nameservers: list[str] = Field(default_factory=list, description='"host" or "host:port"')
    user_agent: str = DEFAULT_USER_AGENT
    accept_language: str = "ro-RO,ro;q=0.9,en;q=0.8"
    egress_proxy: ProxyUrl = None
    allow_private: list[str] = Field(default_factory=list, description="CIDRs opened on purpose")
    # Safety net for tests and locked-down hosts: when set, direct (non-proxy) connections may only go
    # to these networks, whatever the rest of the policy says.
    direct_connect_only: list[str] = Field(default_factory=list)
    # Through an HTTP proxy the request line carries the host name and the proxy resolves it (RFC 9112:
    # a proxy takes the host from the request line, so an address there would fetch the wrong virtual
    # host). Opt in only for a proxy known to honour Host with an address in the request line: the
    # checked address then goes in the request line, so the proxy cannot resolve the name differently.
    pin_through_proxy: bool = False
    max_bytes: int = 50_000_000
    max_seconds: float = 30.0
    max_redirects: int = 10
    max_resources: int = 200
    allowed_content_types: list[str] = Field(default_factory=lambda: list(DEFAULT_CONTENT_TYPES))
    dns_timeout: float = 5.0
    concurrent_requests: int = 32
    # Politeness towards one host (a download slot per host name): at most this many requests at once, and
    # with a delay, requests to a host start at least that many seconds apart (Scrapy's DOWNLOAD_DELAY).
    concurrent_per_host: int | None = Field(default=None, ge=1, description="None: concurrent_requests")
    download_delay: float = Field(default=0.0, ge=0.0)
    # Browser capture (browser.py): automatic when the static capture finds a script and fewer images than
    # this (0: never automatic); always through the egress proxy.
    browser_below_images: int = 1
    browser_executable: Path = DEFAULT_BROWSER
    browser_sandbox: bool = True  # only a process running as root (tests) may turn it off
    browser_concurrency: int = Field(default=2, ge=1)
    # The worker logs to stderr like the process that started it (HOTLINE_LOG_LEVEL, HOTLINE_LOG_FORMAT).
    log_level: str = "INFO"
    log_format: str = "text"


class CaptureJob(BaseModel):
    job_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
    url: str
    referer: str | None = None
    user_agent: str | None = None
    accept_language: str | None = None
    egress_proxy: ProxyUrl = None
    references: list[str] = Field(default_factory=list, description="reports the capture is evidence for")
    engine: EngineChoice = "auto"
    # Discovery: return the page's links to hosts within this registrable domain (and do not follow the
    # page's own redirects out of it). None: an ordinary capture, no links.
    links_within: str | None = None


class Hop(BaseModel):
    url: str
    status: int | None = None
    ip: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    elapsed_ms: float | None = None
    started_at: datetime | None = None
    via_proxy: bool = False


class Resource(BaseModel):
    url: str
    kind: ResourceKind
    final_url: str | None = None
    status: int | None = None
    content_type: str | None = None
    size: int | None = None
    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    ip: str | None = None
    outcome: Outcome = "ok"
    reason: str | None = None
    blob: str | None = Field(default=None, description="sha256 key in the evidence blob store")
    hops: list[Hop] = Field(default_factory=list)


class CaptureResult(BaseModel):
    job_id: str
    url: str
    outcome: CaptureOutcome
    reason: str | None = None
    hops: list[Hop] = Field(default_factory=list)
    final_url: str | None = None
    status: int | None = None
    content_type: str | None = None
    tls: dict[str, str] | None = None
    page: Resource | None = None
    resources: list[Resource] = Field(default_factory=list)
    resources_skipped: int = 0
    warc: str | None = Field(default=None, description="path relative to evidence_dir")
    engine: Engine = "scrapy"
    screenshot_sha256: str | None = None  # a browser capture's full-page screenshot (a resource in the WARC)
    notes: list[str] = Field(default_factory=list)  # how the capture went, e.g. why the browser was used
    links: list[str] = Field(default_factory=list)  # the page's links within job.links_within, when asked
    started_at: datetime
    finished_at: datetime
