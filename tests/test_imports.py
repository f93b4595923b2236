"""Layers stay apart and start-up stays light: checked in fresh interpreters."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

HEAVY = ("pandas", "matplotlib", "textual", "rich", "threadpoolctl")


def modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return {m.split(".")[0] for m in json.loads(done.stdout.splitlines()[-1])}


def test_core_imports_numpy_and_the_standard_library_only():
    loaded = modules_after(
        "import netviz.core.activations, netviz.core.network, netviz.core.steps, "
        "netviz.core.epoch, netviz.core.gradcheck, netviz.core.presets, netviz.core.walkthrough, "
        "netviz.core.saliency"
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
            re.match(r"(import|from) textual(\.|\s|$)", line.strip())
            for line in p.read_text().splitlines()
        )
    ]
    assert offenders == []


# --- the architecture, by package --------------------------------------------------------------
# Which netviz package may import which (imports inside functions and under TYPE_CHECKING count).
# Lowest first: the math knows nothing of storage or UI, the trace store nothing of training or
# the UI, and the UI reaches computation and storage only through the session.
BASE = {"errors": set(), "safe": set(), "numbers": {"core"}, "files": {"errors"}}  # loose modules
LAYERS: dict[str, set[str]] = {
    "core": set(),
    "data": {"core"},
    "trace": {"core"},
    "debug": {"core"},
    "check": {"core", "debug", "trace"},
    "lessons": {"core", "debug", "trace"},
    "training": {"core", "data", "trace"},
    "export": {"core", "data", "trace", "debug"},
    "session": {"core", "data", "trace", "debug", "training", "export"},
    "tui": {"core", "debug", "lessons", "session"},
    "commands": {
        "core",
        "data",
        "trace",
        "debug",
        "check",
        "lessons",
        "training",
        "export",
        "session",
        "tui",
    },
}
PACKAGE = Path(__file__).parents[1] / "netviz"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Every netviz module and the netviz modules it imports, anywhere in its text."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    found: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found[name] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                tail = [node.module] if node.module else []
                target = ".".join([*base, *tail]) if node.level else node.module or ""
                if target.startswith("netviz"):
                    for alias in node.names:  # "from . import x" names a module when x is one
                        sub = f"{target}.{alias.name}"
                        found[name].add(sub if sub in modules else target)
            elif isinstance(node, ast.Import):
                found[name] |= {a.name for a in node.names if a.name.startswith("netviz")}
    return found


def _group(module: str) -> str:
    """A module's package (core, data, …), a loose module's own name, or "netviz" itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "netviz"


def test_every_package_imports_only_the_layers_below_it():
    allowed = {**LAYERS, **BASE, "__main__": {"commands"}}
    wrong = []
    for module, targets in _imports().items():
        source = _group(module)
        for target in targets:
            dest = _group(target)
            if dest in (source, "netviz"):  # itself, or netviz.__version__
                continue
            if dest in BASE and source not in BASE:  # every layer may use the loose modules
                continue
            if dest not in allowed.get(source, set()):
                wrong.append(f"{module} imports {target} ({source} → {dest})")
    assert wrong == []


def test_there_are_no_import_cycles():
    graph = _imports()
    cycles, seen = [], set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycles.append(" → ".join([*path[path.index(module) :], module]))
            return
        if module in seen:
            return
        for target in sorted(graph.get(module, ())):
            visit(target, [*path, module])
        seen.add(module)

    for module in sorted(graph):
        visit(module, [])
    assert cycles == []


def test_the_tree_shows_the_layers():
    """At most 6 loose modules beside the packages, none of them or any module over 550 lines,
    and every package listed in pyproject.toml (a `pip install .` ships only those)."""
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py")
    assert len(loose) <= 6, loose
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 550
    }
    assert long == {}
    packages = sorted(_module_name(p.parent / "__init__.py") for p in PACKAGE.rglob("__init__.py"))
    listed = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(packages) <= set(listed["packages"]), set(packages) - set(listed["packages"])
    assert {f"netviz.{p}" for p in LAYERS} <= set(packages)


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_importing_a_layer_loads_only_the_layers_below_it(layer):
    """The same rule at run time, in a fresh interpreter: importing every module of a package
    loads no netviz package it may not reach (its layers, theirs, and so on)."""
    reach, todo = set(), [layer]
    while todo:
        for below in LAYERS.get(todo.pop(), set()) | {"errors", "safe", "numbers", "files"}:
            if below not in reach:
                reach.add(below)
                todo.append(below)
    modules = [_module_name(p) for p in sorted((PACKAGE / layer).glob("*.py"))]
    probe = "; ".join(f"import {m}" for m in modules)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"{probe}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = {
        m.split(".")[1]
        for m in json.loads(done.stdout.splitlines()[-1])
        if m.startswith("netviz.") and m.count(".") >= 1
    }
    assert loaded - reach - {layer, "__init__"} == set()
