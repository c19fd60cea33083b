"""The lock files install what pyproject.toml asks for, with hashes, so every install is the same."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
LOCKS = REPO / "requirements"


def _pins(lock: Path) -> dict[str, Version]:
    text = lock.read_text(encoding="utf-8")
    pins = {canonicalize_name(name): Version(version)
            for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", text, re.MULTILINE)}
    # Every pinned requirement carries at least one hash (pip installs them with --require-hashes).
    entries = re.split(r"\n(?=[A-Za-z0-9_.\-]+==)", text)
    assert all("--hash=sha256:" in entry for entry in entries if re.match(r"[A-Za-z0-9_.\-]+==", entry))
    return pins


def _declared(*extras: str) -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = [Requirement(text) for text in project["dependencies"]]
    for extra in extras:
        found += [Requirement(text) for text in project["optional-dependencies"][extra]]
    return found


def _assert_locked(lock: str, requirements: list[Requirement]) -> None:
    pins = _pins(LOCKS / lock)
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is in pyproject.toml but not in {lock}: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), \
            f"{lock} pins {name}=={pins[name]}, outside pyproject's {requirement.specifier}: run `make lock`"


def test_the_run_lock_covers_the_runtime_and_scale_out_dependencies() -> None:
    _assert_locked("run.lock", _declared("scale"))


def test_the_dev_lock_covers_everything_and_agrees_with_the_other_locks() -> None:
    _assert_locked("dev.lock", _declared("scale", "dev"))
    dev = _pins(LOCKS / "dev.lock")
    for other in ("run.lock", "build.lock"):
        for name, version in _pins(LOCKS / other).items():
            if name in dev:
                assert dev[name] == version, f"{other} pins {name}=={version}, dev.lock {dev[name]}"


def test_the_build_lock_has_what_building_needs() -> None:
    build = _pins(LOCKS / "build.lock")
    system = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]["requires"]
    for text in [*system, "cython", "numpy"]:
        requirement = Requirement(text)
        assert canonicalize_name(requirement.name) in build
        assert requirement.specifier.contains(build[canonicalize_name(requirement.name)])
