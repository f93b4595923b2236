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


def disk_fills_after(monkeypatch, kib: int) -> None:
    """Every trace written from now on finds its disk full ``kib`` KiB after it was created:
    SQLite's max_page_count makes its commits fail with SQLITE_FULL, "database or disk is
    full", as a real full disk does."""
    from netviz.trace import TraceWriter
    from netviz.trace.schema import PAGE_SIZE

    created = TraceWriter.__init__

    def small_disk(self, *args, **kw):
        created(self, *args, **kw)
        pages = self._db.execute("PRAGMA page_count").fetchone()[0]
        self._db.execute(f"PRAGMA max_page_count = {pages + kib * 1024 // PAGE_SIZE}")

    monkeypatch.setattr(TraceWriter, "__init__", small_disk)


def checkpoints_fail_from(monkeypatch, epoch: int) -> None:
    """Writing the weights after ``epoch`` or more epochs into any trace fails as on a full
    disk (inside its transaction, as SQLite's "database or disk is full" would)."""
    import sqlite3

    from netviz.trace import TraceWriter

    put = TraceWriter._put_checkpoint

    def full(self, at, arrays):
        if at >= epoch:
            raise sqlite3.OperationalError("database or disk is full")
        put(self, at, arrays)

    monkeypatch.setattr(TraceWriter, "_put_checkpoint", full)
