"""Files that are not netviz traces, damaged traces and bad addresses: each gets one clear line and
exit status 2, or, where SQLite can still read part of a damaged trace, ``info`` shows that part."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli, table_rows

from netviz.trace import TraceReader

pytestmark = pytest.mark.usefixtures("plain_wide_console")


@pytest.fixture(scope="module")
def real(trace_maker) -> Path:
    """A small real trace: 12 seed epochs on 300 digits, one example's pass."""
    return trace_maker().path


def page_size(real: Path) -> int:
    """The trace's SQLite page size, from its header."""
    return int.from_bytes(real.read_bytes()[16:18], "big")


# --- how to spoil a file: (folder, real trace) -> the file to open ------------------------------

Make = Callable[[Path, Path], Path]


def missing(d: Path, real: Path) -> Path:
    return d / "absent.nvtrace"


def folder(d: Path, real: Path) -> Path:
    (d / "folder.nvtrace").mkdir()
    return d / "folder.nvtrace"


def empty(d: Path, real: Path) -> Path:
    """An empty file made a minute ago (a fresh one might be a trace still being created: the
    reader waits a moment for it, see test_hostile)."""
    (d / "empty.nvtrace").write_bytes(b"")
    os.utime(d / "empty.nvtrace", (time.time() - 60,) * 2)
    return d / "empty.nvtrace"


def text(d: Path, real: Path) -> Path:
    (d / "metrics.nvtrace").write_text("epoch,cost\n1,2.46\n")
    return d / "metrics.nvtrace"


def random_bytes(d: Path, real: Path) -> Path:
    (d / "noise.nvtrace").write_bytes(np.random.default_rng(0).bytes(5000))
    return d / "noise.nvtrace"


def other_sqlite(d: Path, real: Path) -> Path:
    path = d / "birds.sqlite"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE birds (name TEXT, seen INTEGER)")
        db.execute("INSERT INTO birds VALUES ('wren', 3)")
        db.commit()
    return path


def edited(sql: str) -> Make:
    """A copy of the real trace changed by one SQL statement."""

    def make(d: Path, real: Path) -> Path:
        path = shutil.copy(real, d / "edited.nvtrace")
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.execute(sql)
            db.commit()
        return Path(path)

    return make


def cut(size: Callable[[Path], int]) -> Make:
    """The real trace's first ``size(real)`` bytes (a copy that stopped part way)."""

    def make(d: Path, real: Path) -> Path:
        (d / "cut.nvtrace").write_bytes(real.read_bytes()[: size(real)])
        return d / "cut.nvtrace"

    return make


half = cut(lambda real: real.stat().st_size // 2)


def junk(where: Callable[[Path], int], pages: float = 1) -> Make:
    """The real trace with ``pages`` pages of random bytes written at ``where(real)``."""

    def make(d: Path, real: Path) -> Path:
        data = bytearray(real.read_bytes())
        at, size = where(real), int(pages * page_size(real))
        data[at : at + size] = np.random.default_rng(0).bytes(size)
        (d / "junk.nvtrace").write_bytes(bytes(data))
        return d / "junk.nvtrace"

    return make


def tensors_root(real: Path) -> int:
    """Where the page that indexes every stored array starts."""
    with contextlib.closing(sqlite3.connect(real)) as db:
        page = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'tensors'").fetchone()
    return (page[0] - 1) * page_size(real)


def sizes(real: Path, path: Path) -> dict[str, str]:
    """The real trace's size and the spoilt file's, as messages write them."""
    cut = path.stat().st_size if path.is_file() else 0
    return {"size": f"{real.stat().st_size:,}", "cut": f"{cut:,}"}


# --- refusals: one line, status 2 -----------------------------------------------------------------

INFO = ("info",)
AT = "tensors", "--at"
REFUSALS = [
    ("does not exist", missing, INFO, "{path}: no such file"),
    ("a folder", folder, INFO, "{path}: not a file"),
    ("an empty file", empty, INFO, "{path}: not a netviz trace (not an SQLite database)"),
    ("a text file", text, INFO, "{path}: not a netviz trace (not an SQLite database)"),
    ("random bytes", random_bytes, INFO, "{path}: not a netviz trace (not an SQLite database)"),
    ("SQLite, other tables", other_sqlite, INFO,
     "{path}: an SQLite file, but not a netviz trace (no netviz tables)"),
    ("netviz tables, no format mark", edited("DELETE FROM meta WHERE key = 'format'"), INFO,
     "{path}: an SQLite file, but not a netviz trace (no netviz format mark)"),
    ("newer schema", edited("PRAGMA user_version = 99"), INFO,
     "{path}: written by a newer netviz (trace schema 99; this netviz reads up to 1): "
     "upgrade netviz to read it"),
    ("damaged metadata", edited("UPDATE meta SET value = '{oops' WHERE key = 'seed'"), INFO,
     "{path}: damaged metadata: 'seed' is not JSON"),
    ("cut inside the SQLite header", cut(lambda real: 50), INFO,
     "{path}: truncated: 50 bytes are left, less than SQLite's 100-byte header; "
     "nothing can be read"),
    ("cut to its header", cut(lambda real: 100), INFO,
     "{path}: truncated: 100 of its {size} bytes are left; nothing can be read"),
    ("cut inside the schema page", cut(lambda real: page_size(real) // 2), INFO,
     "{path}: truncated: {cut} of its {size} bytes are left; nothing can be read"),
    ("cut inside the metadata page", cut(lambda real: 3 * page_size(real) // 2), INFO,
     "{path}: truncated: {cut} of its {size} bytes are left, and what was asked for is in the "
     "lost part (a metadata row reads as empty)"),
    ("junk over the schema page", junk(lambda real: 100, 0.5), INFO,
     "{path}: damaged SQLite file (database disk image is malformed)"),
    ("junk over the arrays' table, tensors", junk(tensors_root), (*AT, "e12"),
     "{path}: damaged trace (database disk image is malformed)"),
    ("cut in half, tensors", half, (*AT, "e12/x3/cost"),
     "{path}: truncated: {cut} of its {size} bytes are left, and what was asked for is in the "
     "lost part (database disk image is malformed)"),
    ("address that does not exist", lambda d, real: real, (*AT, "e999"),
     "{path}: no step e999 in this trace (36 steps recorded)"),
    ("step number that does not exist", lambda d, real: real, (*AT, "999"),
     "{path}: no step 999 in this trace (36 steps recorded)"),
    ("example not in this trace", lambda d, real: real, (*AT, "e12/x4/cost"),
     "{path}: no step e12/x4/cost in this trace (36 steps recorded)"),
    ("malformed address", lambda d, real: real, (*AT, "banana"),
     "{path}: 'banana' is not an address (like e12 or e12/x4821/bwd/L2/dZ) or step number"),
    ("address without its example", lambda d, real: real, (*AT, "e12/bwd/L2/dZ"),
     "{path}: 'e12/bwd/L2/dZ' is not an address (like e12 or e12/x4821/bwd/L2/dZ) or step number"),
    ("step lists names that are not JSON", edited("UPDATE steps SET inputs = '[\"W1\", x' "
     "WHERE step = 13"), (*AT, "13"),
     "{path}: damaged trace (step 13's inputs or outputs are not a list of names: "
     "Expecting value: line 1 column 8 (char 7))"),
    ("step lists an output it does not hold", edited("UPDATE steps SET outputs = '[\"Z9\"]' "
     "WHERE step = 13"), (*AT, "13"),
     "{path}: damaged trace (e12/x3/fwd/L1/Z lists outputs it does not hold: Z9)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("make", "command", "message"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_refusal_is_one_line_and_status_2(capsys, tmp_path, real, make, command, message):
    path = make(tmp_path, real)
    status, out, err = run_cli(capsys, *["trace", command[0], str(path), *command[1:]])
    expected = message.format(path=path, **sizes(real, path))
    assert (status, err) == (2, f"netviz: error: {expected}\n")
    assert out == ""


METRICS_OUT = [
    ("into a missing folder", "no/such/metrics.csv",
     "{tmp}/no/such/metrics.csv: folder {tmp}/no/such does not exist"),
    ("onto a folder", ".", "{tmp}: is a folder"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("out", "message"), [m[1:] for m in METRICS_OUT], ids=[m[0] for m in METRICS_OUT]
)
def test_metrics_refuses_a_path_it_cannot_write(capsys, tmp_path, real, out, message):
    target = tmp_path / out if out != "." else tmp_path
    before = sorted(tmp_path.iterdir())
    status, _, err = run_cli(capsys, *["trace", "metrics", str(real), "-o", str(target)])
    assert (status, err) == (2, f"netviz: error: {message.format(tmp=tmp_path)}\n")
    assert sorted(tmp_path.iterdir()) == before  # nothing left behind


# --- damaged, but partly readable: info shows what SQLite can still read ------------------------

# What still reads depends on where SQLite put each table's pages; these are what this trace,
# written by this writer, gives.
PARTIAL = [
    # (id, make, damage row, warning after "{path}: ", rows that read as "unreadable")
    ("cut in half", half, "truncated: {cut} of its {size} bytes are left",
     "truncated: {cut} of its {size} bytes are left", ()),
    ("cut to six pages", cut(lambda real: 6 * page_size(real)),
     "truncated: {cut} of its {size} bytes are left",
     "truncated: {cut} of its {size} bytes are left",
     ("recorded steps", "recorded epochs", "final weights")),
    # info counts arrays through their index, so it does not notice; tensors refuses (above)
    ("junk over the arrays' table", junk(tensors_root), None, None, ()),
]  # fmt: skip
ROWS = ("preset", "train_size", "recorded steps", "recorded epochs", "last epoch",
        "final weights")  # fmt: skip


@pytest.mark.parametrize(
    ("make", "damage", "warning", "unreadable"),
    [p[1:] for p in PARTIAL],
    ids=[p[0] for p in PARTIAL],
)
def test_info_on_a_damaged_trace_shows_what_is_intact(
    capsys, tmp_path, real, make, damage, warning, unreadable
):
    path = make(tmp_path, real)
    fill = sizes(real, path)
    status, out, err = run_cli(capsys, *["trace", "info", str(path)])
    assert status == 0
    if warning is None:
        assert err == ""
    else:
        line = f"netviz: warning: {path}: {warning.format(**fill)}; showing what could be read\n"
        assert err == line
    rows = table_rows(out)
    assert rows.get("damage") == (damage and damage.format(**fill))
    assert rows["preset"] == "seed"
    shown = {name: rows.get(name) for name in ROWS if name in rows}
    assert {name for name, value in shown.items() if value == "unreadable"} == set(unreadable)
    if "recorded epochs" not in unreadable:
        assert set(ROWS) <= set(shown)  # the final epoch's metrics too
        assert any(name.startswith("cost at the start of epoch ") for name in rows)


def test_metrics_of_a_truncated_trace_warns_that_rows_may_be_missing(capsys, tmp_path, real):
    path = half(tmp_path, real)
    status, out, err = run_cli(capsys, *["trace", "metrics", str(path)])
    assert status == 0 and out.startswith("epoch,weights,step,")
    warning = f"truncated: {sizes(real, path)['cut']} of its {sizes(real, path)['size']} bytes"
    assert err == f"netviz: warning: {path}: {warning} are left; showing what could be read\n"


def test_junk_in_the_middle_is_refused_or_read_never_a_traceback(capsys, tmp_path, real):
    """Overwritten bytes inside an array's data cannot be noticed (SQLite keeps no checksums):
    those numbers read back changed. Overwritten bookkeeping is refused in one line."""
    path = junk(lambda real: real.stat().st_size // 2, 3)(tmp_path, real)
    with TraceReader(real) as reader:
        addresses = [s.address for s in reader.steps()]
    runs = [["info"], ["metrics"]] + [["tensors", "--at", a] for a in addresses]
    outcomes = set()
    for command in runs:
        status, out, err = run_cli(capsys, *["trace", command[0], str(path), *command[1:]])
        if status == 0:
            assert out and (err == "" or err.startswith(f"netviz: warning: {path}: damaged"))
        else:
            assert status == 2 and out == ""
            assert err.startswith(f"netviz: error: {path}: damaged") and err.count("\n") == 1
        outcomes.add(status)
    assert 0 in outcomes  # most of the file still reads


@pytest.mark.parametrize(
    ("make", "message"),
    [(r[1], r[3]) for r in REFUSALS if r[2] == INFO],
    ids=[r[0] for r in REFUSALS if r[2] == INFO],
)
def test_replay_refuses_what_trace_info_refuses_with_the_same_line(
    capsys, tmp_path, real, make, message
):
    """``netviz replay`` opens the file with the same reader: the same line, before any UI."""
    path = make(tmp_path, real)
    status, out, err = run_cli(capsys, "replay", str(path))
    expected = message.format(path=path, **sizes(real, path))
    assert (status, err, out) == (2, f"netviz: error: {expected}\n", "")
