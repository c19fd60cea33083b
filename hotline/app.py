"""The application object: settings, database and the services the stages share, built lazily."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self, TypeVar

from hotline.config import Settings, load_settings
from hotline.db import Database

if TYPE_CHECKING:
    from hotline.evidence import EvidenceStore
    from hotline.sealing.keyring import Keyring
    from hotline.vault import Vault

T = TypeVar("T")


class Hotline:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or load_settings()
        self.db = Database(self.settings)
        # Sessions know their app: the audit chain and sealed columns reach the vault through them.
        self.db.sessions.configure(info={"hotline": self})
        self._services: dict[Callable[..., Any], Any] = {}
        self._services_lock = threading.Lock()

    def service(self, factory: Callable[[Hotline], T]) -> T:
        """One instance per process of a service built from this app (a locator, a match index, ...)."""
        with self._services_lock:
            if factory not in self._services:
                self._services[factory] = factory(self)
            return self._services[factory]  # type: ignore[no-any-return]

    def init(self) -> None:
        """Create or upgrade the data directory, the database and the evidence master key; seal what an
        older version kept in the clear; owner-only modes on the data dir, whatever the umask was."""
        from hotline import audit
        from hotline.datadir import make_private, repair_modes
        from hotline.vault import ensure_column_key, seal_plain_columns

        for sub in ("", "evidence", "index", "logs"):
            make_private(self.settings.data_dir / sub)
        self.db.upgrade()
        _ = self.keyring  # creates keys/master.key in a new data dir (unless the keys are configured)
        with self.db.session() as session:
            ensure_column_key(session)
            audit.ensure_keyed(session)
            seal_plain_columns(session)
        repair_modes(self.settings)

    @functools.cached_property
    def vault(self) -> Vault:
        """The keys sealed by the master key and kept in the database (hotline.vault)."""
        from hotline.vault import Vault

        return Vault(self.keyring)

    @functools.cached_property
    def keyring(self) -> Keyring:
        """The master keys by id (HOTLINE_MASTER_KEY, else the data dir's keyring): see hotline.sealing.keyring."""
        from hotline.config import SettingsError
        from hotline.sealing.keyring import Keyring, KeyringError

        try:
            return Keyring.load(self.settings.data_dir, self.settings.master_key)
        except KeyringError as exc:
            raise SettingsError(str(exc)) from None

    @property
    def master_key(self) -> bytes:
        """The current master key: what new evidence is sealed under."""
        return self.keyring.current.secret

    @functools.cached_property
    def secret_key(self) -> bytes:
        """Signs session cookies and CSRF tokens; generated once into the data dir unless configured."""
        if self.settings.secret_key:
            return self.settings.secret_key.encode()
        path = self.settings.data_dir / "secret_key"
        if not path.exists():
            import secrets

            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip().encode()

    @functools.cached_property
    def evidence(self) -> EvidenceStore:
        from hotline.evidence import EvidenceStore

        return EvidenceStore(self.settings.evidence_dir, self.keyring)

    @functools.cached_property
    def ruleset(self) -> Any:
        from hotline.rules import default_ruleset, load_ruleset

        path = self.settings.rules_file
        return load_ruleset(path) if path else default_ruleset()

    @functools.cached_property
    def directory(self) -> Any:
        from hotline.outbox import CHANNELS
        from hotline.rules import Directory

        return Directory.load(self.settings.directory_files, channels=list(CHANNELS))

    def data_file_problems(self) -> list[str]:
        """Problems in the rule file and the data files a hotline adapts (directory, CDN and platform
        lists), one line each naming file and line; empty when all load. Long-running commands check
        this at start, so a mistake stops them at once instead of failing each URL later."""
        from hotline.datafiles import FileProblems
        from hotline.locate import CdnDirectory, PlatformDirectory

        problems: list[str] = []
        for load in (lambda: self.ruleset, lambda: self.directory,
                     lambda: CdnDirectory.load(self.settings.cdn_files),
                     lambda: PlatformDirectory.load(self.settings.platform_files)):
            try:
                load()
            except FileProblems as exc:
                problems += exc.problems
        return problems

    def capture_options(self) -> Any:
        """What the isolated capture process needs; it gets no database credentials."""
        from hotline.capture.models import CaptureOptions

        s = self.settings
        return CaptureOptions(
            evidence_dir=s.evidence_dir,
            master_key=self.master_key,
            dns_nameservers=s.dns_nameservers,
            user_agent=s.capture_user_agent,
            accept_language=s.capture_accept_language,
            egress_proxy=s.egress_proxy,
            pin_through_proxy=s.capture_pin_through_proxy,
            allow_private=s.allow_private,
            direct_connect_only=s.direct_connect_only,
            max_bytes=s.capture_max_bytes,
            max_seconds=s.capture_max_seconds,
            max_redirects=s.capture_max_redirects,
            max_resources=s.capture_max_resources,
            concurrent_per_host=s.capture_concurrent_per_host,
            download_delay=s.capture_download_delay,
            browser_below_images=s.capture_browser_below_images,
            browser_executable=s.capture_browser_executable,
            browser_sandbox=s.capture_browser_sandbox,
            browser_concurrency=s.capture_browser_concurrency,
            log_level=s.log_level,
            log_format=s.log_format,
        )

    def close(self) -> None:
        # Services holding processes or files (the hashing pool) release them now, not at interpreter exit,
        # where a pool's semaphores are left for Python's resource tracker to complain about.
        with self._services_lock:
            services, self._services = list(self._services.values()), {}
        for service in services:
            closing = getattr(service, "close", None)
            if callable(closing):
                closing()
        self.db.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
