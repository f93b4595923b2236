"""Helpers shared by the CLI and Pilot tests (pytest puts tests/ on the import path)."""

from __future__ import annotations

import asyncio
import functools


def pilot_test(scenario):
    """Run an async Pilot scenario as a plain test (no asyncio plugin needed)."""

    @functools.wraps(scenario)
    def test(*args, **kwargs):
        asyncio.run(scenario(*args, **kwargs))

    return test


def screen_text(app) -> str:
    """What the terminal shows, as plain lines."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """``netviz ARGV`` in-process: (exit status, stdout, stderr)."""
    from netviz.commands.cli import main

    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def refused(capsys, argv: list[str], message: str) -> tuple[str, str]:
    """``netviz ARGV`` in-process is refused: exit status 2 (its own or argparse's) and one
    line on stderr holding ``message``, no traceback; its stdout."""
    from netviz.commands.cli import main

    try:
        status = main(argv)
    except SystemExit as stop:  # argparse's refusals
        status = stop.code
    out, err = capsys.readouterr()
    assert status == 2
    assert message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return out, err


def table_rows(out: str) -> dict[str, str]:
    """``│ field │ value │`` lines of a rich table as {field: value}."""
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) == 4:
            rows[cells[1]] = cells[2]
    return rows
