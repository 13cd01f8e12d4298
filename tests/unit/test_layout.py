"""The code's layout holds: the runtime never reaches the tools and no import cycle comes back
(import-linter's contracts in .importlinter), every error Sluice raises is a SluiceError, and
every public module says what it exports."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sluice_tools

import sluice
from sluice.runtime.errors import SluiceError

ROOT = Path(__file__).resolve().parents[2]


def _modules():
    for package in (sluice, sluice_tools):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if info.name.endswith("__main__"):
                continue
            yield importlib.import_module(info.name)


def test_the_import_contracts_hold():
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is a test requirement (tests/requirements.txt)"
    result = subprocess.run([lint_imports, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "4 kept, 0 broken" in result.stdout


def test_every_error_sluice_defines_is_a_sluice_error():
    errors = {
        f"{module.__name__}.{name}"
        for module in _modules()
        for name, value in vars(module).items()
        if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == module.__name__
    }
    assert errors  # the walk found them
    assert sorted(e for e in errors if not issubclass(_resolve(e), SluiceError)) == []


def _resolve(path: str) -> type:
    module, name = path.rsplit(".", 1)
    value: type = getattr(importlib.import_module(module), name)
    return value


@pytest.mark.parametrize("package", [sluice, sluice_tools], ids=lambda p: p.__name__)
def test_every_public_module_declares_what_it_exports(package):
    missing, unknown = [], []
    for module in _modules():
        if not module.__name__.startswith(package.__name__ + ".") or module.__name__.rsplit(".", 1)[1].startswith("_"):
            continue
        if hasattr(module, "__path__"):
            continue  # a package's __init__: what it exports is its modules
        exported = getattr(module, "__all__", None)
        if exported is None:
            missing.append(module.__name__)
            continue
        unknown += [f"{module.__name__}.{name}" for name in exported if not hasattr(module, name)]
    assert (missing, unknown) == ([], [])
