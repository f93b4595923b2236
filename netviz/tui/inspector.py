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
from ..debugger import ChainCard
from ..snapshot import Metrics, Snapshot, WatchValue

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


def array_text(
    name: str,
    a: np.ndarray,
    width: int,
    styles: Mapping[str, Style],
    selected: tuple[int, ...] | None = None,
) -> Text:
    """One array: a heading with shape and statistics, then its values.

    A vector (n,), (n, 1) or (1, n) entry by entry with a bar of |value| / max|value| coloured
    by sign (a long one several entries a line); a matrix as its first rows, as many columns as
    fit (or the rows and columns around the ``selected`` entry); a scalar as one number. The
    ``selected`` entry is marked.
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
            start = len(text)
            text.append(f"{i:>5} {fmt(x):>11} ")
            if selected is not None and selected[0] == i:
                text.stylize(styles["selected"], start, len(text) - 1)
            text.append(bar(abs(x) / peak if peak else 0.0), styles["pos" if x >= 0 else "neg"])
            text.append("\n")
        return text
    columns = max(1, (width - 8 - 6 + 1) // 11)  # row label, values, " …+n"
    row0, col0 = 0, 0
    if selected is not None:  # keep the selected entry in view
        row0 = max(0, selected[0] - MATRIX_ROWS + 1)
        col0 = max(0, selected[1] - columns + 1)
        if col0:
            text.append(f"        columns {col0}–{col0 + columns - 1}\n", styles["stats"])
    for r in range(row0, min(row0 + MATRIX_ROWS, a.shape[0])):
        text.append(f"{'row ' + str(r):>7} ", styles["stats"])
        for k, x in enumerate(a[r, col0 : col0 + columns].tolist()):
            style = styles["selected"] if selected == (r, col0 + k) else ""
            text.append(("" if k == 0 else " ") + f"{fmt(x):>10}", style)
        if a.shape[1] > col0 + columns:
            text.append(f" …+{a.shape[1] - col0 - columns}", styles["stats"])
        text.append("\n")
    if a.shape[0] > row0 + MATRIX_ROWS:
        text.append(f"        … {a.shape[0] - row0 - MATRIX_ROWS} more rows\n", styles["stats"])
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
        "inspector--selected",
        "inspector--muted",
        "inspector--result",
    }

    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True, repaint=False)
    """The state to show; set by the app."""

    def __init__(self) -> None:
        super().__init__()
        self.selected: tuple[ChainCard | None, tuple[int, ...] | None] = (None, None)
        """The selected gradient entry's chain-rule card and index; set by the app."""

    def compose(self) -> ComposeResult:
        yield Static(id="op-title")
        yield Static(id="equation")
        yield Static(id="shapes")
        yield Static(id="explanation")
        yield Static(id="watches")
        yield Static(id="card")
        yield NumbersView()

    def on_mount(self) -> None:
        self.border_title = "inspector"

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        if snapshot is None:
            return
        op = snapshot.op
        card, index = self.selected
        if op is None:
            m = snapshot.epoch_metrics
            title = f"epoch {m.epoch} · full batch" if m else "epoch"
            if snapshot.hits:
                title += " · ● breakpoint hit"
            parts = ("W ← W − α·ΣdW/m", f"α {snapshot.alpha:g}, m {snapshot.train_size}")
            numbers = epoch_text(m, snapshot.train_size) if m else Text()
        else:
            title, parts = op_title(snapshot, op), (op.equation, op.shapes)
            numbers = self.numbers(op, index)
        explanation = self.query_one("#explanation", Static)
        explanation.set_class(bool(snapshot.hits), "-hit")
        if snapshot.hits:
            explanation.update(hits_text(snapshot), layout=False)
        else:
            explanation.update(Text(snapshot.explanation), layout=False)
        self._show_watches(snapshot)
        self._show_card(card)
        # Fixed heights (see the stylesheet): no layout pass, so only these widgets repaint.
        for name, text in (
            ("#op-title", title),
            ("#equation", parts[0]),
            ("#shapes", parts[1]),
        ):
            self.query_one(name, Static).update(Text(text), layout=False)
        self.query_one(NumbersView).show(numbers)

    def on_resize(self) -> None:
        self.watch_snapshot(self.snapshot)  # matrices show as many columns as fit

    def _show_watches(self, snapshot: Snapshot) -> None:
        """Each watch as ``text = value``; ● marks one that changed since the last stop."""
        view = self.query_one("#watches", Static)
        view.display = bool(snapshot.watches)
        if snapshot.watches:
            view.update(watches_text(snapshot.watches, self.styles_()))

    def _show_card(self, card: ChainCard | None) -> None:
        from .chain import card_text  # chain formats numbers with this module's fmt

        view = self.query_one("#card", Static)
        view.display = card is not None
        if card is not None:
            view.update(card_text(card, self.styles_()))

    def styles_(self) -> dict[str, Style]:
        """The component styles by short name."""
        get = self.get_component_rich_style
        return {
            "name": get("inspector--name"),
            "stats": get("inspector--stats"),
            "pos": get("inspector--positive"),
            "neg": get("inspector--negative"),
            "selected": get("inspector--selected"),
            "muted": get("inspector--muted"),
            "title": get("inspector--name"),
            "equation": get("inspector--name"),
            "value": Style(),
            "result": get("inspector--result"),
        }

    def numbers(self, op: Op, selected: tuple[int, ...] | None = None) -> Text:
        """The op's outputs, then its inputs, each with its values; ``selected``: an entry of
        the first output, marked."""
        styles = self.styles_()
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
            mark = selected if k == 0 else None
            text.append_text(array_text(name, np.asarray(a), width, styles, mark))
        return text


def hits_text(snapshot: Snapshot) -> Text:
    """The breakpoints that fired at this epoch, each with why."""
    text = Text(end="")
    for k, hit in enumerate(snapshot.hits):
        if k:
            text.append("\n")
        text.append(f"● breakpoint {hit.condition}", "bold")
        text.append(f" fired at {snapshot.address}: {hit.reason}")
    text.append("\nC goes back to the previous hit, c continues.")
    return text


def watches_text(watches: tuple[WatchValue, ...], styles: Mapping[str, Style]) -> Text:
    """``text = value`` a line: changed ones marked ●, errors muted."""
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    for k, w in enumerate(watches):
        if k:
            text.append("\n")
        if w.error:
            text.append(f"  {w.text}: {w.shown}", styles["muted"])
        elif w.changed:
            text.append(f"● {w.text} = {w.shown}", styles["result"])
        else:
            text.append(f"  {w.text} = {w.shown}")
    return text
