"""The code stays ruff-clean (lint and format), as STYLE.md asks."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.mark.parametrize("args", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff_is_clean(args):
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed (pip install '.[test]' brings it)")
    targets = [
        str(ROOT / d) for d in ("netviz", "tests", "benchmarks", "sample_data", "traces", "docs")
    ]
    ruff = [sys.executable, "-m", "ruff"]
    done = subprocess.run([*ruff, *args, *targets], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_package_folder_is_listed_for_installation():
    """pyproject lists packages by hand (sample_data is mapped in): a new folder must be added."""
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "netviz").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found <= listed, f"add to pyproject's packages: {sorted(found - listed)}"
    assert "netviz.sample_data" in listed
