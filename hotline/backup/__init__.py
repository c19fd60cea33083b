"""Backup and restore of a data dir: database, sealed evidence, and the keys kept apart.

    make_backup(app, out, keys_out=... | passphrase=...)     hotline.backup.make
    restore_backup(settings, source, keys_dir=... | passphrase=...)   hotline.backup.restore
"""

from hotline.backup.make import BackupResult, make_backup
from hotline.backup.manifest import BackupError
from hotline.backup.restore import RestoreResult, needs_passphrase, restore_backup

__all__ = ["BackupError", "BackupResult", "RestoreResult", "make_backup", "needs_passphrase", "restore_backup"]
