"""The lock files (requirements/*.txt, from `make lock`) agree with pyproject.toml: installs use them.

A dependency changed in pyproject.toml without `make lock` fails here, before an install quietly resolves
something else: each direct requirement must be in the lock at the version pyproject.toml pins, nothing may
stay in the lock as a direct requirement that pyproject.toml dropped, and every locked package has hashes.
"""

import json
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+) \\$")


def parse_lock(name: str) -> dict[str, dict]:
    """{package: {"version", "hashes", "via"}} from a lock file in pip's hash-checking format."""
    packages: dict[str, dict] = {}
    current: dict | None = None
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        if match := PIN.match(line):
            current = {"version": match.group(2), "hashes": [], "via": ""}
            packages[canonicalize_name(match.group(1))] = current
        elif line.strip().startswith("--hash=sha256:") and current is not None:
            current["hashes"].append(line.strip().split(":", 1)[1].rstrip(" \\"))
        elif line.strip().startswith("# via") and current is not None:
            current["via"] = line.strip()
        elif line.strip() and not line.startswith("#"):
            raise AssertionError(f"{name}: a line the lock format does not have: {line!r}")
    return packages


def direct(requirements: list[str]) -> dict[str, Requirement]:
    return {canonicalize_name(r.name): r for r in map(Requirement, requirements)}


RUNTIME = direct(PYPROJECT["project"]["dependencies"])
DEV = direct(PYPROJECT["project"]["optional-dependencies"]["dev"])
BUILD = direct(PYPROJECT["build-system"]["requires"])


def assert_agrees(lock: dict[str, dict], wanted: dict[str, Requirement], name: str) -> None:
    for package, requirement in wanted.items():
        assert package in lock, f"{package} is in pyproject.toml but not in {name}: run `make lock`"
        version = lock[package]["version"]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{name} has {package}=={version}, pyproject.toml wants {requirement.specifier}: run `make lock`"
        )
    for package, entry in lock.items():
        if "servicedesk (pyproject.toml)" in entry["via"]:
            assert package in wanted, f"{name} still locks {package} for pyproject.toml, which dropped it"


def test_production_lock_agrees_with_the_runtime_dependencies():
    assert_agrees(parse_lock("production.txt"), RUNTIME, "requirements/production.txt")


def test_dev_lock_agrees_with_every_dependency_and_the_build_backend():
    lock = parse_lock("dev.txt")
    assert_agrees(lock, {**RUNTIME, **DEV}, "requirements/dev.txt")
    for package, requirement in BUILD.items():
        assert requirement.specifier.contains(lock[package]["version"]), f"the build backend {package}"


def test_every_locked_package_has_hashes_and_both_locks_share_versions():
    production, dev = parse_lock("production.txt"), parse_lock("dev.txt")
    assert len(production) > len(RUNTIME), "indirect dependencies are locked too"
    for lock in (production, dev):
        for package, entry in lock.items():
            assert entry["hashes"], f"{package} has no hash"
            assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in entry["hashes"]), package
    for package, entry in production.items():
        assert dev[package]["version"] == entry["version"], f"{package}: the image and make install differ"


def test_the_installs_take_the_lock_with_hashes():
    install = (ROOT / "scripts" / "install.sh").read_text()
    assert "--require-hashes -r requirements/dev.txt" in install
    assert "--no-deps --no-build-isolation -e ." in install
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY requirements/production.txt" in dockerfile and "--require-hashes" in dockerfile
    assert "pyproject.toml" not in dockerfile.split("COPY . .")[0], (
        "the image installs the lock, not pyproject"
    )
    assert "scripts/lock.sh" in (ROOT / "Makefile").read_text()


def test_test_only_npm_packages_stay_out_of_the_image():
    package = json.loads((ROOT / "package.json").read_text())
    assert "axe-core" in package["devDependencies"] and "axe-core" not in package["dependencies"]
    assert "npm ci --omit=dev" in (ROOT / "Dockerfile").read_text()
