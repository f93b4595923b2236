"""Layers stay apart and start-up stays light: checked in fresh interpreters."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("pandas", "matplotlib", "textual", "rich", "threadpoolctl")


def modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return {m.split(".")[0] for m in json.loads(done.stdout.splitlines()[-1])}


def test_core_imports_numpy_and_the_standard_library_only():
    loaded = modules_after(
        "import netviz.core.activations, netviz.core.network, netviz.core.steps, "
        "netviz.core.epoch, netviz.core.gradcheck, netviz.core.presets, netviz.core.walkthrough"
    )
    assert "numpy" in loaded
    at_start = modules_after("")  # site hooks, editable-install finders
    third_party = {m for m in loaded - at_start if m not in sys.stdlib_module_names}
    assert third_party <= {"netviz", "numpy"}, third_party - {"netviz", "numpy"}


@pytest.mark.parametrize(
    "code",
    [
        "import netviz.commands.cli; netviz.commands.cli.build_parser().format_help()",
        "import netviz.data, netviz.training.run, netviz.training.trainer",
        "import netviz.session.live, netviz.training.recording, netviz.trace, netviz.commands.tour",
    ],
    ids=["help", "data-run-training", "session-trace"],
)
def test_heavy_libraries_are_imported_only_where_used(code):
    loaded = modules_after(code)
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_textual_is_imported_only_under_netviz_tui():
    from pathlib import Path

    package = Path(__file__).parents[1] / "netviz"
    offenders = [
        str(p.relative_to(package.parent))
        for p in package.rglob("*.py")
        if "tui" not in p.relative_to(package).parts
        and any(
            line.strip().startswith(("import textual", "from textual"))
            for line in p.read_text().splitlines()
        )
    ]
    assert offenders == []
