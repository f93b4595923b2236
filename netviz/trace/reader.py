"""Reading a trace: read-only, any step by number or address, without reading the rest."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..core.network import Params, update
from ..errors import NetvizError
from ..safe import MAX_EPOCH, literal, shown, whole_number
from .checks import (
    array_problem,
    check_example,
    check_final,
    check_meta,
    check_metrics_row,
    check_names,
    check_step_fields,
)
from .schema import ARRAY_COLUMNS, FORMAT, SCHEMA_VERSION, Step, decode, parse_address

ONE_COLUMN = re.compile(r"(?:x|y|ŷ|d?[ZA][0-9]+)")  # an example's vectors in a pass
THEIRS = "theirs/"  # a check trace: the learner's own value of an op's output, by its name

if TYPE_CHECKING:
    from ..core.epoch import Figures

SQLITE_MAGIC = b"SQLite format 3\x00"
STEP_COLUMNS = "step, address, kind, epoch, example, phase, layer, op, equation, inputs, outputs"
# A file with no tables yet that changed this recently may be a trace still being created (by
# an older netviz, or where the filesystem has no hard links): wait this long for its tables.
CREATING_FRESH, CREATING_WAIT, CREATING_POLL = 2.0, 1.0, 0.05
MAX_META_ROWS, MAX_META_TEXT = 10_000, 1 << 20  # netviz writes ~20 rows of a few hundred bytes
MAX_NAMES_TEXT = 4_000  # the JSON list of an op's input or output names


class TraceError(NetvizError):
    """A file that cannot be read as a netviz trace, or a step it does not hold."""


class TraceReader:
    """A read-only view of a trace file, which may still be growing."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db = None
        try:
            self._open()
        except TraceError:
            self.close()
            raise

    def _open(self) -> None:
        deadline = time.monotonic() + CREATING_WAIT
        while True:
            if not self._fresh(empty=True):
                self._check_file()
                self.damage = self._truncation()  # "truncated: …": only the intact part reads
                try:
                    version, tables = self._connect(intact_part_only=self.damage is not None)
                except sqlite3.DatabaseError as e:
                    raise self._error(self._unreadable(f"damaged SQLite file ({e})")) from None
                if tables or not self._fresh():
                    break
                self._db.close()
            if time.monotonic() > deadline:
                raise self._error("still being created (no tables yet): try again in a moment")
            time.sleep(CREATING_POLL)
        if not {"meta", "steps", "tensors", "metrics"} <= tables:
            raise self._error(
                self._unreadable("an SQLite file, but not a netviz trace (no netviz tables)")
            )
        if version > SCHEMA_VERSION:
            raise self._error(
                f"written by a newer netviz (trace schema {version}; this netviz reads up to "
                f"{SCHEMA_VERSION}): upgrade netviz to read it"
            )
        self._tables = tables
        self.meta = self._read_meta()
        if self.meta.get("format") != FORMAT:
            raise self._error("an SQLite file, but not a netviz trace (no netviz format mark)")
        try:
            self.meta = check_meta(self.meta)
        except ValueError as e:
            raise self._error(f"damaged metadata: {e}") from None
        self._sizes = self.meta.get("sizes")  # checked: widths from 784 pixels to 10 digits

    # --- listing ----------------------------------------------------------------------------

    def steps(self, kind: str | None = None, after: int = 0) -> list[Step]:
        """Steps in order (optionally only ``epoch`` or ``op`` ones, or those after a number)."""
        where, args = "WHERE step > ?", [after]
        if kind:
            where, args = where + " AND kind = ?", [*args, kind]
        rows = self._query(f"SELECT {STEP_COLUMNS} FROM steps {where} ORDER BY step", args)
        return [self._step(r) for r in rows]

    def epochs(self) -> list[int]:
        """The epochs recorded, in order."""
        epochs = [r[0] for r in self._query("SELECT epoch FROM metrics ORDER BY epoch")]
        if epochs and not 1 <= epochs[0] <= epochs[-1] <= MAX_EPOCH:
            raise self._damaged(
                f"the metrics rows' epochs run {epochs[0]}–{epochs[-1]}, outside 1–{MAX_EPOCH:,}"
            )
        return epochs

    def last_step(self) -> int:
        """The newest committed step number (0 for an empty trace)."""
        return self._query("SELECT coalesce(max(step), 0) FROM steps")[0][0]

    def step(self, at: int | str) -> Step:
        """The step with this number or address; TraceError if there is none."""
        number = at if isinstance(at, int) else whole_number(at) if at.strip().isdigit() else None
        if number is not None:
            rows = []
            if number < 2**63:  # SQLite's INTEGER: a larger number is no step either
                rows = self._query(f"SELECT {STEP_COLUMNS} FROM steps WHERE step = ?", [number])
        elif isinstance(at, str) and at.strip().isdigit():  # ², or more than 18 digits
            rows = []
        else:
            if parse_address(at) is None:
                raise self._error(
                    f"'{shown(at)}' is not an address (like e12 or e12/x4821/bwd/L2/dZ) or "
                    "step number"
                )
            rows = self._query(f"SELECT {STEP_COLUMNS} FROM steps WHERE address = ?", [at.strip()])
        if not rows:
            raise self._error(
                f"no step {shown(at)} in this trace ({self.last_step()} steps recorded)"
            )
        return self._step(rows[0])

    # --- arrays -----------------------------------------------------------------------------

    def tensors(self, at: int | str, prefix: str = "") -> dict[str, np.ndarray]:
        """The arrays stored with one step, read-only, by name (only names starting with
        ``prefix``, if given: the rest are not read)."""
        step = self.step(at)
        rows = self._query(
            f"SELECT name, {ARRAY_COLUMNS} FROM tensors WHERE step = ? AND substr(name, 1, ?) = ?",
            [step.step, len(prefix), prefix],
        )
        return {literal(name): self._decode(name, *stored) for name, *stored in rows}

    def op_arrays(self, at: int | str) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """(inputs, outputs) of an op step: outputs are its own tensors; each input is the
        latest array of that name recorded up to it in the same example's pass (the pass's
        context, x, y, W, b and α, is stored with its first op)."""
        step = self.step(at)
        if step.kind != "op":
            raise self._error(f"{step.address} is an epoch step, not an op")
        stored = self.tensors(step.step)
        lost = ", ".join(name for name in step.outputs if name not in stored)
        if lost:
            raise self._damaged(f"{step.address} lists outputs it does not hold: {lost}")
        outputs = {name: stored[name] for name in step.outputs}
        inputs = {}
        for name in step.inputs:
            # An input that is also this op's output (W1 in W1 ← W1 − α·dW1) is the older value.
            before = "<" if name in step.outputs else "<="
            rows = self._query(
                "SELECT t.dtype, t.shape, t.encoding, t.crc32, t.data "
                "FROM tensors t JOIN steps s ON s.step = t.step "
                f"WHERE s.epoch = ? AND s.example = ? AND s.step {before} ? AND t.name = ? "
                "ORDER BY s.step DESC LIMIT 1",
                [step.epoch, step.example, step.step, name],
            )
            if rows:
                inputs[name] = self._decode(name, *rows[0])
        return inputs, outputs

    def pass_steps(self, epoch: int, example: int) -> list[Step]:
        """The op steps of example ``example``'s pass at epoch ``epoch``, in order."""
        rows = self._query(
            f"SELECT {STEP_COLUMNS} FROM steps WHERE kind = 'op' AND epoch = ? AND example = ? "
            "ORDER BY step",
            [epoch, example],
        )
        return [self._step(r) for r in rows]

    def pass_ops(self, epoch: int, example: int) -> list[tuple[Step, dict, dict, dict]]:
        """Every op of example ``example``'s pass at epoch ``epoch``, in order, as (step,
        inputs, outputs, theirs): what :meth:`op_arrays` gives for each op, read in one query,
        and, in a check trace, the learner's own value of each output they kept (stored as
        ``theirs/NAME``; empty otherwise)."""
        steps = self.pass_steps(epoch, example)
        rows = self._query(
            f"SELECT t.step, t.name, {', '.join('t.' + c for c in ARRAY_COLUMNS.split(', '))} "
            "FROM tensors t JOIN steps s ON s.step = t.step "
            "WHERE s.kind = 'op' AND s.epoch = ? AND s.example = ?",
            [epoch, example],
        )
        by_step: dict[int, dict[str, np.ndarray]] = {}
        for number, name, *stored in rows:
            by_step.setdefault(number, {})[literal(name)] = self._decode(name, *stored)
        known: dict[str, np.ndarray] = {}  # the latest array of each name so far in the pass
        out = []
        L = None if self._sizes is None else len(self._sizes) - 1
        for step in steps:
            if step.layer is not None and L is not None and step.layer > L:
                raise self._damaged(
                    f"{step.address} names layer {step.layer} of a {L}-layer network"
                )
            stored = by_step.get(step.step, {})
            for name, a in stored.items():  # one example's pass: its vectors are one column
                if ONE_COLUMN.fullmatch(name) and (a.ndim != 2 or a.shape[1] != 1):
                    raise self._damaged(f"{step.address}'s {name} is {a.shape}, not one column")
            lost = ", ".join(name for name in step.outputs if name not in stored)
            if lost:
                raise self._damaged(f"{step.address} lists outputs it does not hold: {lost}")
            inputs = {}
            for name in step.inputs:  # an input that is also an output is the older value
                value = (
                    known.get(name) if name in step.outputs else stored.get(name, known.get(name))
                )
                if value is not None:
                    inputs[name] = value
            outputs = {name: stored[name] for name in step.outputs}
            out.append((step, inputs, outputs, self._theirs(step, stored)))
            known.update(stored)
        return out

    def _theirs(self, step: Step, stored: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The learner's values stored with an op (``theirs/NAME`` for an output NAME), by
        output name. Any shape (a mistake may give one), but floating point and at most 2-D;
        a ``theirs/`` name that is no output of the op is not theirs of anything: left out."""
        theirs = {}
        for name in step.outputs:
            a = stored.get(THEIRS + name)
            if a is None:
                continue
            if a.dtype.kind != "f" or a.ndim > 2:
                raise self._damaged(
                    f"{step.address}'s {THEIRS}{name} is a {a.ndim}-D {a.dtype} array, not the "
                    "values of a learner's vector or matrix"
                )
            theirs[name] = a
        return theirs

    def metric_rows(self, after: int = -1) -> list[dict]:
        """The metrics rows of the epochs after ``after``, as dicts (no pandas: fast to open);
        each checked: whole epochs, step and m, a finite α, numbers (or empty) elsewhere."""
        return self._metrics_table(after)[1]

    def _metrics_table(self, after: int = -1, limit: int = -1) -> tuple[list[str], list[dict]]:
        """(column names, checked rows) of the epochs after ``after``, at most ``limit`` rows
        (-1: all)."""
        try:
            cursor = self._db.execute(
                "SELECT * FROM metrics WHERE epoch > ? ORDER BY epoch LIMIT ?", [after, limit]
            )
            names = [d[0] for d in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        except sqlite3.DatabaseError as e:
            raise self._damaged(e) from None
        try:
            return names, [check_metrics_row(row) for row in rows]
        except ValueError as e:
            raise self._damaged(e) from None

    def weights(self, epoch: int) -> Params:
        """The weights after ``epoch`` epochs, bit for bit: the nearest checkpoint at or before
        it, then the recorded updates W ← W − α·ΣdW/m replayed with training's own rule."""
        if not 0 <= epoch <= MAX_EPOCH:
            raise self._error(f"no weights recorded at epoch {epoch}")
        rows = self._query("SELECT max(epoch) FROM checkpoints WHERE epoch <= ?", [epoch])
        start = rows[0][0]
        if start is None:
            raise self._error(f"no weights recorded at or before epoch {epoch}")
        if not isinstance(start, int) or start < 0:
            raise self._damaged(f"a checkpoint's epoch is {shown(start)}")
        params = Params.from_named(self._weights_at(start))
        # Each epoch from the checkpoint on needs its recorded sums (else the loop stops with a
        # refusal): it runs at most once per recorded epoch, whatever ``epoch`` says.
        for e in range(start + 1, epoch + 1):
            sums = self.epoch_sums(e)
            if sums is None:
                raise self._error(
                    f"the weights of epoch {epoch} cannot be rebuilt: epoch {e}'s gradients were "
                    f"not recorded (checkpoints: {self._checkpoint_epochs()})"
                )
            alpha, m, dW, db = sums
            params = update(params, dW, db, alpha, m)
        return params

    def final(self) -> Figures | None:
        """The run's final figures, a :class:`~netviz.core.epoch.Figures`: cost and accuracies at
        the weights after its last update. None when the run did not finish (killed) or the
        trace predates the ``final`` table. (Each metrics row is at the weights its epoch
        started from.)"""
        from ..core.epoch import Figures  # numbers, not a dependency of opening a trace

        if "final" not in self._tables:
            return None
        rows = self._query(
            "SELECT epoch, cost, train_accuracy, test_accuracy FROM final "
            "ORDER BY epoch DESC LIMIT 1"
        )
        if not rows:
            return None
        epoch, *figures = rows[0]
        if not isinstance(epoch, int):
            raise self._damaged("the final figures' row reads as empty")
        try:
            check_final(epoch, tuple(figures))
        except ValueError as e:
            raise self._damaged(e) from None
        return Figures(epoch, *(float("nan") if v is None else float(v) for v in figures))

    def epoch_sums(self, epoch: int):
        """(α, m, [ΣdW1, …], [Σdb1, …]) of a recorded epoch, or None when its ΣdW was not kept
        (``--record minimal``): what :meth:`weights` replays. One metrics row, no pandas."""
        rows = self._metrics_table(after=epoch - 1, limit=1)[1]
        if not rows or rows[0]["epoch"] != epoch:
            return None
        step, alpha, m = rows[0]["step"], rows[0]["alpha"], rows[0]["m"]
        arrays = self.tensors(step)
        if not any(k.startswith("dW") for k in arrays):
            return None  # --record minimal: no sums kept
        L = self._layers(arrays, "dW")
        lost = [f"{p}{l}" for l in range(1, L + 1) for p in ("dW", "db") if f"{p}{l}" not in arrays]
        if lost:
            raise self._damaged(f"epoch {epoch} holds no {', '.join(lost)}")
        dW = [arrays[f"dW{l}"] for l in range(1, L + 1)]
        db = [arrays[f"db{l}"] for l in range(1, L + 1)]
        return float(alpha), m, dW, db

    def metrics(self):
        """The metrics table as a pandas DataFrame indexed by epoch."""
        import pandas as pd

        names, rows = self._metrics_table()  # checked, row by row
        frame = pd.DataFrame.from_records(rows, columns=names)
        return frame.set_index("epoch")

    def example(self, index: int) -> tuple[np.ndarray, int | None]:
        """(pixels (784,) uint8, label) of an example shown in this run."""
        rows = self._query("SELECT label, pixels FROM examples WHERE example = ?", [index])
        if not rows:
            raise self._error(f"example {index} was not recorded")
        label, pixels = rows[0]
        try:
            return check_example(index, pixels, label)
        except ValueError as e:
            raise self._damaged(e) from None

    def follow(self, poll: float = 0.2, timeout: float | None = None) -> Iterator[Step]:
        """Yield steps as they are committed, from the first, until ``timeout`` seconds pass
        with nothing new (forever if None)."""
        seen, idle_since = 0, time.monotonic()
        while True:
            new = self.steps(after=seen)
            if new:
                yield from new
                seen, idle_since = new[-1].step, time.monotonic()
            elif timeout is not None and time.monotonic() - idle_since > timeout:
                return
            else:
                time.sleep(poll)

    def counts(self) -> dict[str, int]:
        """How many steps, epochs, ops, examples and tensors the trace holds."""
        q = {
            "steps": "SELECT count(*) FROM steps",
            "epochs": "SELECT count(*) FROM metrics",
            "ops": "SELECT count(*) FROM steps WHERE kind = 'op'",
            "examples": "SELECT count(*) FROM examples",
            "tensors": "SELECT count(*) FROM tensors",
            "checkpoints": "SELECT count(DISTINCT epoch) FROM checkpoints",
        }
        return {k: self._query(sql)[0][0] for k, sql in q.items()}

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> TraceReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- inside -----------------------------------------------------------------------------

    def _check_file(self) -> None:
        if not self.path.exists():
            raise self._error("no such file")
        if not self.path.is_file():
            raise self._error("not a file")
        try:
            with open(self.path, "rb") as f:
                head = f.read(len(SQLITE_MAGIC))
        except OSError as e:
            raise self._error(f"cannot read ({e.strerror or e})") from None
        if head != SQLITE_MAGIC:
            raise self._error("not a netviz trace (not an SQLite database)")

    def _query(self, sql: str, args=()) -> list[tuple]:
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as e:
            raise self._damaged(e) from None

    def _connect(self, intact_part_only: bool = False) -> tuple[int, set[str]]:
        """Open read-only; (schema version, table names)."""
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        try:
            if intact_part_only:
                # SQLite refuses a file shorter than its header says unless the schema is
                # writable; on a read-only connection that only lets it read the pages present.
                self._db.execute("PRAGMA writable_schema = ON")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError:
            self._db.close()
            raise
        return version, tables

    def _truncation(self) -> str | None:
        """``truncated: N of its M bytes are left`` when the header promises more than the file
        holds. The header's page count is trusted only when SQLite marks it valid, and not while
        a -wal file exists: then the WAL, not the header, says how long the database is."""
        with open(self.path, "rb") as f:
            header = f.read(100)
        size = len(header) if len(header) < 100 else self.path.stat().st_size
        if size < 100:
            return f"truncated: {size:,} bytes are left, less than SQLite's 100-byte header"
        if header[24:28] != header[92:96] or Path(f"{self.path}-wal").exists():
            return None
        page_size = int.from_bytes(header[16:18], "big")
        expected = (65536 if page_size == 1 else page_size) * int.from_bytes(header[28:32], "big")
        if size >= expected:
            return None
        return f"truncated: {size:,} of its {expected:,} bytes are left"

    def _unreadable(self, problem: str) -> str:
        """Why the file cannot be opened: its truncation if it is cut short, else ``problem``."""
        return f"{self.damage}; nothing can be read" if self.damage else problem

    def _step(self, row: tuple) -> Step:
        try:
            return _step(row)
        except ValueError as e:
            raise self._damaged(f"step {shown(row[0])}'s {e}") from None

    def _damaged(self, e: Exception | str) -> TraceError:
        if self.damage:
            return self._error(f"{self.damage}, and what was asked for is in the lost part ({e})")
        return self._error(f"damaged trace ({e})")

    def _read_meta(self) -> dict:
        count, longest = self._query("SELECT count(*), max(length(value)) FROM meta")[0]
        if count > MAX_META_ROWS or (longest or 0) > MAX_META_TEXT:
            raise self._error(
                f"damaged metadata: {count:,} rows, the longest {longest:,} characters (netviz "
                f"writes a few dozen short ones)"
            )
        meta = {}
        for key, value in self._query("SELECT key, value FROM meta"):
            if not isinstance(key, str) or not isinstance(value, str):
                # a page cut short reads as zeros: its rows come back as NULLs
                raise self._damaged("a metadata row reads as empty")
            try:
                meta[key] = json.loads(value)
            except (ValueError, RecursionError):  # not JSON, huge numbers, deep nesting
                raise self._error(f"damaged metadata: '{shown(key)}' is not JSON") from None
        return meta

    def _decode(self, name: str, *stored) -> np.ndarray:
        try:
            array = decode(*stored)
        except (ValueError, TypeError, RecursionError) as e:
            raise self._error(f"damaged tensor '{shown(name)}': {e}") from None
        problem = array_problem(literal(name), array, self._sizes)
        if problem:
            raise self._error(f"damaged tensor '{shown(name)}': {problem}")
        return array

    def _checkpoint(self, epoch: int) -> dict[str, np.ndarray]:
        rows = self._query(
            f"SELECT name, {ARRAY_COLUMNS} FROM checkpoints WHERE epoch = ?", [epoch]
        )
        return {literal(name): self._decode(name, *stored) for name, *stored in rows}

    def _weights_at(self, epoch: int) -> dict[str, np.ndarray]:
        """The checkpoint of ``epoch``: W1, b1, … of every layer, shapes checked, nothing else."""
        arrays = self._checkpoint(epoch)
        L = self._layers(arrays, "W")
        expected = {f"{p}{l}" for l in range(1, L + 1) for p in "Wb"}
        if set(arrays) != expected:
            found = ", ".join(shown(name) for name in sorted(arrays)) or "nothing"
            raise self._damaged(f"the checkpoint of epoch {epoch} holds {found}")
        return arrays

    def _layers(self, arrays: dict, prefix: str) -> int:
        """The network's weight layers: from the metadata's sizes, else by counting."""
        if self._sizes is not None:
            return len(self._sizes) - 1
        return sum(1 for k in arrays if k.startswith(prefix) and k[len(prefix) :].isdecimal())

    def _fresh(self, empty: bool = False) -> bool:
        """Whether the file changed in the last CREATING_FRESH seconds (being created?), and,
        if ``empty``, holds no bytes yet."""
        try:
            stat = self.path.stat()
        except OSError:
            return False
        if empty and (stat.st_size > 0 or not self.path.is_file()):
            return False
        return time.time() - stat.st_mtime < CREATING_FRESH

    def _checkpoint_epochs(self) -> str:
        epochs = [r[0] for r in self._query("SELECT DISTINCT epoch FROM checkpoints ORDER BY 1")]
        return ", ".join(map(str, epochs)) or "none"

    def _error(self, problem: str) -> TraceError:
        return TraceError(f"{self.path}: {problem}")


def _step(row: tuple) -> Step:
    """A steps row as a Step; ValueError saying what of it is wrong (``inputs or outputs are
    not a list of names: …``, ``epoch is 'x': not a whole number``)."""
    *fields, inputs, outputs = row
    texts = (inputs, outputs)
    try:
        if not all(t is None or (isinstance(t, str) and len(t) <= MAX_NAMES_TEXT) for t in texts):
            raise ValueError(f"{shown(inputs)}, {shown(outputs)}")
        names = [check_names(json.loads(text) if text else []) for text in texts]
    except (ValueError, RecursionError) as e:
        raise ValueError(f"inputs or outputs are not a list of names: {e}") from None
    return Step(*check_step_fields(fields), *names)
