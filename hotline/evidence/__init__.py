"""Evidence at rest: encrypted WARC files and an encrypted content-addressed blob store."""

from hotline.evidence.crypto import (
    EvidenceCryptoError,
    generate_master_key,
    load_or_create_master_key,
)
from hotline.evidence.store import EvidenceNotFound, EvidenceStore

__all__ = [
    "EvidenceCryptoError",
    "EvidenceNotFound",
    "EvidenceStore",
    "generate_master_key",
    "load_or_create_master_key",
]
