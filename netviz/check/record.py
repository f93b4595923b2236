"""A check as a trace file: the passes checked op by op, each as netviz's reference pass at the
learner's own weights and example (``core.steps.example_ops``), with the learner's value of each
op's output beside it as ``theirs/NAME``. ``netviz replay`` shows the two side by side.

The trace holds example passes only (no epochs): up to :data:`PASSES` of the passes checked op by
op, the one with the first difference always among them. For a script that computes the whole
batch at once, its first columns are written as examples.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np

from .. import __version__
from ..core.network import Params
from ..core.steps import YHAT, example_ops
from ..trace import TraceWriter
from ..trace.schema import op_address
from .checker import Checker
from .reference import Pass

PASSES = 32  # passes written at most (each is ~30 small arrays)
COLUMNS = 8  # examples written from a whole-batch pass


def write_trace(path: str | Path, checker: Checker, script: str) -> int:
    """Write ``checker``'s recorded passes to a new trace at ``path``; the passes written."""
    recorded = list(checker.recorded or [])
    if not recorded:
        return 0
    if len(recorded) > PASSES:  # the first ones, and the last (where a difference is)
        recorded = recorded[: PASSES - 1] + recorded[-1:]
    first = recorded[0][1]
    params = Params.from_named(first.weights)
    scaled = float(np.max(first.x)) <= 1.0
    d = checker.difference
    meta = {
        "netviz": __version__,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "preset": f"check of {script}",
        "sizes": list(params.sizes),
        "activation": checker.hidden[0].name,
        "alpha": checker.alpha,
        "seed": 0,
        "dtype": "float64",
        "scale_pixels": scaled,
        "train_size": int(checker.data.X.shape[1]) if checker.data.X is not None else 0,
        "record": "check",
        "watch": [],
        "check": {
            "script": script,
            "epochs": checker.epoch,
            "first_difference": None if d is None else d.address.replace("/batch/", "/x0/"),
        },
    }
    written = 0
    with TraceWriter(path, meta, len(params.W)) as writer:
        for epoch, p in recorded:
            for column in range(min(p.width, COLUMNS)):
                _write_pass(writer, epoch, p, column, scaled, checker.dtype)
                written += 1
    return written


def _write_pass(
    writer: TraceWriter, epoch: int, p: Pass, c: int, scaled: bool, dtype: np.dtype
) -> None:
    """Example ``c`` of pass ``p``: the reference's ops, and theirs beside each output, in the
    precision their script computed it in (``dtype``: a replay judges float32 values by float32's
    rounding, as the check did)."""
    params = Params.from_named(p.weights)
    x = p.x[:, c]
    label = -1 if p.labels is None else int(p.labels[c])
    example = p.example + c
    ops = example_ops(params, x, max(label, 0), p.hidden)
    pixels = np.clip(np.rint(x * 255 if scaled else x), 0, 255).astype(np.uint8)
    writer.add_examples([(example, None if label < 0 else label, pixels)])
    L = p.layers
    theirs = dict(p.theirs)
    for name, value in p.own.items():  # their dW, db of the pass, and the value that differs
        if p.width == 1 or name[:2] not in ("dW", "db"):  # a batch's dW, db are sums
            theirs[name] = value
    theirs = {YHAT if k in (f"A{L}", "yhat") else k: v for k, v in theirs.items()}
    produced: set[str] = set()
    context: dict[str, np.ndarray] = {}
    for op in ops:
        context.update({n: a for n, a in op.inputs.items() if n not in produced | set(context)})
        produced |= set(op.outputs)
    rows = []
    for i, op in enumerate(ops):
        tensors = {**(context if i == 0 else {}), **op.outputs}
        for name, reference in op.outputs.items():
            mine = theirs.get(name)
            if mine is not None:
                mine = np.asarray(mine)
                column = (
                    mine[:, c : c + 1] if mine.ndim == 2 and reference.shape[-1:] == (1,) else mine
                )
                tensors[f"theirs/{name}"] = (
                    np.asarray(column, dtype=dtype).reshape(reference.shape)
                    if np.size(column) == reference.size
                    else np.asarray(column, dtype=dtype)
                )
        fields = {"phase": op.phase, "layer": op.layer, "op": op.name, "equation": op.equation,
                  "inputs": list(op.inputs), "outputs": list(op.outputs)}  # fmt: skip
        rows.append((op_address(epoch, example, op.address), fields, tensors))
    writer.add_pass(epoch, example, rows)
