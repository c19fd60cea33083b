"""The field's own tools, driven by the fixtures in tests/support/, on synthetic data only."""

from __future__ import annotations

import pytest

from tests.support.pywb import pywb_replay  # noqa: F401 - a fixture, registered by being imported
from tests.support.synthetic import SyntheticCapture, write_synthetic_capture
from tests.support.threatexchange import threatexchange  # noqa: F401 - likewise


@pytest.fixture(scope="session")
def synthetic_capture(tmp_path_factory: pytest.TempPathFactory) -> SyntheticCapture:
    return write_synthetic_capture(tmp_path_factory.mktemp("capture"))
