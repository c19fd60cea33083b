"""Fixtures and builders for the rules tests (pure logic: no servers needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.rules import Directory, RuleSet, default_ruleset


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    return default_ruleset()


@pytest.fixture(scope="session")
def directory() -> Directory:
    return Directory.load()


@pytest.fixture
def write(tmp_path: Path):
    """write("name.toml", text) -> path of a file holding text."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write
