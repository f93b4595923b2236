"""The README's two set-up commands stay true: CI runs the same test command, and the main job's
command names a real netviz command."""

from __future__ import annotations

import re
from pathlib import Path

from netviz.commands.cli import build_parser

ROOT = Path(__file__).parents[1]


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)\n```", text, re.S)


def test_ci_runs_the_readmes_test_command():
    readme = (ROOT / "README.md").read_text()
    after_marker = readme.split("<!-- ci: test command -->", 1)[1]
    test_command = shell_blocks(after_marker)[0].strip()
    ci_last_line = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci_last_line == test_command
    assert "pytest" in test_command


def test_the_readme_has_exactly_two_setup_commands_and_the_main_one_runs_netviz():
    blocks = shell_blocks((ROOT / "README.md").read_text())
    assert len(blocks) == 2
    main_job = blocks[0].strip()
    assert main_job.startswith("python3 -m venv .venv && .venv/bin/pip install . && ")
    netviz_args = main_job.split(".venv/bin/netviz", 1)[1].split()
    build_parser().parse_args(netviz_args)  # exits (fails the test) on an unknown command
