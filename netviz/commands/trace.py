"""``netviz trace info|metrics|tensors``: look inside a trace file from the command line.

Everything shown that comes from the file (metadata, names, equations) is shown literally: never
read as rich markup, and with control characters made visible, so a file cannot restyle the
table or drive the terminal.
"""

from __future__ import annotations

import math
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from ..errors import NetvizError
from ..files import atomic_writer
from ..safe import literal
from ..trace import TraceError, TraceReader

T = TypeVar("T")

# Enough digits to compare with the equations by hand; arrays past 200 numbers are summarised
# (W1 and dW1 are 16×784) so a step fits on a screen.
PRINT_OPTIONS = {"precision": 6, "threshold": 200, "edgeitems": 3}


def info(path: str) -> int:
    """Print a table of the run's metadata, the trace's counts, size, epochs and final metrics.

    Of a damaged trace it shows what could be read, marks the rest unreadable and warns on
    stderr why.
    """
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    with TraceReader(path) as reader:
        problems: list[str] = []
        counts = _partly(reader.counts, problems)
        epochs = _partly(reader.epochs, problems)
        frame = _partly(reader.metrics, problems) if epochs else None
        known = len(problems)
        final = _partly(reader.final, problems)
        final_unreadable = len(problems) > known
        meta = reader.meta

    table = Table(title=Text(literal(path)), show_header=False, title_justify="left")
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")  # a hash wraps rather than losing its end

    def row(field: str, value: str) -> None:
        table.add_row(Text(literal(field)), Text(literal(value)))

    fork = fork_text(meta)
    if fork is not None:
        row("fork", fork)
    for key, value in meta.items():
        if fork is not None and key in FORK_SHOWN:
            continue
        if key == "answers" and isinstance(value, list):  # a lesson's: counted, not listed
            right = sum(1 for a in value if isinstance(a, dict) and a.get("right") is True)
            row("answers", f"{len(value)} ({right} right)")
            continue
        if key == "plan" and (plan := _plan_text(value)) is not None:
            row("epoch plan", plan)
            continue
        row(key, _meta_text(value))
    table.add_section()
    row("size", _size(Path(path)))
    if reader.damage:
        table.add_row(Text("damage", style="bold red"), Text(literal(reader.damage)))
    row("recorded steps", _counts_text(counts) if counts else "unreadable")
    row("recorded epochs", _epochs_text(epochs))
    if frame is not None and len(frame):
        e, last = frame.index[-1], frame.iloc[-1]
        table.add_section()
        row("last epoch", str(e))
        at = f"at the start of epoch {e}"  # the weights it started from, before its update
        row(f"cost {at}", _number(last["cost"], "{:.4f} (before its update)"))
        row(f"train accuracy {at}", _percent(last["train_accuracy"]))
        row(f"test accuracy {at}", _percent(last["test_accuracy"]))
    if final is not None or final_unreadable or epochs:
        table.add_section()
        _final_rows(row, final, final_unreadable)
    Console().print(table)
    # A truncated file says so once; other damage is told part by part.
    for problem in [] if reader.damage else dict.fromkeys(problems):
        _warn(problem)
    _warn_if_truncated(reader)
    return 0


FORK_SHOWN = ("parent", "fork_epoch", "fork_changes")  # in the one ``fork`` row


def _plan_text(recorded: object) -> str | None:
    """The epoch plan a trace records, in words (as ``netviz train -v`` says it); None for one
    that is not a plan (then shown as it is)."""
    from ..core.epoch import Plan

    try:
        return Plan.from_dict(recorded).describe()
    except ValueError:
        return None


def fork_text(meta: dict) -> str | None:
    """``fork of traces/a.nvtrace at e3 (α 0.8 → 0.4)`` for a fork's trace; None for another
    trace, or one whose fork fields are not what netviz writes (then shown as they are)."""
    from .train import fork_changes

    parent, epoch, changes = (meta.get(k) for k in FORK_SHOWN)
    if not isinstance(parent, str) or isinstance(epoch, bool) or not isinstance(epoch, int):
        return None
    if not isinstance(changes, dict) or not all(
        isinstance(v, list) and len(v) == 2 for v in changes.values()
    ):
        return None
    return f"fork of {parent} at e{epoch} ({fork_changes(changes)})"


def _final_rows(row: Callable[[str, str], None], final, unreadable: bool) -> None:
    """The final weights' figures, as ``netviz train`` printed them last; or why there are none."""
    from .train import final_rows, final_weights

    if unreadable:
        row("final weights", "unreadable")
        return
    if final is None:
        row("final weights", "not measured: the run did not finish, or an older netviz wrote it")
        return
    row("final weights", final_weights(final.epoch))
    for label, value in final_rows(final):
        row(label, value)


# What each row of `netviz trace metrics` is measured at: the ``weights`` column.
START, FINAL = "start of epoch", "after epoch (final)"


def metrics(path: str, out: str | None) -> int:
    """Write the metrics as CSV to ``out`` (atomically), or print them.

    One row per epoch, ``weights`` = ``start of epoch``: its cost and accuracies (and gradient
    norms ‖ΣdWl‖/m, saturation) are measured at the weights that epoch started from, before its
    update. Then, when the run recorded them, one row ``weights`` = ``after epoch (final)``: cost
    and accuracies at the weights after that epoch's update, the run's last (its other columns
    are empty). An ``epoch`` column of n then reads "the weights at the start of epoch n" or
    "the weights after epoch n".
    """
    with TraceReader(path) as reader:
        frame = metrics_frame(reader)
    _warn_if_truncated(reader)
    if out is None:
        frame.to_csv(sys.stdout, index=False)
        return 0
    with atomic_writer(out, "w") as f:
        frame.to_csv(f, index=False, lineterminator="\n")
    epochs = int((frame["weights"] == START).sum())
    what = f"{epochs} epochs of metrics (each at the weights it started from)"
    if (frame["weights"] == FINAL).any():
        what += " and the final weights' figures"
    print(f"wrote {what} to {literal(out)}")
    return 0


ANSWER_COLUMNS = ("lesson", "stop", "at", "question", "answer", "right", "seconds")


def answers(path: str, out: str | None) -> int:
    """A lesson's answers kept in the trace, as CSV for a teacher (``right``: yes, no, or
    shown when the learner asked to see it), to ``out`` (atomically) or printed."""
    import csv

    with TraceReader(path) as reader:
        kept = reader.meta.get("answers")
    if not isinstance(kept, list) or not kept:
        raise NetvizError(f"{literal(path)}: no answers in this trace (netviz lesson keeps them)")
    words = {True: "yes", False: "no", None: "shown"}

    def rows(f) -> None:
        table = csv.writer(f, lineterminator="\n")
        table.writerow(ANSWER_COLUMNS)
        for a in kept:
            a = a if isinstance(a, dict) else {}
            cells = [a.get(c, "") for c in ANSWER_COLUMNS]
            cells[5] = words.get(a.get("right"), "")
            table.writerow([literal(c) for c in cells])

    if out is None:
        rows(sys.stdout)
        return 0
    with atomic_writer(out, "w") as f:
        rows(f)
    right = sum(1 for a in kept if isinstance(a, dict) and a.get("right") is True)
    print(f"wrote {len(kept)} answers ({right} right) to {literal(out)}")
    return 0


def metrics_frame(reader: TraceReader):
    """The metrics as ``netviz trace metrics`` writes them: a ``weights`` column after
    ``epoch`` saying what each row is measured at, and the final row when there is one."""
    import pandas as pd

    frame = reader.metrics().reset_index()
    frame.insert(1, "weights", START)
    final = _partly(reader.final, [])  # in a damaged file's lost part: the epochs still read
    if final is None:
        return frame
    # Whole-number columns stay whole (not 3.0) beside the final row's empty cells.
    frame = frame.astype({c: "Int64" for c in frame.columns if frame[c].dtype.kind in "iu"})
    figures = ("cost", "train_accuracy", "test_accuracy")
    row = {"epoch": final.epoch, "weights": FINAL, **{c: getattr(final, c) for c in figures}}
    last = pd.DataFrame([row], columns=frame.columns).astype(frame.dtypes.to_dict())
    return pd.concat([frame, last], ignore_index=True) if len(frame) else last


def tensors(path: str, at: str) -> int:
    """Print one step's arrays numpy-style: an op's inputs and outputs, or an epoch's tensors."""
    with TraceReader(path) as reader:
        step = reader.step(at)
        if step.kind == "op":
            inputs, outputs = reader.op_arrays(step.step)
            groups = {
                "inputs": {n: inputs.get(n) for n in step.inputs},
                "outputs": outputs,
            }
        else:
            groups = {"tensors": reader.tensors(step.step)}
    _warn_if_truncated(reader)
    header = f"{step.address}  (step {step.step}, {step.kind})"
    print(literal(header))
    if step.equation:
        print(f"  {literal(step.equation)}")
    for title, arrays in groups.items():
        print(f"\n{title}:" if arrays else f"\n{title}: none recorded")
        for name, array in arrays.items():
            print(_array_text(name, array))
    return 0


# --- helpers ----------------------------------------------------------------------------------


def _partly(read: Callable[[], T], problems: list[str]) -> T | None:
    """``read()``, or None when the file is too damaged for it (the reason goes to problems)."""
    try:
        return read()
    except TraceError as e:
        problems.append(str(e))
        return None


def _warn(problem: str) -> None:
    print(f"netviz: warning: {literal(problem)}; showing what could be read", file=sys.stderr)


def _warn_if_truncated(reader: TraceReader) -> None:
    """What reads from a file cut short may still be missing rows, or hold zeros for numbers."""
    if reader.damage:
        _warn(f"{reader.path}: {reader.damage}")


def _meta_text(value: object) -> str:
    """A metadata value as one line: strings as they are, a recipe by name, the rest as JSON.

    A recipe shows only its name: its other fields are the run's own rows (and its summary
    describes the stock preset, not what options changed).
    """
    import json

    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return value["name"]
    return json.dumps(value, ensure_ascii=False)


def _size(path: Path) -> str:
    """The bytes on disk: the file, plus its -wal file while a writer has one open."""
    main = path.stat().st_size
    wal = Path(f"{path}-wal")
    extra = wal.stat().st_size if wal.is_file() else 0
    total = main + extra
    short = f"{total / 2**20:.1f} MiB" if total >= 2**20 else f"{total / 2**10:.1f} KiB"
    return f"{short} ({total:,} bytes" + (f", {extra:,} of them in {wal.name})" if extra else ")")


def _counts_text(counts: dict[str, int]) -> str:
    ops = counts["ops"]
    return (
        f"{counts['steps']:,} ({counts['steps'] - ops:,} epoch, {ops:,} op); "
        f"{counts['tensors']:,} tensors, {counts['examples']:,} examples, "
        f"{counts['checkpoints']:,} weight checkpoints"
    )


def _epochs_text(epochs: list[int] | None) -> str:
    if epochs is None:
        return "unreadable"
    if not epochs:
        return "none recorded"
    if len(epochs) == 1:
        return f"{epochs[0]} (1 epoch)"
    return f"{epochs[0]}–{epochs[-1]} ({len(epochs):,} epochs)"


def _number(value: object, form: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return form.format(value)


def _percent(value: object) -> str:
    return _number(None if value is None else 100 * value, "{:.2f} %")


def _array_text(name: str, array: np.ndarray | None) -> str:
    """``  dZ2  (16, 1)  float64`` and the values below it, indented, numpy-style."""
    if array is None:
        return f"  {literal(name)}  not recorded"
    width = max(60, shutil.get_terminal_size().columns)
    values = np.array2string(array, prefix="    ", max_line_width=width, **PRINT_OPTIONS)
    return f"  {literal(name)}  {array.shape}  {array.dtype}\n    {values}"
