"""The application object: settings, database and the services the stages share, built lazily."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from hotline.config import Settings, load_settings
from hotline.db import Database

if TYPE_CHECKING:
    from hotline.evidence import EvidenceStore


class Hotline:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or load_settings()
        self.db = Database(self.settings)

    def init(self) -> None:
        """Create or upgrade the data directory, the database and the evidence master key."""
        from hotline.evidence import load_or_create_master_key

        for sub in ("", "evidence", "index", "logs"):
            (self.settings.data_dir / sub).mkdir(parents=True, exist_ok=True)
        self.db.upgrade()
        if not self.settings.master_key:
            load_or_create_master_key(self.settings.data_dir)

    @functools.cached_property
    def master_key(self) -> bytes:
        from hotline.evidence import load_or_create_master_key, parse_master_key

        if self.settings.master_key:
            return parse_master_key(self.settings.master_key)
        return load_or_create_master_key(self.settings.data_dir)

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

        return EvidenceStore(self.settings.evidence_dir, self.master_key)

    def close(self) -> None:
        self.db.dispose()

    def __enter__(self) -> Hotline:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
