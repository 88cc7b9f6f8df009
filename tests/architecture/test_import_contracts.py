"""The import-linter contracts of pyproject.toml: the code keeps them, and they would catch a
ground package that imports an app, a lower layer that imports a higher one, and a cycle."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = [
    "core",
    "escalation",
    "identity",
    "incidents",
    "surveys",
    "knowledge",
    "intake",
    "reporting",
    "portal",
    "servicedesk",
    "demo",
    "learning",
    "live",
    "profiles",
    "toolkit",
    "meetings",
    "staffing",
    "operations",
    "previews",
    "history",
]


def _run(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def _modules_named(contracts: list[dict[str, Any]]) -> set[str]:
    """The modules below the root packages that the contracts name (the sub-packages of
    ``incidents``, and the layers of a contract with containers): the stub project needs them."""
    named: set[str] = set()
    for contract in contracts:
        named.update(m for m in contract.get("ancestors", []) if "." in m)
        for container in contract.get("containers", []):
            for layer in contract.get("layers", []):
                for tail in re.split(r"[|:]", layer):
                    tail = tail.strip()
                    if tail and not tail.startswith("("):
                        named.add(f"{container}.{tail}")
    return named


def _stub(root: Path, module: str) -> None:
    """An empty package for ``module`` and its parents."""
    path = root
    for part in module.split("."):
        path = path / part
        path.mkdir(exist_ok=True)
        if not (path / "__init__.py").exists():
            (path / "__init__.py").write_text("")


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    """A throwaway project with the real contracts and stub packages of the same names."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contracts = []
    for contract in config["contracts"]:
        contract = {k: v for k, v in contract.items() if k != "ignore_imports"}
        contracts.append(contract)
    lines = [f"[tool.importlinter]\nroot_packages = {PACKAGES!r}\n".replace("'", '"')]
    for contract in contracts:
        lines.append("[[tool.importlinter.contracts]]")
        for key, value in contract.items():
            lines.append(f"{key} = {value!r}".replace("'", '"'))
    (tmp_path / "pyproject.toml").write_text("\n".join(lines) + "\n")
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    for module in _modules_named(contracts):
        _stub(tmp_path, module)
    for path, text in files.items():
        (tmp_path / path).write_text(text)
    return tmp_path


def test_the_code_keeps_the_contracts() -> None:
    result = _run(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


def test_a_stub_project_keeps_them_too(tmp_path: Path) -> None:
    """The control case: the copies below break only because of the one import they add."""
    project = _project(tmp_path, {"incidents/a.py": "import escalation\nimport core\n"})
    result = _run(project)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "path, text",
    [
        ("core/bad.py", "import escalation\n"),  # the ground package imports an app
        ("escalation/bad.py", "def f():\n    import incidents\n"),  # hidden in a function: still counts
        ("incidents/bad.py", "import surveys\n"),
        ("incidents/bad.py", "import knowledge\n"),
        ("knowledge/bad.py", "import surveys\n"),  # siblings stay independent
        ("knowledge/bad.py", "import reporting\n"),
        ("surveys/bad.py", "import reporting\n"),
        ("incidents/bad.py", "import intake\n"),
        ("intake/bad.py", "import surveys\n"),  # siblings stay independent
        ("reporting/bad.py", "import servicedesk\n"),
        ("surveys/bad.py", "import portal\n"),
        ("portal/bad.py", "import reporting\n"),  # siblings stay independent
        ("demo/bad.py", "import servicedesk\n"),  # the glue's two halves stay independent
        ("incidents/bad.py", "import learning\n"),
        ("learning/bad.py", "import knowledge\n"),  # siblings stay independent
        ("learning/bad.py", "import reporting\n"),
        # inside incidents: a model importing a service, a service importing a page, the clocks the sweep
        ("incidents/records/models/bad.py", "import incidents.records.services\n"),
        ("incidents/records/services/bad.py", "import incidents.records.views\n"),
        ("incidents/sla/clocks/bad.py", "import incidents.sla.sweep\n"),
        ("incidents/notifications/delivery/bad.py", "import incidents.major.notifications\n"),
    ],
)
def test_a_lower_layer_importing_a_higher_one_breaks_the_layers(tmp_path: Path, path: str, text: str) -> None:
    result = _run(_project(tmp_path, {path: text}))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout


def test_a_cycle_inside_a_package_breaks_the_acyclic_contract(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        {
            "incidents/records/a.py": "from incidents.records import b\n",
            "incidents/records/b.py": "def f():\n    from incidents.records import a\n",
        },
    )
    result = _run(project)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "No cycles are allowed in incidents.records" in result.stdout
