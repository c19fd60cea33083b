"""Fixtures for the capture tests: one synthetic internet, and a helper that runs a batch of captures.

Safety: every live capture either goes through the synthetic egress proxy (on loopback) or connects
directly with ``direct_connect_only`` limited to loopback, so nothing can leave the machine even if
the guard under test were wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hotline.capture.client import run_captures
from hotline.capture.models import CaptureJob, CaptureOptions, CaptureResult
from hotline.evidence import EvidenceStore, generate_master_key
from hotline.synthnet import SyntheticInternet

LOOPBACK_ONLY = ["127.0.0.0/8", "::1/128"]
SITE = "gallery.example-synth.ro"

Capture = Callable[..., dict[str, CaptureResult]]


@pytest.fixture(scope="session")
def net() -> Iterator[SyntheticInternet]:
    with SyntheticInternet() as internet:
        yield internet


@pytest.fixture(scope="session")
def master_key() -> bytes:
    return generate_master_key()


@pytest.fixture(scope="session")
def evidence_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("evidence")


@pytest.fixture(scope="session")
def store(evidence_dir: Path, master_key: bytes) -> EvidenceStore:
    return EvidenceStore(evidence_dir, master_key)


@pytest.fixture(scope="session")
def capture(net: SyntheticInternet, evidence_dir: Path, master_key: bytes) -> Capture:
    """capture([(job_id, url) or CaptureJob...], **options) -> {job_id: result}; proxy mode by default."""

    def run(jobs: list[Any], **overrides: Any) -> dict[str, CaptureResult]:
        settings: dict[str, Any] = {
            "evidence_dir": evidence_dir,
            "master_key": master_key,
            "dns_nameservers": [net.dns_nameserver],
            "egress_proxy": net.proxy_url,
            "direct_connect_only": LOOPBACK_ONLY,
            "max_seconds": 5,
        }
        settings.update(overrides)
        options = CaptureOptions(**settings)
        assert options.direct_connect_only == LOOPBACK_ONLY, "live tests must keep the loopback safety net"
        batch = [j if isinstance(j, CaptureJob) else CaptureJob(job_id=j[0], url=j[1]) for j in jobs]
        return {r.job_id: r for r in run_captures(batch, options)}

    return run
