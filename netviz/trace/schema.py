"""The trace file format: an SQLite database, its tables, addresses, and arrays as raw bytes.

A trace is one run of one network. Steps are numbered from 1 in the order they were recorded:

- an **epoch step**, address ``e12``: the 12th full-batch epoch, from the weights after 11 epochs
  to the weights after 12. Its tensors are ΣdWl and Σdbl (sums over the m examples), each hidden
  neuron's mean activation ``Al_mean`` and saturated fraction ``Al_saturated``, and the watched
  examples' ``watch/Zl``, ``watch/Al``, ``watch/dZl`` (one column per watched example).
- an **op step**, address ``e12/x4821/bwd/L2/dZ``: one op of example 4821's pass at the weights
  after 12 epochs. It holds the op's outputs; the first op of a pass also holds the pass's
  context: ``x``, ``y``, every ``Wl`` and ``bl`` used, and ``α`` when the pass ends in an update.
  The step lists the names of the op's inputs and outputs.

The ``metrics`` table has one row per epoch, **measured at the weights that epoch started from**
(the weights after epoch − 1, before its update; a by-product of its gradient pass): ``cost`` the
mean cross-entropy over the m training examples, ``train_accuracy`` and ``test_accuracy`` the
fractions predicted right, ``grad_norm_Ll`` = ‖ΣdWl‖/m, the Frobenius norm of the epoch's mean
gradient ∂C/∂Wl (not a mean of per-example norms; biases not included), and ``saturated_Ll``
the mean over layer l's neurons of the fraction of examples where that neuron is saturated.

The ``final`` table (one row, written when a run ends; absent from older traces and empty in a
run killed before it ended) holds the same cost and accuracies **at the weights the run ended
with**, after the update of epoch ``epoch``: what ``netviz train`` prints last. An epoch's row
and the final row are measured alike: the final row of a run stopped after epoch 3 is what epoch
4's row would say. Older readers ignore the table, so adding it needed no new schema version.

A **fork** (``netviz train --from PARENT --at e3``) is a trace like any other whose epochs are
numbered from 4: its first checkpoint holds the weights after 3 epochs, the parent's, from which
its epoch ``e4`` starts. Its ``meta`` names the parent: ``parent`` (the path it was given),
``parent_run_id`` (the parent's ``run_id``; null for a trace from before run ids), ``fork_epoch``
(3), ``fork_weights_sha256`` (of the weights it started from, see
``netviz.training.fork.weights_digest``) and ``fork_changes`` (``{"alpha": [0.8, 0.4]}``: each
option it changed, the parent's value then its own). Older readers see extra metadata keys only.

Arrays are stored as little-endian bytes with their dtype, shape and CRC-32 (SQLite keeps no
checksums of its own, so a damaged array is caught, not read back as other numbers), read back
with ``numpy.frombuffer``; nothing is ever pickled. An array with many exact zeros (ΣdW1 of a
network whose sigmoids saturate, or of pixels that are 0 in every image) is stored ``nonzero``:
a bit mask of its non-zero entries, then those entries; lossless, bit for bit, −0.0 included.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..safe import over_budget, shown

SCHEMA_VERSION = 1
FORMAT = "netviz trace"  # meta['format'], so a reader can tell a netviz trace from other SQLite
SUFFIX = ".nvtrace"
ALLOWED_DTYPES = {"<f8", "<f4", "|u1", "<i8", "|b1"}
MAX_DIMS = 8  # netviz stores vectors and matrices; numpy itself allows 64
MAX_SHAPE_TEXT = 200

# Rowid tables, not WITHOUT ROWID: with 100 kB blobs (ΣdW1) the latter made files 40 % larger.
# 16 KiB pages: fewer overflow pages per blob, 3 % smaller than the default 4 KiB (measured).
PAGE_SIZE = 16384
TABLES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE steps (
    step     INTEGER PRIMARY KEY,
    address  TEXT NOT NULL UNIQUE,
    kind     TEXT NOT NULL CHECK (kind IN ('epoch', 'op')),
    epoch    INTEGER NOT NULL,
    example  INTEGER,
    phase    TEXT,
    layer    INTEGER,
    op       TEXT,
    equation TEXT,
    inputs   TEXT,
    outputs  TEXT
);
CREATE INDEX steps_by_pass ON steps (epoch, example);
CREATE TABLE tensors (
    step     INTEGER NOT NULL REFERENCES steps (step),
    name     TEXT NOT NULL,
    dtype    TEXT NOT NULL,
    shape    TEXT NOT NULL,
    encoding TEXT NOT NULL CHECK (encoding IN ('raw', 'nonzero')),
    crc32    INTEGER NOT NULL,
    data     BLOB NOT NULL,
    UNIQUE (step, name)
);
CREATE TABLE checkpoints (
    epoch    INTEGER NOT NULL,
    name     TEXT NOT NULL,
    dtype    TEXT NOT NULL,
    shape    TEXT NOT NULL,
    encoding TEXT NOT NULL CHECK (encoding IN ('raw', 'nonzero')),
    crc32    INTEGER NOT NULL,
    data     BLOB NOT NULL,
    UNIQUE (epoch, name)
);
CREATE TABLE examples (
    example INTEGER PRIMARY KEY,
    label   INTEGER,
    pixels  BLOB NOT NULL
);
CREATE TABLE final (
    epoch          INTEGER PRIMARY KEY,
    cost           REAL,
    train_accuracy REAL,
    test_accuracy  REAL
);
"""


def metrics_table(hidden_layers: int, layers: int) -> str:
    """The metrics table for a network: one row per epoch, per-layer columns by name."""
    per_layer = [f"grad_norm_L{l} REAL" for l in range(1, layers + 1)]
    per_layer += [f"saturated_L{l} REAL" for l in range(1, hidden_layers + 1)]
    return (
        "CREATE TABLE metrics (epoch INTEGER PRIMARY KEY, step INTEGER NOT NULL, "
        "m INTEGER NOT NULL, alpha REAL NOT NULL, cost REAL, train_accuracy REAL, "
        f"test_accuracy REAL, {', '.join(per_layer)});"
    )


@dataclass(frozen=True)
class Step:
    """One recorded step, as listed by a reader."""

    step: int
    address: str
    kind: str  # "epoch" or "op"
    epoch: int
    example: int | None = None
    phase: str | None = None
    layer: int | None = None
    op: str | None = None
    equation: str | None = None
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()


def epoch_address(epoch: int) -> str:
    return f"e{epoch}"


def op_address(epoch: int, example: int, op_address: str) -> str:
    """``e12/x4821/`` + the op's own address (``bwd/L2/dZ``, ``cost``)."""
    return f"e{epoch}/x{example}/{op_address}"


# ASCII digits, at most 18 (an int64): int() never meets ``²`` or a 5,000-digit number. No
# quantified group holds another, so a long non-address fails in linear time.
ADDRESS = re.compile(
    r"e(?P<epoch>[0-9]{1,18})(?:/x(?P<example>[0-9]{1,18})"
    r"(?:/(?P<rest>cost|(?:fwd|bwd|upd)/L[0-9]{1,3}/\w{1,20}))?)?"
)
MAX_ADDRESS = 80  # characters; longer text is not an address (and is not scanned)


def parse_address(text: str) -> dict | None:
    """The parts of an address (epoch, example, rest), or None when it is not one."""
    if len(text) > MAX_ADDRESS:
        return None
    m = ADDRESS.fullmatch(text.strip())
    if m is None:
        return None
    parts = m.groupdict()
    return {
        "epoch": int(parts["epoch"]),
        "example": None if parts["example"] is None else int(parts["example"]),
        "rest": parts["rest"],
    }


OWN_DIGITS = "own_digits"  # meta: what each learner's own digit was, {"3000": "my3.png"}


def own_digit_name(meta: Mapping[str, object], index: int) -> str | None:
    """What example ``index`` is if it is a learner's own digit: the name the tour gave it
    ("your drawing", "my3.png"), or, where the trace has none readable (an older trace), "a
    digit of the learner's own" for an index past the training set's; None for a training
    example."""
    names = meta.get(OWN_DIGITS)
    name = names.get(str(index)) if isinstance(names, dict) else None
    if isinstance(name, str) and name:
        return name
    train_size = meta.get("train_size")
    if isinstance(train_size, int) and not isinstance(train_size, bool) and index >= train_size:
        return "a digit of the learner's own"
    return None


ARRAY_COLUMNS = "dtype, shape, encoding, crc32, data"  # as encode() returns them
SPARSE_FROM = 0.1  # store ``nonzero`` when at least this fraction of entries is exactly zero


def encode(array: np.ndarray) -> tuple[str, str, str, int, bytes]:
    """(dtype, shape, encoding, crc32, bytes) of ``array``, little-endian, C order."""
    a = np.asarray(array)
    if a.dtype.kind == "f" and a.dtype.itemsize not in (4, 8):
        a = a.astype(np.float64)
    a = a.astype(a.dtype.newbyteorder("<"), order="C", copy=False)  # keeps 0-d arrays 0-d
    if a.dtype.str not in ALLOWED_DTYPES:
        raise ValueError(f"cannot store dtype {a.dtype} in a trace")
    flat = a.reshape(-1)
    bits = flat.view(f"<u{a.dtype.itemsize}") if a.dtype.kind == "f" else flat
    nonzero = bits != 0  # on the bits, so −0.0 counts as non-zero and survives
    encoding, data = "raw", flat.tobytes()
    if flat.size >= 64 and np.count_nonzero(nonzero) <= (1 - SPARSE_FROM) * flat.size:
        encoding, data = "nonzero", np.packbits(nonzero).tobytes() + flat[nonzero].tobytes()
    return a.dtype.str, json.dumps(list(a.shape)), encoding, zlib.crc32(data), data


def decode(dtype: str, shape: str, encoding: str, crc32: int, data: bytes) -> np.ndarray:
    """The read-only array stored by :func:`encode`; ValueError if anything does not agree."""
    if dtype not in ALLOWED_DTYPES:
        raise ValueError(f"unsupported dtype {shown(dtype)}")
    if not isinstance(shape, str) or len(shape) > MAX_SHAPE_TEXT:
        raise ValueError(f"bad shape {shown(shape)}")
    dims = json.loads(shape)
    if (
        not isinstance(dims, list)
        or len(dims) > MAX_DIMS
        or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in dims)
    ):
        raise ValueError(f"bad shape {shown(shape)}")
    if not isinstance(data, bytes) or not isinstance(crc32, int):
        raise ValueError("its bytes or checksum are not stored as such")
    # From the stored shape, before anything is allocated: a mask claiming 1.6e9 entries is
    # refused here, not after 13 s and 3 GB.
    size, kind = math.prod(dims), np.dtype(dtype)
    problem = over_budget(size * kind.itemsize, f"a {tuple(dims)} {kind} array")
    if problem:
        raise ValueError(problem)
    if zlib.crc32(data) != crc32:
        raise ValueError("its bytes do not match their checksum")
    if encoding == "raw":
        a = np.frombuffer(data, dtype=kind)
    elif encoding == "nonzero":
        mask_bytes = (size + 7) // 8
        if mask_bytes > len(data):
            raise ValueError(f"{len(data):,} bytes cannot hold the mask of {size:,} entries")
        mask = np.unpackbits(np.frombuffer(data, np.uint8, mask_bytes), count=size).astype(bool)
        values = np.frombuffer(data, dtype=kind, offset=mask_bytes)
        if values.size != np.count_nonzero(mask):
            raise ValueError(f"{values.size} values for {np.count_nonzero(mask)} non-zero entries")
        a = np.zeros(size, dtype=kind)
        a[mask] = values
        a.setflags(write=False)
    else:
        raise ValueError(f"unknown encoding {shown(encoding)}")
    if a.size != size:
        raise ValueError(f"{len(data)} bytes do not hold a {dtype} array of shape {tuple(dims)}")
    return a.reshape(dims)  # read-only: frombuffer over bytes, or flagged above
