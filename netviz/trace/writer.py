"""Writing a trace: one SQLite transaction per recorded step or epoch, in WAL mode.

A process killed at any instant leaves a file that opens and holds every step committed before
the kill (SQLite's WAL with synchronous=NORMAL survives a process crash; only an OS crash or
power cut can lose the last commits). Readers may follow the file while it is written.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from ..errors import NetvizError
from ..files import folder_problem
from .schema import ARRAY_COLUMNS, FORMAT, PAGE_SIZE, SCHEMA_VERSION, TABLES, encode, metrics_table

MARKS = ", ".join("?" * (2 + len(ARRAY_COLUMNS.split(", "))))  # a key, a name, then the array
TEMPORARY = "netviz-"  # in the name of a trace's file while it is made: .NAME.netviz-XXXX.creating
STALE = 3600  # seconds: a trace's temporary file this old was left by a killed process


class TraceWriteError(NetvizError):
    """A trace that could no longer be written (a full disk, say): every step committed before
    stays in it, readable; the writer refuses any more."""


class TraceWriter:
    """Appends steps to a new trace file. Use as a context manager, or call :meth:`close`.

    A write that fails (SQLite cannot commit: the disk is full, the file was removed) is undone
    whole and raised as :class:`TraceWriteError`, one line naming the file; every later write
    is refused with the same, so the file ends at the last step committed, with no gap.
    """

    def __init__(self, path: str | Path, meta: Mapping[str, object], layers: int) -> None:
        """Create ``path`` (refusing to overwrite) for a network of ``layers`` weight layers.

        The file appears whole or not at all: its tables and metadata are written under a
        temporary name in the same folder, then linked to ``path``, which fails if ``path``
        exists. Of two runs started together on one ``--trace`` path, one creates it and the
        other is told it already exists; a reader never sees a trace without its tables.
        """
        self.path = Path(path)
        self.layers = layers
        self.failure: str | None = None  # why writing stopped, once a write has failed
        self.reason = ""  # SQLite's words for it: "database or disk is full"
        self._step = 0
        self._db = None
        problem = folder_problem(self.path)  # a file where its folder should be
        if problem:
            raise NetvizError(f"{self.path}: cannot create trace ({problem})")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.exists():  # the common case, told before any work
                raise FileExistsError
            _sweep(self.path.parent)
            _publish(_built(self.path, meta, layers), self.path)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        except FileExistsError:
            raise NetvizError(f"{self.path}: already exists; choose another trace name") from None
        except OSError as e:
            raise NetvizError(f"{self.path}: cannot create trace ({e.strerror or e})") from None
        except sqlite3.Error as e:
            if self._db is not None:
                self._db.close()
            raise NetvizError(f"{self.path}: cannot create trace ({e})") from None

    # --- what a recorder calls -------------------------------------------------------------

    def set_meta(self, meta: Mapping[str, object]) -> None:
        """Add or replace run metadata (JSON-serialisable values)."""
        with self._transaction():
            self._put_meta(meta)

    def add_examples(self, examples: Iterable[tuple[int, int | None, np.ndarray]]) -> None:
        """Record (index, label, pixels uint8 (784,)) of examples shown, once each."""
        rows = [(int(i), None if y is None else int(y), np.asarray(p, np.uint8).tobytes())
                for i, y, p in examples]  # fmt: skip
        with self._transaction():
            self._db.executemany("INSERT OR IGNORE INTO examples VALUES (?, ?, ?)", rows)

    def add_checkpoint(self, epoch: int, arrays: Mapping[str, np.ndarray]) -> None:
        """The weights after ``epoch`` epochs (epoch 0: the initial weights)."""
        with self._transaction():
            self._put_checkpoint(epoch, arrays)

    def add_epoch(
        self,
        epoch: int,
        metrics: Mapping[str, float],
        tensors: Mapping[str, np.ndarray],
        checkpoint: Mapping[str, np.ndarray] | None = None,
    ) -> int:
        """One epoch step with its metrics row and tensors, and ``checkpoint``, the weights
        after it, when given: in one transaction, all or none; its step number."""
        with self._transaction():
            step = self._new_step(f"e{epoch}", "epoch", epoch)
            self._put_tensors(step, tensors)
            if checkpoint is not None:
                self._put_checkpoint(epoch, checkpoint)
            columns = ["epoch", "step", *metrics]
            marks = ", ".join("?" * len(columns))
            self._db.execute(
                f"INSERT INTO metrics ({', '.join(columns)}) VALUES ({marks})",
                (epoch, step, *(None if v is None else float(v) for v in metrics.values())),
            )
        return step

    def set_final(
        self, epoch: int, cost: float, train_accuracy: float, test_accuracy: float | None
    ) -> None:
        """The run's final figures: cost and accuracies at the weights after ``epoch`` epochs'
        updates (replacing any written before: the table holds one row)."""
        with self._transaction():
            self._db.execute("DELETE FROM final")
            self._db.execute(
                "INSERT INTO final (epoch, cost, train_accuracy, test_accuracy) "
                "VALUES (?, ?, ?, ?)",
                (epoch, *map(_real, (cost, train_accuracy, test_accuracy))),
            )

    def add_pass(
        self,
        epoch: int,
        example: int,
        ops: Sequence[tuple[str, Mapping[str, object], Mapping[str, np.ndarray]]],
    ) -> list[int]:
        """One example's pass, in one transaction (a pass is recorded whole or not at all): for
        each op its address, its fields (phase, layer, op, equation, inputs, outputs) and its
        tensors. Returns the ops' step numbers."""
        steps = []
        with self._transaction():
            for address, op, tensors in ops:
                step = self._new_step(
                    address,
                    "op",
                    epoch,
                    example,
                    op["phase"],
                    op["layer"],
                    op["op"],
                    op["equation"],
                    json.dumps(list(op["inputs"]), ensure_ascii=False),
                    json.dumps(list(op["outputs"]), ensure_ascii=False),
                )
                self._put_tensors(step, tensors)
                steps.append(step)
        return steps

    def close(self) -> None:
        """Finish the file: fold the WAL back in so the trace is one self-contained file."""
        if self._db is None:
            return
        try:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.Error:
            pass  # a reader still has it open, or the disk is full: the WAL stays beside the
            # file, and a reader applies it
        self._db.close()
        self._db = None

    def __enter__(self) -> TraceWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- inside -----------------------------------------------------------------------------

    def _transaction(self) -> _Transaction:
        if self.failure is not None:
            raise TraceWriteError(self.failure)
        return _Transaction(self._db, self._failed)

    def _failed(self, error: sqlite3.Error) -> Exception:
        """Writing stops for good after an error of the file or its disk (a trace with a step
        missing would replay wrongly); another error (a bug of netviz's) is raised as it is."""
        if not _of_the_file(error):
            return error
        self.reason = str(error)
        self.failure = (
            f"{self.path}: cannot write to the trace ({error}); it keeps every step written before"
        )
        return TraceWriteError(self.failure)

    def _new_step(self, address: str, kind: str, epoch: int, *rest) -> int:
        self._step += 1
        fields = (self._step, address, kind, epoch, *rest)
        marks = ", ".join("?" * len(fields))
        columns = "step, address, kind, epoch, example, phase, layer, op, equation, inputs, outputs"
        names = ", ".join(columns.split(", ")[: len(fields)])
        self._db.execute(f"INSERT INTO steps ({names}) VALUES ({marks})", fields)
        return self._step

    def _put_tensors(self, step: int, tensors: Mapping[str, np.ndarray]) -> None:
        rows = [(step, name, *encode(a)) for name, a in tensors.items()]
        self._db.executemany(
            f"INSERT INTO tensors (step, name, {ARRAY_COLUMNS}) VALUES ({MARKS})", rows
        )

    def _put_checkpoint(self, epoch: int, arrays: Mapping[str, np.ndarray]) -> None:
        rows = [(epoch, name, *encode(a)) for name, a in arrays.items()]
        self._db.executemany(
            f"INSERT INTO checkpoints (epoch, name, {ARRAY_COLUMNS}) VALUES ({MARKS})", rows
        )

    def _put_meta(self, meta: Mapping[str, object]) -> None:
        rows = [(k, json.dumps(v, ensure_ascii=False)) for k, v in meta.items()]
        self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", rows)


def _built(path: Path, meta: Mapping[str, object], layers: int) -> Path:
    """A new trace's file with its tables and metadata, committed, under a temporary name
    beside ``path`` (removed again if anything fails); that name."""
    prefix = f".{path.name}.{TEMPORARY}"
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".creating")
    os.close(fd)
    tmp = Path(name)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as sqlite3 would create it, not mkstemp's 0600
        db = sqlite3.connect(tmp, isolation_level=None)
        try:
            db.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # before the first table
            with _Transaction(db, lambda e: e):  # its errors are the caller's to word
                for statement in (TABLES + metrics_table(layers - 1, layers)).split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                rows = [
                    (k, json.dumps(v, ensure_ascii=False))
                    for k, v in {"format": FORMAT, "schema": SCHEMA_VERSION, **meta}.items()
                ]
                db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", rows)  # fmt: skip
        finally:
            db.close()  # rollback journal mode: nothing but the one file to move
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _sweep(folder: Path) -> None:
    """Remove the temporary files of trace creations that never finished (a process killed
    between creating one and naming it: under a second's work) from ``folder``: those over
    an hour old, so none that another process is still writing."""
    now = time.time()
    for tmp in folder.glob(f".*.{TEMPORARY}*.creating"):
        try:
            seen = tmp.lstat()
            if stat.S_ISREG(seen.st_mode) and now - seen.st_mtime > STALE:
                tmp.unlink()
        except OSError:
            pass  # gone already, or not ours to remove: it costs a hidden file


def _publish(tmp: Path, path: Path) -> None:
    """Give the finished file ``tmp`` the name ``path``, atomically, unless ``path`` exists
    (FileExistsError then). A hard link is refused if the name is taken; where a filesystem
    has no hard links, an exclusive create reserves the name and a rename fills it."""
    try:
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise
        except OSError:  # no hard links here (some network and FAT filesystems)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _of_the_file(error: sqlite3.Error) -> bool:
    """An error of the file or its disk (full, read-only, an I/O error, damaged), not of the
    statements: OperationalError, or a plain DatabaseError ("database disk image is
    malformed"); an IntegrityError, say, is a bug."""
    return isinstance(error, sqlite3.OperationalError) or type(error) is sqlite3.DatabaseError


def _real(value: float | None) -> float | None:
    """A number for a REAL column; NaN (no test set, a diverged cost) as NULL, as SQLite would."""
    return None if value is None or value != value else float(value)


class _Transaction:
    """BEGIN … COMMIT, or ROLLBACK on an exception: all of a step or none of it. An SQLite
    error on the way (SQLITE_FULL at COMMIT, most often) rolls back and becomes ``failed(e)``."""

    def __init__(
        self, db: sqlite3.Connection, failed: Callable[[sqlite3.Error], Exception]
    ) -> None:
        self.db, self.failed = db, failed

    def __enter__(self) -> None:
        try:
            self.db.execute("BEGIN")
        except sqlite3.Error as e:
            raise self.failed(e) from None

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self.db.execute("COMMIT")
                return
            except sqlite3.Error as e:
                exc = e
        if self.db.in_transaction:
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # SQLite rolled back itself, or will when the file is closed
        if isinstance(exc, sqlite3.Error):
            raise self.failed(exc) from None
