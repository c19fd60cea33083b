"""Default sites of the synthetic internet (filled in below)."""

from __future__ import annotations

from typing import Any


def install_default_sites(net: Any) -> dict[str, str]:
    return {}
