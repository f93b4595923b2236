"""The example trace shipped in traces/: it opens, holds what traces/README.md says it holds, and
is what traces/make_example.py makes today (if not, the failure says to run it again)."""

from __future__ import annotations

import importlib.util
import json
import math
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from netviz.trace import TraceReader
from netviz.trace.schema import SCHEMA_VERSION, decode

ROOT = Path(__file__).parents[1]
SCRIPT = ROOT / "traces" / "make_example.py"
COMMITTED = ROOT / "traces" / "example.nvtrace"
REMAKE = "run `python traces/make_example.py` and commit traces/example.nvtrace"
MAX_BYTES = 2_000_000
# Metadata that says when and by which release the file was made, not what it records.
UNCOMPARED_META = {"created", "netviz", "run_id"}  # run_id: new for every run, by design
# Numbers agree bit for bit on one machine, but not across machines: another OpenBLAS kernel
# (OPENBLAS_CORETYPE=SkylakeX, say) rounds some last bits differently, and the seed network's
# saturated sigmoids amplify that ~30× an epoch, to 3e-4 of an array's largest entry by epoch 8
# (measured). Data, seed, α or a changed op move the numbers by far more than 1 %; names, shapes,
# equations, pixels and metadata must agree exactly.
RTOL = 1e-2


@pytest.fixture(scope="module")
def make_example():
    """traces/make_example.py, loaded by path (traces/ is no package, and a non-editable install
    does not ship it), without leaving a __pycache__ in the repository's traces/."""
    spec = importlib.util.spec_from_file_location("make_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = saved
    return module


@pytest.fixture(scope="module")
def committed():
    """The committed trace, open for reading."""
    if not COMMITTED.is_file():
        pytest.fail(f"{COMMITTED} is missing: {REMAKE}")
    with TraceReader(COMMITTED) as reader:
        yield reader


@pytest.fixture(scope="module")
def fresh(make_example, tmp_path_factory) -> Path:
    """The example trace as make_example.build() makes it now, in a folder of its own."""
    return make_example.build(tmp_path_factory.mktemp("example") / "example.nvtrace")


class TestCommittedTrace:
    """What a learner who has just cloned the repository opens."""

    def test_it_opens_whole_at_the_current_schema_within_the_size_budget(self, committed):
        assert committed.damage is None
        with closing(sqlite3.connect(f"{COMMITTED.resolve().as_uri()}?mode=ro", uri=True)) as db:
            assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION, REMAKE
        assert committed.meta["schema"] == SCHEMA_VERSION
        size = COMMITTED.stat().st_size
        assert size <= MAX_BYTES, f"{size:,} bytes: record fewer epochs in {SCRIPT.name}"

    def test_it_is_one_finished_file(self, committed):
        """No write-ahead log beside it, and not in WAL mode: it opens from a read-only clone."""
        assert not [p.name for p in COMMITTED.parent.glob(f"{COMMITTED.name}-*")]
        header = COMMITTED.read_bytes()[:20]
        assert header[18:20] == b"\x01\x01", "journal mode is WAL: the writer was not closed"

    def test_it_holds_two_passes_the_epochs_then_the_first_pass_again(
        self, committed, make_example, lesson_order
    ):
        first, second, epochs = make_example.FIRST, make_example.SECOND, make_example.EPOCHS
        assert committed.epochs() == list(range(1, epochs + 1))

        def walk(epoch: int, example: int) -> list[str]:
            return [f"e{epoch}/x{example}/{op}" for op in lesson_order]

        assert [step.address for step in committed.steps()] == [
            *walk(0, first),
            *walk(0, second),
            *(f"e{epoch}" for epoch in range(1, epochs + 1)),
            *walk(epochs, first),
        ]

    def test_its_passes_use_the_weights_replay_rebuilds(self, committed, make_example):
        """The before and after passes start from the recorded weights of epoch 0 and the last."""
        first = make_example.FIRST
        for epoch in (0, make_example.EPOCHS):
            context = committed.tensors(f"e{epoch}/x{first}/fwd/L1/Z")
            weights = committed.weights(epoch).named()
            for name, array in weights.items():
                np.testing.assert_array_equal(context[name], array, err_msg=f"e{epoch} {name}")

    def test_it_keeps_the_examples_and_breakpoints_shown(self, committed, make_example):
        pixels, label = committed.example(make_example.SECOND)
        assert pixels.shape == (784,) and label == 0
        saved = [b["condition"] for b in committed.meta["breakpoints"]]
        assert saved == list(make_example.BREAKPOINTS)


class TestMakeExample:
    """traces/make_example.py still makes the committed file."""

    def test_build_leaves_one_finished_file_and_nothing_else(self, fresh):
        assert [p.name for p in fresh.parent.iterdir()] == [fresh.name]

    def test_committed_trace_is_what_it_makes_today(self, fresh):
        difference = first_difference(COMMITTED, fresh)
        assert difference is None, f"traces/example.nvtrace is out of date: {difference}; {REMAKE}"


# --- comparing two traces table by table ----------------------------------------------------

# Each table's rows in a fixed order, with the columns that name a row first.
QUERIES = {
    "steps": ("SELECT address, * FROM steps ORDER BY step", 1),
    "tensors": (
        "SELECT s.address, t.name, t.dtype, t.shape, t.encoding, t.crc32, t.data "
        "FROM tensors t JOIN steps s USING (step) ORDER BY t.step, t.name",
        2,
    ),
    "checkpoints": (
        "SELECT 'e' || epoch, name, dtype, shape, encoding, crc32, data "
        "FROM checkpoints ORDER BY epoch, name",
        2,
    ),
    "examples": ("SELECT 'x' || example, * FROM examples ORDER BY example", 1),
    "metrics": ("SELECT 'e' || epoch, * FROM metrics ORDER BY epoch", 1),
    "final": ("SELECT 'e' || epoch, * FROM final ORDER BY epoch", 1),
}


def first_difference(old_path: Path, new_path: Path) -> str | None:
    """The first way the trace at ``new_path`` differs from the one at ``old_path`` (metadata
    apart from when and by which release, then every table, row by row), or None."""
    with closing(_open(old_path)) as old, closing(_open(new_path)) as new:
        versions = [db.execute("PRAGMA user_version").fetchone()[0] for db in (old, new)]
        if versions[0] != versions[1]:
            return f"schema version {versions[0]}, now {versions[1]}"
        found = _meta_difference(*(_meta(db) for db in (old, new)))
        for table, (sql, key) in QUERIES.items():
            if found is None:
                found = _table_difference(table, key, old.execute(sql), new.execute(sql))
    return found


def _open(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _meta(db: sqlite3.Connection) -> dict:
    rows = db.execute("SELECT key, value FROM meta")
    return {key: json.loads(value) for key, value in rows if key not in UNCOMPARED_META}


def _meta_difference(old: dict, new: dict) -> str | None:
    for key in sorted(old.keys() | new.keys()):
        if old.get(key) != new.get(key) or (key in old) != (key in new):
            return (
                f"metadata {key!r} was {old.get(key, 'absent')!r}, now {new.get(key, 'absent')!r}"
            )
    return None


def _table_difference(table: str, key: int, old: sqlite3.Cursor, new: sqlite3.Cursor):
    """The first row or cell that differs; array columns (dtype … data) compared as arrays."""
    columns = [d[0] for d in old.description]
    if columns != [d[0] for d in new.description]:
        return f"{table} has columns {columns[1:]}, now {[d[0] for d in new.description][1:]}"
    old_rows, new_rows = old.fetchall(), new.fetchall()
    for a, b in zip(old_rows, new_rows, strict=False):
        where = f"{table} {' '.join(map(str, a[:key]))}"
        if a[:key] != b[:key]:
            return f"{table} row {' '.join(map(str, a[:key]))} is now {' '.join(map(str, b[:key]))}"
        if columns[key:] == ["dtype", "shape", "encoding", "crc32", "data"]:
            change = _array_change(decode(*a[key:]), decode(*b[key:]))
            if change:
                return f"{where}: {change}"
            continue
        for column, x, y in zip(columns[key:], a[key:], b[key:], strict=True):
            change = _value_change(x, y)
            if change:
                return f"{where} {column}: {change}"
    if len(old_rows) != len(new_rows):
        return f"{table} had {len(old_rows)} rows, now {len(new_rows)}"
    return None


def _value_change(x, y) -> str | None:
    """How cell ``y`` differs from ``x`` (bytes as uint8 arrays, floats within RTOL), or None."""
    if isinstance(x, bytes) and isinstance(y, bytes):
        return _array_change(np.frombuffer(x, np.uint8), np.frombuffer(y, np.uint8))
    if isinstance(x, float) and isinstance(y, float):
        if math.isclose(x, y, rel_tol=RTOL) or (math.isnan(x) and math.isnan(y)):
            return None
    elif type(x) is type(y) and x == y:
        return None
    return f"was {_short(x)}, now {_short(y)}"


def _array_change(a: np.ndarray, b: np.ndarray) -> str | None:
    """How ``b`` differs from ``a``: its dtype or shape, or its first entry that moved."""
    if a.dtype != b.dtype or a.shape != b.shape:
        return f"was {a.dtype} {a.shape}, now {b.dtype} {b.shape}"
    if a.tobytes() == b.tobytes():
        return None
    if a.dtype.kind == "f":
        finite = np.abs(a[np.isfinite(a)])
        atol = RTOL * float(finite.max()) if finite.size else 0.0
        moved = ~np.isclose(a, b, rtol=RTOL, atol=atol, equal_nan=True)
    else:
        moved = a != b
    if not moved.any():
        return None
    at = tuple(int(i) for i in np.argwhere(moved)[0])
    return f"entry {list(at)} was {a[at].item()!r}, now {b[at].item()!r}"


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"
