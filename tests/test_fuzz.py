"""Seeded random mutations of the example trace and of a weights file, through the CLI.

Each mutation changes one thing a hostile or damaged file could hold: a metadata value, a metric
cell, a tensor's bytes, shape, dtype or encoding, a step's field, an example, a checkpoint; or,
in a weights file, bytes, an array's header, the JSON note, a member. Every mutated file goes
through ``netviz trace info``, ``trace tensors`` and one of ``trace metrics``, ``export
heatmap``, ``export curves`` or ``export card``; every weights file through ``netviz predict``.

The claim: no traceback, a one-line refusal with exit status 2 or a success, no control
character reaching the terminal, and bounded memory. The cases run in one subprocess (imports
paid once) under an address-space limit of 2 GiB (netviz's budget there: 512 MiB), whose peak
resident memory must stay under 1 GiB. The seed is fixed, so a failure reproduces; the counts
keep the whole file near 20 s on 2 cores.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
import zlib
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).parents[1] / "traces" / "example.nvtrace"
SEED = 11
TRACES, WEIGHTS = 48, 24  # mutated files
ADDRESS_SPACE = 2 * 2**30  # RLIMIT_AS of the subprocess
PEAK_RSS = 2**30  # its peak resident memory must stay under this
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # all but \n

# --- what a hostile file may hold ----------------------------------------------------------------

META_VALUES = [
    "null", "true", "-1", "0", "1e308", "9e18", "9000000000000000000", '"x"', '"\\u001b[2J"',
    "[]", "{}", "[784, 1000000000, 16, 10]", "[784, 16, 10]", "[784, -16, 10]", '["x", 10]',
    '"' + "a" * 300 + '"', "9" * 5000, "[" * 3000, "NaN", '{"name": "\\u001b]0;x\\u0007"}',
    '[{"condition": "vanish L1 < ' + "9" * 300 + 'x"}]', '[{"condition": 5}]', "[0, 1e9]",
]  # fmt: skip
CELLS = [None, "abc", b"\x00\x01", 9e18, -1, 1e308, 2**63 - 1, "\x1b[2J", 0, 0.5, -(2**63), "x"]
SHAPES = ["[40000, 40000]", "[16, 784, 1]", "[-1]", '"x"', "[]", "[1000000000]", "[784, 16]",
          "[1]", "[" * 100, "null", "[16.5]", "[1,1,1,1,1,1,1,1,1]", "[10, 16]"]  # fmt: skip
DTYPES = ["<i8", "|u1", ">f8", "abc", "|b1", "<f4", None]
ENCODINGS = ["nonzero", "raw", "zzz", None]
STEP_VALUES = ["x", None, -1, 9e18, "e0/x0/fwd/L1/Z", "\x1b[2J", "[", '["W1", 5]', "[]",
               10**18, 33, '["' + "W" * 300 + '"]', "fwd", 0]  # fmt: skip
STEP_COLUMNS = ["address", "kind", "epoch", "example", "phase", "layer", "op", "equation",
                "inputs", "outputs"]  # fmt: skip
NAMES = ["W9", "W1\x1b", "dW1", "x", "W1", "b1", "zz"]
# The tensors the commands below read: every epoch's (ΣdW for weights, the last for heatmaps)
# and the two example passes' (their first op holds x, y, W, b and α).
READ = ("WHERE step IN (SELECT step FROM steps WHERE kind = 'epoch' OR address LIKE 'e0/x0/%' "
        "OR address LIKE 'e0/x1/%')")  # fmt: skip


def mutate_trace(path: Path, rng: random.Random) -> tuple[str, str]:
    """Change one thing in the trace at ``path``; (the kind of change, what it was in words)."""
    with closing(sqlite3.connect(path)) as db:
        kind = rng.choice(["meta", "metric", "bytes", "array", "step", "example", "checkpoint",
                           "delete"])  # fmt: skip
        if kind == "meta":
            key = rng.choice([r[0] for r in db.execute("SELECT key FROM meta")])
            value = rng.choice(META_VALUES)
            db.execute("UPDATE meta SET value = ? WHERE key = ?", [value, key])
            what = f"meta {key} = {value[:40]}"
        elif kind == "metric":
            columns = [r[1] for r in db.execute("PRAGMA table_info(metrics)")]
            column, epoch, value = rng.choice(columns), rng.randint(1, 8), rng.choice(CELLS)
            try:
                db.execute(f"UPDATE metrics SET {column} = ? WHERE epoch = ?", [value, epoch])
            except sqlite3.IntegrityError:  # epoch is the key: two rows cannot share one
                pass
            what = f"metrics e{epoch} {column} = {value!r:.40}"
        elif kind == "bytes":
            rowid, data = rng.choice(
                db.execute(f"SELECT rowid, data FROM tensors {READ}").fetchall()
            )
            data = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            fix = rng.random() < 0.7  # mostly with a matching checksum: garbage numbers
            crc = zlib.crc32(bytes(data)) if fix else 0
            db.execute("UPDATE tensors SET data = ?, crc32 = CASE WHEN ? THEN ? ELSE crc32 END "
                       "WHERE rowid = ?", [bytes(data), fix, crc, rowid])  # fmt: skip
            what = f"tensor {rowid} bytes (checksum {'fixed' if fix else 'left'})"
        elif kind == "array":
            rowid = rng.choice([r[0] for r in db.execute(f"SELECT rowid FROM tensors {READ}")])
            field = rng.choice(["shape", "dtype", "encoding", "name"])
            pool = {"shape": SHAPES, "dtype": DTYPES, "encoding": ENCODINGS, "name": NAMES}
            value = rng.choice(pool[field])
            try:
                db.execute(f"UPDATE tensors SET {field} = ? WHERE rowid = ?", [value, rowid])
            except sqlite3.IntegrityError:  # NOT NULL, CHECK or UNIQUE said no
                pass
            what = f"tensor {rowid} {field} = {value!r:.40}"
        elif kind == "step":
            step, column = rng.randint(1, 60), rng.choice(STEP_COLUMNS)
            value = rng.choice(STEP_VALUES)
            try:
                db.execute(f"UPDATE steps SET {column} = ? WHERE step = ?", [value, step])
            except sqlite3.IntegrityError:
                pass
            what = f"step {step} {column} = {value!r:.40}"
        elif kind == "example":
            example = rng.randint(0, 7)
            if rng.random() < 0.5:
                pixels = bytes(rng.choice([0, 2, 783, 785, 784 * 2]))
                db.execute("UPDATE examples SET pixels = ? WHERE example = ?", [pixels, example])
                what = f"example {example} pixels of {len(pixels)} bytes"
            else:
                label = rng.choice(CELLS)
                db.execute("UPDATE examples SET label = ? WHERE example = ?", [label, example])
                what = f"example {example} label {label!r:.40}"
        elif kind == "checkpoint":
            rowid = rng.choice([r[0] for r in db.execute("SELECT rowid FROM checkpoints")])
            field = rng.choice(["shape", "name", "epoch"])
            value = rng.choice({"shape": SHAPES, "name": NAMES, "epoch": CELLS}[field])
            try:
                db.execute(f"UPDATE checkpoints SET {field} = ? WHERE rowid = ?", [value, rowid])
            except sqlite3.IntegrityError:
                pass
            what = f"checkpoint {rowid} {field} = {value!r:.40}"
        else:
            table = rng.choice(["meta", "metrics", "tensors", "steps", "examples", "checkpoints"])
            rows = [r[0] for r in db.execute(f"SELECT rowid FROM {table}")]
            rowid = rng.choice(rows)
            db.execute(f"DELETE FROM {table} WHERE rowid = ?", [rowid])
            what = f"{table} row {rowid} deleted"
        db.commit()
    return kind, what


# The drawing commands most likely to read what each kind of mutation changed.
DRAWN = {
    "metric": ["curves", "metrics", "update"],
    "bytes": ["heatmap", "update", "card", "weight"],
    "array": ["heatmap", "update", "card", "weight"],
    "step": ["card", "update"],
    "checkpoint": ["weight"],
}


def trace_commands(path: Path, out: Path, i: int, kind: str, rng: random.Random) -> list[list[str]]:
    """``trace info``, ``trace tensors`` at a step the mutations reach, and one drawing."""
    at = rng.choice(["e8", "e3", "1", "13", "e0/x0/bwd/L1/dW", "e8/x0/cost", "e0/x1/upd/L2/W"])
    name = rng.choice(DRAWN.get(kind, ["metrics", "heatmap", "update", "curves", "card", "weight"]))
    drawn = {
        "metrics": ["trace", "metrics", str(path)],
        "heatmap": ["export", "heatmap", str(path), "-o", f"{out}/h{i}.png"],
        "update": ["export", "heatmap", str(path), "--at", "e0/x0/bwd/L1/dW", "--what",
                   "update", "-o", f"{out}/u{i}.png"],
        "curves": ["export", "curves", str(path), "-o", f"{out}/c{i}.png"],
        "card": ["export", "card", str(path), "--at", "e0/x1/bwd/L2/dW", "-o", f"{out}/k{i}.png"],
        "weight": ["export", "heatmap", str(path), "--epoch", "3", "--what", "weight",
                   "--layer", "2", "-o", f"{out}/w{i}.png"],
    }[name]  # fmt: skip
    return [["trace", "info", str(path)], ["trace", "tensors", str(path), "--at", at], drawn]


# --- weights -------------------------------------------------------------------------------------

DESCRS = ["<i8", "<c16", "|O", "<U5", ">f8", "<f2", "|b1", "<f4", "<f8"]
NPY_SHAPES = [(100_000, 100_000), (16, 784), (784, 16), (), (10,), (16, 784, 1), (0, 784),
              (2**62, 2**62), (16,), (10, 16)]  # fmt: skip
NOTES = ['{"preset": "seed"}', '{"preset": 5}', '{"preset": {"activation": 5}}', "[",
         "[" * 5000 + "]" * 5000, '{"x": ' + "9" * 5000 + "}", '"text"', "{}",
         '{"preset": {"activation": "relu", "scale_pixels": true}}', "\x1b[2J"]  # fmt: skip


def npy_header(descr: str, shape: tuple) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": descr, "fortran_order": False, "shape": shape}
    )
    return buffer.getvalue()


def mutate_weights(path: Path, rng: random.Random) -> str:
    """Change one thing in the weights file at ``path``; what, in words."""
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    kind = rng.choice(["bytes", "header", "note", "member", "truncate"])
    if kind == "bytes":
        data = bytearray(path.read_bytes())
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data))
        return "bytes flipped"
    if kind == "truncate":
        data = path.read_bytes()
        path.write_bytes(data[: rng.randrange(len(data))])
        return "truncated"
    if kind == "header":
        name = rng.choice([n for n in members if n != "meta.npy"])
        descr, shape = rng.choice(DESCRS), rng.choice(NPY_SHAPES)
        old = members[name]
        body = old[len(old) - len(old) % 16 :] if rng.random() < 0.3 else old[128:]
        members[name] = npy_header(descr, shape) + body
        what = f"{name} header {descr} {shape}"
    elif kind == "note":
        note = rng.choice(NOTES)
        buffer = io.BytesIO()
        np.save(buffer, np.array(note))
        members["meta.npy"] = buffer.getvalue()
        what = f"note {note[:40]!r}"
    else:
        if rng.random() < 0.5:
            del members[rng.choice(list(members))]
            what = "a member removed"
        else:
            members[rng.choice(["W9.npy", "extra.npy", "b1.npy"])] = members["W1.npy"]
            what = "a member added"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return what


# --- the run -------------------------------------------------------------------------------------

DRIVER = r"""
import contextlib, io, json, resource, sys, traceback
from netviz.commands.cli import main
results = []
for argv in json.load(open(sys.argv[1])):
    out, err = io.StringIO(), io.StringIO()
    tb = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as stop:
            status = stop.code
        except BaseException:
            status, tb = None, traceback.format_exc()
    results.append({"argv": argv, "status": status, "out": out.getvalue()[-2000:],
                    "err": err.getvalue()[-2000:], "traceback": tb})
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
json.dump({"results": results, "peak": peak}, open(sys.argv[2], "w"))
"""


def run_cases(cases: list[list[str]], folder: Path) -> dict:
    """Run every ``netviz`` command line in ``cases`` in one subprocess under the memory limit."""
    import resource

    (folder / "cases.json").write_text(json.dumps(cases))
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, str(folder / "cases.json"), str(folder / "out.json")],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE)),
        cwd=folder,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((folder / "out.json").read_text())


def problems(result: dict) -> list[str]:
    """What is wrong with one command's outcome (nothing, when it is a success or a refusal)."""
    found = []
    if result["traceback"]:
        found.append("traceback:\n" + result["traceback"][-1500:])
    elif result["status"] not in (0, 2):
        found.append(f"exit status {result['status']}")
    err = result["err"]
    if result["status"] == 2 and (
        err.count("\n") != 1 or not re.match(r"netviz(?: [a-z]+)*: error: ", err)
    ):
        found.append(f"not a one-line refusal: {err!r}")
    if result["status"] == 0 and any(
        not line.startswith("netviz: warning: ") for line in err.splitlines()
    ):
        found.append(f"stray output on stderr: {err!r}")
    if CONTROL.search(result["out"] + err):
        found.append("a control character reached the terminal")
    return found


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> tuple[list[tuple[str, dict]], int]:
    """(what was mutated, outcome) of every command, and the subprocess's peak memory."""
    folder = tmp_path_factory.mktemp("fuzz")
    rng = random.Random(SEED)
    cases, labels = [], []
    for i in range(TRACES):
        path = Path(shutil.copy(EXAMPLE, folder / f"t{i}.nvtrace"))
        changes = [mutate_trace(path, rng) for _ in range(rng.choice([1, 1, 2]))]
        what = "; ".join(w for _, w in changes)
        for argv in trace_commands(path, folder, i, changes[-1][0], rng):
            cases.append(argv)
            labels.append(f"trace {i}: {what}")
    csv = folder / "digits.csv"
    digits = np.random.default_rng(SEED).integers(0, 256, (20, 784))
    header = "label," + ",".join(f"pixel{p}" for p in range(784))
    csv.write_text(header + "\n" + "\n".join(f"{i % 10}," + ",".join(map(str, row))
                                            for i, row in enumerate(digits)) + "\n")  # fmt: skip
    base = folder / "base.npz"
    w = np.random.default_rng(SEED)
    arrays = {"W1": w.random((16, 784)), "b1": w.random(16), "W2": w.random((16, 16)),
              "b2": w.random(16), "W3": w.random((10, 16)), "b3": w.random(10)}  # fmt: skip
    note = {"preset": {"name": "seed", "activation": "seed-sigmoid", "scale_pixels": False}}
    np.savez(base, **arrays, meta=np.array(json.dumps(note)))
    for i in range(WEIGHTS):
        path = Path(shutil.copy(base, folder / f"w{i}.npz"))
        what = mutate_weights(path, rng)
        cases.append(["predict", "--weights", str(path), "--data", str(csv)])
        labels.append(f"weights {i}: {what}")
    run = run_cases(cases, folder)
    return list(zip(labels, run["results"], strict=True)), run["peak"]


def test_no_mutation_gives_a_traceback_or_more_than_one_line(outcomes):
    results, _ = outcomes
    bad = [f"{label}: netviz {' '.join(r['argv'][:3])} …: {p}"
           for label, r in results for p in problems(r)]  # fmt: skip
    assert bad == [], "\n".join(bad)


def test_the_mutations_are_refused_and_read_alike(outcomes):
    """Some commands succeed and some are refused: the fuzz reaches both sides (a check that the
    mutations are not all caught by one early test, and that the clean parts still read)."""
    results, _ = outcomes
    statuses = {r["status"] for _, r in results}
    assert {0, 2} <= statuses
    refused = sum(r["status"] == 2 for _, r in results)
    assert 0.2 * len(results) < refused < 0.9 * len(results)


def test_memory_stays_bounded(outcomes):
    _, peak = outcomes
    assert peak < PEAK_RSS, f"peak resident memory {peak / 2**20:.0f} MiB"


# --- replay: every step of a mutated trace, as the tour's regions draw it -------------------------

REPLAYED = 40  # mutated traces walked step by step


def draw_step(snapshot) -> None:
    """What the replay's regions compute from a snapshot, without a terminal: the inspector's
    title and arrays (as text), an epoch's figures, the digit and the network's cells."""
    from rich.style import Style

    from netviz.tui.arrays import Window, block_text, op_blocks
    from netviz.tui.digit import half_blocks
    from netviz.tui.inspector import epoch_text, op_title

    styles = {name: Style() for name in ("name", "result", "selected", "stats", "pos", "neg")}
    half_blocks(snapshot.pixels)
    if snapshot.op is not None:
        op_title(snapshot, snapshot.op)
        for block in op_blocks(snapshot.op, snapshot):
            block_text(block, Window(), styles)
    if snapshot.epoch_metrics is not None:
        epoch_text(snapshot.epoch_metrics, snapshot.train_size)
    for layer in snapshot.layers:
        for values in (layer.activation, layer.gradient, layer.slope):
            if values is not None:
                np.asarray(values, dtype=float).ravel()


def test_replay_walks_every_step_of_a_mutated_trace_or_refuses_it(tmp_path):
    """A second read found mutated step fields that crashed replay's regions (not the CLI the
    fuzz above drives): here each mutated trace is opened as a replay and every step of its
    timeline drawn; the only way out is the one-line TraceError (or ValueError of a seek)."""
    from netviz.session.replay import Replay
    from netviz.trace import TraceError

    rng = random.Random(SEED + 1)
    for i in range(REPLAYED):
        path = Path(shutil.copy(EXAMPLE, tmp_path / f"r{i}.nvtrace"))
        _, what = mutate_trace(path, rng)
        try:
            with Replay(path) as replay:
                snap = replay.edge(False)
                for _ in range(snap.timeline_length):
                    draw_step(snap)
                    snap = replay.move(1)
        except TraceError as refused:
            assert "\n" not in str(refused), what
        except Exception as e:  # noqa: BLE001 - the claim is that nothing else escapes
            raise AssertionError(f"{what}: {type(e).__name__}: {e}") from e
