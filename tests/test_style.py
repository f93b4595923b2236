"""The code stays ruff-clean (lint and format), as STYLE.md asks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.mark.parametrize("args", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff_is_clean(args):
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install '.[test]' brings it)")
    targets = [str(ROOT / d) for d in ("netviz", "tests", "benchmarks", "sample_data")]
    done = subprocess.run([ruff, *args, *targets], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
