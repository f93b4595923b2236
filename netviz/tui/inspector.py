"""The inspector: the current op's equation, shapes and explanation, and its real numbers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.selection import Selection
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from ..core.steps import Op
from ..session import Metrics, Snapshot

PHASE_NAMES = {"fwd": "forward", "cost": "cost", "bwd": "backward", "upd": "update"}
BAR_WIDTH = 12
EIGHTHS = " ▏▎▍▌▋▊▉█"
MATRIX_ROWS = 10
LONG_VECTOR = 64  # longer vectors (the 784 inputs) print several entries a line, without bars


def fmt(value: float) -> str:
    """A number as the inspector prints it: sign and 4 significant digits."""
    return f"{value:+.4g}"


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """A bar of █ (with an eighth-block tip) ``fraction`` of ``width`` long."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (EIGHTHS[part] if part else "")).ljust(width)


def stats(a: np.ndarray) -> str:
    """``min … mean … max …`` of an array."""
    return f"min {fmt(a.min())}  mean {fmt(a.mean())}  max {fmt(a.max())}"


def nonzero(a: np.ndarray) -> str:
    """How many entries are not 0, where some are (a ReLU's output, dW1 for a sparse digit)."""
    count = int(np.count_nonzero(a))
    return f"  nonzero {count}/{a.size}" if count < a.size else ""


def array_text(name: str, a: np.ndarray, width: int, styles: Mapping[str, Style]) -> Text:
    """One array: a heading with shape and statistics, then its values.

    A vector (n,), (n, 1) or (1, n) entry by entry with a bar of |value| / max|value| coloured
    by sign (a long one several entries a line); a matrix as its first rows, as many columns as
    fit; a scalar as one number.
    """
    text = Text(no_wrap=True, end="")
    text.append(f"{name} {a.shape}", styles["name"])
    if a.ndim == 0:
        text.append(f"  = {fmt(float(a))}\n")
        return text
    text.append(f"{nonzero(a)}\n{stats(a)}\n", styles["stats"])
    if a.ndim == 1 or 1 in a.shape:
        v = a.ravel()
        if v.size > LONG_VECTOR:
            return text.append_text(long_vector(v, width, styles))
        peak = float(np.max(np.abs(v))) if v.size else 0.0
        for i, x in enumerate(v.tolist()):
            text.append(f"{i:>5} {fmt(x):>11} ")
            text.append(bar(abs(x) / peak if peak else 0.0), styles["pos" if x >= 0 else "neg"])
            text.append("\n")
        return text
    columns = max(1, (width - 8 - 6 + 1) // 11)  # row label, values, " …+n"
    for r in range(min(MATRIX_ROWS, a.shape[0])):
        text.append(f"{'row ' + str(r):>7} ", styles["stats"])
        text.append(" ".join(f"{fmt(x):>10}" for x in a[r, :columns].tolist()))
        if a.shape[1] > columns:
            text.append(f" …+{a.shape[1] - columns}", styles["stats"])
        text.append("\n")
    if a.shape[0] > MATRIX_ROWS:
        text.append(f"        … {a.shape[0] - MATRIX_ROWS} more rows\n", styles["stats"])
    return text


def long_vector(v: np.ndarray, width: int, styles: Mapping[str, Style]) -> Text:
    """Many entries a line, each line headed by its first entry's index."""
    per_line = max(1, (width - 6) // 11)
    text = Text(no_wrap=True, end="")
    values = [f"{fmt(x):>10}" for x in v.tolist()]
    for start in range(0, len(values), per_line):
        text.append(f"{start:>5}", styles["stats"])
        text.append(" " + " ".join(values[start : start + per_line]) + "\n")
    return text


def op_title(snapshot: Snapshot, op: Op) -> str:
    layer = "" if op.layer is None else f" · layer {op.layer}"
    return f"{PHASE_NAMES[op.phase]}{layer} · op {snapshot.op_index + 1} of {snapshot.ops_in_pass}"


def epoch_text(m: Metrics, train_size: int) -> Text:
    """An epoch's figures: cost, accuracies and each layer's gradient norm."""
    text = Text(no_wrap=True, end="")
    text.append(f"cost            {fmt(m.cost)}\n")
    text.append(f"train accuracy  {m.train_accuracy:.2%}\n".replace("%", " %"))
    text.append(f"test accuracy   {m.test_accuracy:.2%}\n".replace("%", " %"))
    text.append(f"gradient norms ‖ΣdWl‖/m over {train_size} examples\n")
    for layer, norm in enumerate(m.grad_norms, start=1):
        text.append(f"  L{layer}  {fmt(norm)}\n")
    return text


class NumbersView(Widget, can_focus=False):
    """Lines of numbers, scrolled by keys or the wheel, only the visible ones rendered.

    It scrolls itself rather than being a scroll container: a new op's lines then repaint this
    widget alone, with no layout pass over the screen (a step stays well under 30 ms).
    """

    top: reactive[int] = reactive(0)
    """The first line shown."""

    def __init__(self) -> None:
        super().__init__(id="numbers")
        self.lines: list[Text] = []
        self._strips: dict[int, Strip] = {}

    def show(self, text: Text) -> None:
        """Replace the lines and go back to the first."""
        self.lines = text.split("\n", allow_blank=True)
        while self.lines and not self.lines[-1].plain:
            self.lines.pop()
        self._strips.clear()
        self.top = 0
        self.refresh()
        self._say_where()

    @property
    def plain(self) -> str:
        """Every line as plain text."""
        return "\n".join(line.plain for line in self.lines)

    def scroll_lines(self, delta: int) -> None:
        """Move the view ``delta`` lines down (up when negative), within the text."""
        self.top = max(0, min(len(self.lines) - self.size.height, self.top + delta))

    def watch_top(self) -> None:
        self._say_where()

    def _say_where(self) -> None:
        """Which lines are in view, in the inspector's bottom border, when not all fit."""
        shown, total = self.size.height, len(self.lines)
        where = (
            f"lines {self.top + 1}–{min(total, self.top + shown)} of {total} · ↑↓ pgup pgdn"
            if 0 < shown < total
            else ""
        )
        parent = self.parent
        if isinstance(parent, Widget) and parent.border_subtitle != where:
            parent.border_subtitle = where

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self.scroll_lines(3)
        event.stop()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.scroll_lines(-3)
        event.stop()

    def on_resize(self) -> None:
        self._strips.clear()
        self._say_where()

    def render_line(self, y: int) -> Strip:
        index, width, style = self.top + y, self.size.width, self.rich_style
        if index >= len(self.lines):
            return Strip.blank(width, style)
        strip = self._strips.get(index)
        if strip is None:
            line = self.lines[index].copy()
            line.stylize_before(style)
            selection = self.text_selection
            if selection is not None and (span := selection.get_span(index)) is not None:
                start, end = span
                selected = self.screen.get_component_rich_style("screen--selection")
                line.stylize(selected, start, len(line) if end == -1 else end)
            strip = Strip(line.render(self.app.console), line.cell_len)
            strip = strip.crop_extend(0, width, style).apply_offsets(0, index)
            self._strips[index] = strip
        return strip

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        return selection.extract(self.plain), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self._strips.clear()
        self.refresh()


class Inspector(Widget):
    """The current op (equation, shapes, explanation, numbers) or the current epoch's figures."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "inspector--name",
        "inspector--stats",
        "inspector--positive",
        "inspector--negative",
    }

    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True, repaint=False)
    """The state to show; set by the app."""

    def compose(self) -> ComposeResult:
        yield Static(id="op-title")
        yield Static(id="equation")
        yield Static(id="shapes")
        yield Static(id="explanation")
        yield NumbersView()

    def on_mount(self) -> None:
        self.border_title = "inspector"

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        if snapshot is None:
            return
        op = snapshot.op
        if op is None:
            m = snapshot.epoch_metrics
            title = f"epoch {m.epoch} · full batch" if m else "epoch"
            parts = ("W ← W − α·ΣdW/m", f"α {snapshot.alpha:g}, m {snapshot.train_size}")
            numbers = epoch_text(m, snapshot.train_size) if m else Text()
        else:
            title, parts = op_title(snapshot, op), (op.equation, op.shapes)
            numbers = self.numbers(op)
        # Fixed heights (see the stylesheet): no layout pass, so only these widgets repaint.
        for name, text in (
            ("#op-title", title),
            ("#equation", parts[0]),
            ("#shapes", parts[1]),
            ("#explanation", snapshot.explanation),
        ):
            self.query_one(name, Static).update(Text(text), layout=False)
        self.query_one(NumbersView).show(numbers)

    def on_resize(self) -> None:
        self.watch_snapshot(self.snapshot)  # matrices show as many columns as fit

    def numbers(self, op: Op) -> Text:
        """The op's outputs, then its inputs, each with its values."""
        styles = {
            "name": self.get_component_rich_style("inspector--name"),
            "stats": self.get_component_rich_style("inspector--stats"),
            "pos": self.get_component_rich_style("inspector--positive"),
            "neg": self.get_component_rich_style("inspector--negative"),
        }
        width = self.query_one(NumbersView).content_region.width or 60
        blocks = [(f"result {n}", a) for n, a in op.outputs.items()]
        blocks += [
            (f"input {n}" + (" (before)" if n in op.outputs else ""), a)
            for n, a in op.inputs.items()
        ]
        text = Text(no_wrap=True, end="")
        for k, (name, a) in enumerate(blocks):
            if k:
                text.append("\n")
            text.append_text(array_text(name, np.asarray(a), width, styles))
        return text
