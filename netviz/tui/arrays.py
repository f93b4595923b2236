"""An op's arrays as text: vectors with bars, matrices in a window of rows and columns with their
indices, the cost's y and ŷ[label], and, in a check trace, an output beside the learner's own
value of it (theirs, the reference, the difference, differing entries marked ◆); the
inspector's NumbersView shows them. Pure: no widgets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np
from rich.style import Style
from rich.text import Text

from ..core.steps import YHAT, Op
from ..numbers import (
    DIFFERS,
    cell_width,
    compared_scale,
    differences,
    differing_entries,
    fmt,
    in_float32,
    largest_first,
    magnitude,
    shape_text,
    shapes_differ,
    stats_line,
    verdict,
)
from ..session.snapshot import Snapshot
from .keys import MATRIX_KEYS

NO_MARKS: Mapping[int, str] = MappingProxyType({})
BAR_WIDTH = 12
EIGHTHS = " ▏▎▍▌▋▊▉█"
MATRIX_ROWS = 10  # rows of a matrix shown at least; more when the view is taller
LONG_VECTOR = 64  # longer vectors (the 784 inputs) print several entries a line, without bars


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """A bar of █ (with an eighth-block tip) ``fraction`` of ``width`` long."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (EIGHTHS[part] if part else "")).ljust(width)


def nonzero(a: np.ndarray) -> str:
    """How many entries are not 0, where some are (a ReLU's output, dW1 for a sparse digit)."""
    count = int(np.count_nonzero(a))
    return f"  nonzero {count}/{a.size}" if count < a.size else ""


def is_matrix(a: np.ndarray) -> bool:
    """A 2-D array with no side of 1 (W1, dW2): shown as a grid rather than a column."""
    return a.ndim == 2 and 1 not in a.shape


@dataclass(frozen=True, eq=False)  # arrays inside: compare by identity
class Block:
    """One array as the numbers view shows it: heading, values and how to read them."""

    heading: str  # "result dW1", "input x (before)"
    array: np.ndarray
    scale: np.ndarray | None = None  # per-entry magnitude for the mean's rounding bound
    selected: tuple[int, ...] | None = None  # the entry marked (select mode)
    # Notes after a vector's entries, by index (the cost's y and ŷ: "the label").
    marks: Mapping[int, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # lines under the heading (the cost's check by hand)
    theirs: np.ndarray | None = None  # a check trace: the learner's value, of array's shape
    compared: np.ndarray | None = None  # what theirs is judged by beside array (compared_scale)
    masked: bool = False  # a lesson's question asks about it: its values wait for the answer
    # Who ``theirs`` and ``array`` are, in full and in a column's head: a check trace's learner
    # and reference, or a fork of the run and the run itself (the tour's f).
    sides: tuple[str, str, str, str] = ("theirs", "the reference", "theirs", "reference")


@dataclass(frozen=True)
class Window:
    """The part of every matrix in view: first row and column, how many rows, and the width."""

    row: int = 0
    column: int = 0
    rows: int = MATRIX_ROWS
    width: int = 60


@dataclass(frozen=True)
class Span:
    """The rows and columns of one matrix that a window shows, and how they are laid out."""

    rows: range
    columns: range
    cell: int  # characters per value (fmt's longest for this matrix)
    label: int  # characters of the row label ("row 15")

    @staticmethod
    def of(a: np.ndarray, window: Window, cell: int | None = None) -> Span:
        """The window's rows and columns of matrix ``a``, moved back where it would pass the
        last row or column, with as many columns of ``cell`` characters (default: what a's
        values need) as the width holds."""
        n_rows, n_columns = a.shape
        cell = cell or cell_width(a)
        label = 4 + len(str(n_rows - 1))
        fit = max(1, (window.width - label) // (cell + 1))
        shown = max(1, min(window.rows, n_rows))
        r0 = max(0, min(window.row, n_rows - shown))
        c0 = max(0, min(window.column, n_columns - fit))
        return Span(range(r0, r0 + shown), range(c0, min(n_columns, c0 + fit)), cell, label)


def span_of(block: Block, window: Window) -> Span:
    """The window's rows and columns of a matrix block: a diff's three grids (theirs, the
    reference, the difference) share one, a third as tall, in the width the widest needs."""
    if block.theirs is None:
        return Span.of(block.array, window)
    cell = max(cell_width(a) for a in (block.array, *compared(block)[:2]))
    return Span.of(block.array, replace(window, rows=max(4, window.rows // 3)), cell)


def block_text(block: Block, window: Window, styles: Mapping[str, Style]) -> Text:
    """One array: a heading with shape and statistics, then its values.

    A scalar as one number; a vector (n,), (n, 1) or (1, n) entry by entry with a bar of
    |value| / max|value| coloured by sign (a long one several entries a line); a matrix as the
    ``window`` of it, with row and column indices. The block's selected entry is marked.
    """
    if block.theirs is not None:
        return diff_text(block, window, styles)
    a, name = block.array, block.heading
    text = Text(no_wrap=True, end="")
    shape = shape_text(a.shape) if a.ndim else f"({shape_text(a.shape)})"
    text.append(f"{name} {shape}", styles["name"])
    if block.masked:
        return text.append("\n  hidden until you answer the lesson's question\n", styles["muted"])
    if a.ndim == 0:
        text.append(f" = {fmt(float(a))}\n")
        for note in block.notes:
            text.append(f"  {note}\n", styles["stats"])
        return text
    text.append(f"{nonzero(a)}\n{stats_line(a, block.scale)}\n", styles["stats"])
    for note in block.notes:
        text.append(f"  {note}\n", styles["stats"])
    if is_matrix(a):
        return text.append_text(matrix_text(a, window, styles, block.selected))
    v = a.ravel()
    if v.size > LONG_VECTOR:
        return text.append_text(long_vector(v, window.width, styles))
    return text.append_text(vector_text(v, styles, block.selected, block.marks))


def vector_text(
    v: np.ndarray,
    styles: Mapping[str, Style],
    selected: tuple[int, ...] | None = None,
    marks: Mapping[int, str] = NO_MARKS,
) -> Text:
    """Entry by entry: index, value and a bar of |value| / max|value| coloured by sign."""
    text = Text(no_wrap=True, end="")
    peak = float(np.max(np.abs(v))) if v.size else 0.0
    for i, x in enumerate(v.tolist()):
        start = len(text)
        text.append(f"{i:>5} {fmt(x):>11} ")
        if selected is not None and selected[0] == i:
            text.stylize(styles["selected"], start, len(text) - 1)
        text.append(bar(abs(x) / peak if peak else 0.0), styles["pos" if x >= 0 else "neg"])
        if i in marks:
            text.append(f" ◂ {marks[i]}", styles["result"])
        text.append("\n")
    return text


def matrix_text(
    a: np.ndarray,
    window: Window,
    styles: Mapping[str, Style],
    selected: tuple[int, ...] | None = None,
    marked: np.ndarray | None = None,
    span: Span | None = None,
) -> Text:
    """The window of a matrix: which rows and columns, a line of column indices, then each row
    with its index, every value right-aligned in one width so the columns stay in line.
    ``marked`` (a bool mask of a's shape): entries shown with ◆ before them, styled."""
    span = span or Span.of(a, window)
    rows, columns, cell = span.rows, span.columns, span.cell
    text = Text(no_wrap=True, end="")
    where = (
        f"showing rows {rows[0]}–{rows[-1]} of {a.shape[0]}, "
        f"columns {columns[0]}–{columns[-1]} of {a.shape[1]}"
    )
    hidden = len(rows) < a.shape[0] or len(columns) < a.shape[1]
    if hidden and len(where) + len(MATRIX_KEYS) + 3 <= window.width:
        where += f" · {MATRIX_KEYS}"
    text.append(where + "\n", styles["stats"])
    text.append(f"{'col':>{span.label}}", styles["stats"])
    text.append("".join(f" {c:>{cell}}" for c in columns) + "\n", styles["stats"])
    digits, differs = span.label - 4, styles.get("differs", styles["result"])
    for r in rows:
        text.append(f"row {r:>{digits}}", styles["stats"])
        for c, x in zip(columns, a[r, columns.start : columns.stop].tolist(), strict=True):
            style = styles["selected"] if selected == (r, c) else ""
            if marked is not None and marked[r, c]:  # ◆ in the value's padding or the gap
                text.append(f"{DIFFERS + fmt(x):>{cell + 1}}", style or differs)
            else:
                text.append(" ")
                text.append(f"{fmt(x):>{cell}}", style)
        text.append("\n")
    return text


def long_vector(v: np.ndarray, width: int, styles: Mapping[str, Style]) -> Text:
    """Many entries a line, each line headed by its first entry's index."""
    cell = cell_width(v)
    per_line = max(1, (width - 5) // (cell + 1))
    text = Text(no_wrap=True, end="")
    values = [f"{fmt(x):>{cell}}" for x in v.tolist()]
    for start in range(0, len(values), per_line):
        text.append(f"{start:>5}", styles["stats"])
        text.append(" " + " ".join(values[start : start + per_line]) + "\n")
    return text


def compared(block: Block) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(theirs, the difference as shown, the mask of differing entries) of a diff block: the
    difference theirs − reference where an entry differs, 0 where it is the same to rounding."""
    theirs = np.asarray(block.theirs)
    return (theirs, *differences(theirs, block.array, block.compared))


def largest_difference(block: Block) -> tuple[int, ...] | None:
    """Where a diff block's largest difference is (the window opens on it), or None."""
    if block.theirs is None or np.shape(block.theirs) != np.shape(block.array):
        return None
    _, difference, mask = compared(block)
    first = largest_first(difference, mask)[:1]
    return first[0] if first else None


def diff_text(block: Block, window: Window, styles: Mapping[str, Style]) -> Text:
    """An output beside the learner's value of it: the verdict, the differing entries named,
    then theirs, the reference and theirs − reference: three numbers for a scalar, three
    columns for a vector, three grids for a matrix (one window, so they scroll together).
    Each differing entry has ◆ before it and the ``differs`` style."""
    reference, (theirs, difference, mask) = block.array, compared(block)
    name = block.heading.removeprefix("result ")
    differs, stats = styles.get("differs", styles["result"]), styles["stats"]
    text = Text(no_wrap=True, end="")
    said = verdict(mask, block.sides, in_float32(theirs, reference))
    if len(said) > window.width:  # a narrow inspector: the verdict on two lines
        said = said.replace(": ", ":\n  ", 1)
    text.append(said + "\n", differs if mask.any() else stats)
    if mask.any():
        text.append(differing_entries(name, difference, mask, window.width) + "\n", differs)
    if is_matrix(reference):
        span, shape = span_of(block, window), shape_text(reference.shape)
        a, b = block.sides[:2]
        grids = (
            (f"{a} {name} {shape}", theirs, mask),
            (f"{b} {name}", reference, None),
            (f"{a} − {b}", difference, mask),
        )
        for k, (title, a, marked) in enumerate(grids):
            text.append(("\n" if k else "") + title + "\n", styles["name"])
            text.append_text(matrix_text(a, window, styles, block.selected, marked, span))
        return text
    text.append(f"{block.heading} {shape_text(reference.shape)}\n", styles["name"])
    for note in block.notes:
        text.append(f"  {note}\n", stats)
    columns = [theirs.ravel(), reference.ravel(), difference.ravel()]
    cell = max(cell_width(a) for a in columns)
    titles = (*block.sides[2:], "difference")
    if reference.ndim == 0:
        for title, a in zip(titles, columns, strict=True):
            mark = bool(mask) and title != titles[1]
            text.append(f"  {DIFFERS if mark else ' '} {title:<10} ", differs if mark else stats)
            text.append(f"{fmt(a[0]):>{cell}}\n", differs if mark else "")
        return text
    text.append(f"{'i':>5}   " + "  ".join(f"{t:>{cell}}" for t in titles) + "\n", stats)
    for i, marked in enumerate(mask.ravel().tolist()):
        style = differs if marked else ""
        chosen = block.selected is not None and block.selected[0] == i
        text.append(f"{i:>5} ", stats)
        text.append(f"{DIFFERS if marked else ' '} ", differs)
        t, r, d = (f"{fmt(a[i]):>{cell}}" for a in columns)
        text.append(t, styles["selected"] if chosen else style)
        text.append(f"  {r}  ")
        text.append(d + "\n", style)
    return text


def cost_notes(op: Op) -> tuple[tuple[str, ...], int | None]:
    """The cost op checked by hand: y is 1 at the label, so cost = −log ŷ[label]; the lines
    saying so with ŷ[label] and its −log, and the label (None where y is not one-hot)."""
    y, yhat = op.inputs.get("y"), op.inputs.get(YHAT)
    if y is None or yhat is None or np.count_nonzero(y) != 1:
        return (), None
    label = int(np.flatnonzero(np.ravel(y))[0])
    p = float(np.ravel(yhat)[label])
    first = f"y is 1 at the label {label}, 0 elsewhere: cost = −log {YHAT}[{label}]"
    if p == 0:  # underflowed: the cost itself comes from Z by log-softmax, which stays finite
        return (first, f"{YHAT}[{label}] = 0 as a float: the cost is taken from Z directly"), label
    return (first, f"{YHAT}[{label}] = {fmt(p)}   −log {YHAT}[{label}] = {fmt(-np.log(p))}"), label


def op_blocks(
    op: Op,
    snapshot: Snapshot,
    selected: tuple[int, ...] | None = None,
    masked: frozenset[str] = frozenset(),
) -> list[Block]:
    """The op's outputs, then its inputs, each with the magnitude its mean's rounding bound
    is taken from; ``selected``: an entry of the first output, marked; ``masked``: outputs
    whose values are hidden (a lesson asks about them)."""
    values = known_values(op, snapshot)
    sides = Block.sides  # a check trace's learner and reference; or a fork and this run:
    if snapshot.beside:
        sides = (snapshot.beside, "this run", "fork", "this run")
    L = len(snapshot.layers) - 1
    notes, label = cost_notes(op) if op.name == "cost" else ((), None)
    marks = NO_MARKS if label is None else MappingProxyType({label: "the label"})
    blocks = []
    for k, (name, a) in enumerate(op.outputs.items()):
        theirs, also, kept = snapshot.theirs.get(name), (), notes
        if snapshot.checked and theirs is None:
            kept = (*notes, f"theirs: none recorded for {name}")
        elif theirs is not None and np.shape(theirs) != np.shape(a):
            shapes = shapes_differ(np.shape(theirs), a.shape)
            kept = (*notes, f"{DIFFERS} theirs vs the reference: {shapes}")
            also, theirs = (Block(f"theirs {name}", np.asarray(theirs)),), None
        scale = magnitude(name, values, L)
        chosen = selected if k == 0 else None
        blocks += [Block(f"result {name}", np.asarray(a), scale, chosen, notes=kept, theirs=theirs,
                         compared=None if theirs is None else compared_scale(name, op.inputs),
                         masked=name in masked,
                         sides=sides), *also]  # fmt: skip
    for name, a in op.inputs.items():
        before = " (before)" if name in op.outputs else ""  # an update's W, as it was
        scale = None if before else magnitude(name, values, L)
        blocks.append(Block(f"input {name}{before}", np.asarray(a), scale, marks=marks))
    return blocks


def known_values(op: Op, snapshot: Snapshot) -> dict[str, np.ndarray]:
    """The arrays a magnitude may need: the op's own, and ŷ and y of the pass where known."""
    values = {**op.inputs, **op.outputs}
    output = snapshot.layers[-1] if snapshot.layers else None
    if YHAT not in values and output is not None and output.activation is not None:
        values[YHAT] = output.activation.reshape(-1, 1)
    if "y" not in values and YHAT in values:
        y = np.zeros_like(values[YHAT])
        if 0 <= snapshot.label < y.size:
            y.flat[snapshot.label] = 1
            values["y"] = y
    return values
