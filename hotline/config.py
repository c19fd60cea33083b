"""Settings: defaults < TOML file (--config or HOTLINE_CONFIG) < HOTLINE_* environment variables.

Everything a test needs to point at loopback is a setting, so the same code runs on the synthetic
internet, a laptop and a cluster.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

_config_file: Path | None = None


class SettingsError(Exception):
    """A setting has a bad value; the message is one line naming it."""


def _split_list(value: Any) -> Any:
    # Lists come from the environment as "a,b" (or JSON); from TOML as real lists.
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


class _CommaListEnv(EnvSettingsSource):
    def prepare_field_value(self, field_name: str, field: Any, value: Any, value_is_complex: bool) -> Any:
        if isinstance(value, str) and field_name in _LIST_FIELDS:
            return _split_list(value)
        return super().prepare_field_value(field_name, field, value, value_is_complex)

    def decode_complex_value(self, field_name: str, field: Any, value: Any) -> Any:
        if field_name in _LIST_FIELDS:
            return _split_list(value)
        return super().decode_complex_value(field_name, field, value)


class _TomlSource(PydanticBaseSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], path: Path | None):
        super().__init__(settings_cls)
        self.data: dict[str, Any] = {}
        if path is not None:
            try:
                with path.open("rb") as fh:
                    raw = tomllib.load(fh)
            except FileNotFoundError:
                raise SettingsError(f"config file {path} does not exist") from None
            except tomllib.TOMLDecodeError as exc:
                raise SettingsError(f"config file {path} is not valid TOML: {exc}") from None
            # Accept both a flat file and one under a [hotline] table.
            self.data = dict(raw.get("hotline", raw))

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self.data.items() if k in self.settings_cls.model_fields}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    data_dir: Path = Path("./var")
    database_url: str | None = None
    broker_url: str | None = None

    dns_nameservers: list[str] = Field(default_factory=list)
    rdap_url: str | None = None
    rdap_cache_ttl_seconds: int = 7 * 24 * 3600
    geoip_mmdb: Path | None = None

    egress_proxy: str | None = None
    # Opt-in, only for a proxy known to honour Host with an address in the request line (see CaptureOptions).
    capture_pin_through_proxy: bool = False
    allow_private: list[str] = Field(default_factory=list)
    # Safety net for tests and labs: when set, direct (non-proxied) connections may only go here.
    direct_connect_only: list[str] = Field(default_factory=list)
    capture_user_agent: str = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/130.0 Safari/537.36"
    )
    capture_accept_language: str = "ro-RO,ro;q=0.9,en;q=0.8"
    capture_max_bytes: int = 50_000_000
    capture_max_seconds: float = 60.0
    capture_max_redirects: int = 10
    capture_max_resources: int = 200
    # Politeness per host: requests at once, and seconds between the starts of two requests to one host.
    capture_concurrent_per_host: int = Field(default=32, ge=1)
    capture_download_delay: float = Field(default=0.0, ge=0.0)
    capture_dedup_hours: float = 24.0
    # Browser capture (always through the egress proxy): chosen by itself when the static capture finds a
    # script and fewer media than this (0: only when asked for); Debian's Chromium; pages at once.
    capture_browser_below_images: int = 1
    capture_browser_executable: Path = Path("/usr/bin/chromium")
    capture_browser_sandbox: bool = True  # only a process running as root (tests) may turn it off
    capture_browser_concurrency: int = 2
    master_key: str | None = None  # base64; several separated by commas, the current first (hotline.sealing.keyring)
    # Proactive discovery (hotline.pipeline.discovery): off unless the deployment turns it on; crawls then
    # start for confirmed URLs whose routing rule or auto-forward policy says `discover = true`.
    discovery_enabled: bool = False
    discovery_max_depth: int = Field(default=2, ge=0, le=10)
    discovery_max_pages: int = Field(default=200, ge=1)
    discovery_max_bytes: int = Field(default=500_000_000, ge=1)
    discovery_max_seconds: float = Field(default=1800.0, gt=0)
    discovery_per_host_rate: float = Field(default=1.0, gt=0, le=50)  # requests per second to one host
    discovery_batch: int = Field(default=20, ge=1)  # pages handed to one capture worker at a time
    discovery_retention_days: float = Field(default=7.0, gt=0)  # crawl records of pages without matches

    # Automatic evidence retention (off unless set): purge hourly what `hotline evidence purge` would.
    retention_days: float | None = None
    retention_states: list[str] = Field(default_factory=lambda: ["removed", "closed"])

    # Mailbox intake (hotline/mailbox/): imap://user@host:port/FOLDER or imaps://...; off unless set.
    mailbox: str | None = None
    mailbox_password: str | None = None
    mailbox_password_file: Path | None = None  # instead of the password itself (a secret mounted as a file)
    mailbox_processed_folder: str = "Processed"  # where each message goes once its report is stored
    mailbox_poll_seconds: float = 60.0
    mailbox_keep_sender: bool = False  # keep the sender's address with the report (contact data)
    mailbox_acknowledge: bool = False  # answer each mail with its reference (the address is used once)

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_sender: str = "hotline@localhost"
    smtp_tls: str = "opportunistic"  # opportunistic | required | implicit | off

    # Who we are, in notices and X-ARF reports.
    organisation: str = "Hotline"
    organisation_contact: str = "hotline@localhost"
    organisation_domain: str = "localhost"
    sender_id: str = "hotline"  # our id in partner payloads

    forward_retry_base_seconds: float = 30.0
    forward_retry_cap_seconds: float = 6 * 3600
    forward_max_age_hours: float = 72.0
    forward_rate_per_second: float = 1.0  # per destination
    forward_rate_burst: int = 5
    # Takedown monitoring: checks after the first forward, then daily; re-notices when content stays up.
    monitor_first_checks_hours: list[float] = Field(default_factory=lambda: [1.0, 6.0, 24.0])
    monitor_daily_until_days: float = 30.0
    monitor_unreachable_checks: int = 3
    monitor_renotice_after_hours: float = 24.0
    monitor_renotice_kinds: list[str] = Field(
        default_factory=lambda: ["hotline", "hosting-provider", "platform", "cdn"]
    )
    monitor_renotice_send_kinds: list[str] = Field(default_factory=list)  # sent, not only proposed
    monitor_batch_size: int = 50

    # Scale-out executor (Celery), used when broker_url is set.
    result_backend: str | None = None  # redis:// only; task results are off by default
    task_batch: int = 50
    task_max_retries: int = 3
    dispatch_seconds: float = 5.0
    task_time_limit: float = 3600.0
    queue_prefix: str = ""  # lets several instances share one broker

    cli_user: str = "system"  # the account CLI triage acts as without --as
    lease_seconds: float = 600.0  # how long a worker may hold a row before others may take it

    rules_file: Path | None = None  # None: the shipped Romanian rule set
    directory_files: list[Path] = Field(default_factory=list)
    # A hotline's own CDN and platform lists, merged over the shipped ones (hotline/datafiles.py).
    cdn_files: list[Path] = Field(default_factory=list)
    platform_files: list[Path] = Field(default_factory=list)
    own_country: str = "RO"

    # Audit anchors (hotline.audit.anchors): the chain's head written outside the database.
    audit_anchor_file: Path | None = None  # None: <data dir>/audit-anchors.jsonl
    audit_anchor_syslog: str | None = None  # /dev/log, udp://host:514 or tcp://host:514
    audit_anchor_url: str | None = None  # a partner or timestamping service that keeps each anchor
    audit_anchor_partner: str | None = None  # signs the POST with this partner's outbound credentials
    audit_anchor_seconds: float = 3600.0  # how often the background job anchors (0: only by hand)

    # Workspace logins (hotline.auth.sessions, hotline.auth.throttle).
    session_idle_minutes: float = 30.0  # a session nobody used for this long ends
    session_max_hours: float = 12.0  # and every session ends this long after its login
    totp_required_roles: list[str] = Field(default_factory=lambda: ["supervisor", "admin"])

    host: str = "127.0.0.1"
    port: int = 8000
    # Reverse proxies whose X-Forwarded-For is believed (else every reporter shares the proxy's address).
    trusted_proxies: list[str] = Field(default_factory=list)
    secret_key: str | None = None

    # Operations (hotline/ops/): logs, probes and metrics.
    log_level: str = "INFO"  # DEBUG | INFO | WARNING | ERROR
    log_format: str = "text"  # text | json (one object per line)
    metrics_token: str | None = None  # Bearer token /metrics asks for; without one the app does not serve it
    metrics_host: str = "127.0.0.1"  # the admin listener (/metrics, /healthz, /readyz) of serve, worker, scheduler
    metrics_port: int | None = None  # None: no admin listener
    capture_check_seconds: float = 300.0  # how often readiness re-checks that a capture worker starts

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"{value!r} is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return value.upper()

    @field_validator("log_format")
    @classmethod
    def _check_log_format(cls, value: str) -> str:
        if value.lower() not in ("text", "json"):
            raise ValueError(f"{value!r} is not text or json")
        return value.lower()

    @field_validator("metrics_token")
    @classmethod
    def _check_token(cls, value: str | None) -> str | None:
        if not value:
            return None
        if len(value) < 16:
            raise ValueError("it must be at least 16 characters (e.g. from `openssl rand -hex 32`)")
        return value

    @field_validator("mailbox")
    @classmethod
    def _check_mailbox(cls, value: str | None) -> str | None:
        if not value:
            return None
        from urllib.parse import urlsplit

        parts = urlsplit(value.strip())
        if parts.scheme not in ("imap", "imaps"):
            raise ValueError(f"{value!r} must start with imap:// or imaps://")
        if not parts.username or not parts.hostname:
            raise ValueError(f"{value!r} must name a user and a host: imap://user@host:port/FOLDER")
        if parts.password is not None:
            raise ValueError("keep the password out of it: set HOTLINE_MAILBOX_PASSWORD or HOTLINE_MAILBOX_PASSWORD_FILE")
        try:
            _ = parts.port
        except ValueError:
            raise ValueError(f"{value!r} has a port that is not a number from 1 to 65535") from None
        return value.strip()

    @field_validator("capture_check_seconds", "mailbox_poll_seconds")
    @classmethod
    def _check_positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("it must be greater than 0")
        return value

    @field_validator("metrics_port")
    @classmethod
    def _check_port(cls, value: int | None) -> int | None:
        if value is not None and not 0 <= value < 65536:
            raise ValueError(f"{value} is not a port number from 0 to 65535")
        return value

    @field_validator("dns_nameservers")
    @classmethod
    def _check_nameservers(cls, value: list[str]) -> list[str]:
        for entry in value:
            parse_nameserver(entry)
        return value

    @field_validator("allow_private", "direct_connect_only")
    @classmethod
    def _check_cidrs(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not a CIDR network such as 127.0.0.0/8") from None
        return value

    @field_validator("retention_days")
    @classmethod
    def _check_retention_days(cls, value: float | None) -> float | None:
        if value is not None and value < 1:
            raise ValueError("must be at least 1 (days), or unset to keep evidence")
        return value

    @field_validator("retention_states")
    @classmethod
    def _check_retention_states(cls, value: list[str]) -> list[str]:
        purgeable = {"removed", "closed", "refused"}  # hotline.evidence.retention.PURGEABLE_STATES
        for entry in value:
            if entry not in purgeable:
                raise ValueError(f"{entry!r} is not one of {', '.join(sorted(purgeable))}")
        return value

    @field_validator("totp_required_roles")
    @classmethod
    def _check_roles(cls, value: list[str]) -> list[str]:
        for entry in value:
            if entry not in ("analyst", "supervisor", "admin"):
                raise ValueError(f"{entry!r} is not one of analyst, supervisor, admin")
        return value

    @field_validator("session_idle_minutes", "session_max_hours")
    @classmethod
    def _check_session_times(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("it must be greater than 0")
        return value

    @field_validator("egress_proxy", "rdap_url", "audit_anchor_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://", "socks5://", "socks5h://")):
            raise ValueError(f"{value!r} must be an http:// or https:// URL")
        return value

    @property
    def database(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'hotline.sqlite3').resolve()}"

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = _config_file or (Path(os.environ["HOTLINE_CONFIG"]) if os.environ.get("HOTLINE_CONFIG") else None)
        return (init_settings, _CommaListEnv(settings_cls), _TomlSource(settings_cls, path))


def parse_nameserver(entry: str) -> tuple[str, int]:
    """'1.2.3.4:53', '[::1]:5353', '::1' or '1.2.3.4' -> (ip, port)."""
    text = entry.strip()
    host, port = text, "53"
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":") or "53"
    elif text.count(":") == 1:
        host, port = text.split(":")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{entry!r} is not an IP address with an optional :port") from None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{entry!r} has a port that is not a number from 1 to 65535")
    return host, int(port)


_LIST_FIELDS = {
    "dns_nameservers",
    "allow_private",
    "direct_connect_only",
    "directory_files",
    "cdn_files",
    "platform_files",
    "trusted_proxies",
    "monitor_first_checks_hours",
    "monitor_renotice_kinds",
    "monitor_renotice_send_kinds",
    "retention_states",
    "totp_required_roles",
}


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings, turning validation failures into one line that names the setting."""
    global _config_file
    _config_file = config_file
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "?"
        message = first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"setting HOTLINE_{name.upper()} is invalid: {message}") from None
    finally:
        _config_file = None
