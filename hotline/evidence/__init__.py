"""Evidence at rest: encrypted WARC files and an encrypted content-addressed blob store."""

from hotline.evidence.store import EvidenceIntegrityError, EvidenceNotFound, EvidenceStore
from hotline.sealing.envelope import (
    EvidenceCryptoError,
    generate_master_key,
    load_or_create_master_key,
)

__all__ = [
    "EvidenceCryptoError",
    "EvidenceIntegrityError",
    "EvidenceNotFound",
    "EvidenceStore",
    "generate_master_key",
    "load_or_create_master_key",
]
