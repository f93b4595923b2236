"""The inspector: the current op's equation, shapes and explanation, and its real numbers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
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
from ..debug.chain import ChainCard
from ..numbers import fmt
from ..session.snapshot import Metrics, Snapshot, WatchValue
from .arrays import (
    MATRIX_ROWS,
    Block,
    Span,
    Window,
    block_text,
    is_matrix,
    largest_difference,
    op_blocks,
    span_of,
)
from .chain import chain_text
from .charts import percent
from .timeline import weights_text

__all__ = ["Inspector", "NumbersView", "fmt"]  # fmt: tests format as shown

PHASE_NAMES = {"fwd": "forward", "cost": "cost", "bwd": "backward", "upd": "update"}
WATCH_LINES = 6  # the watches panel's height when the stylesheet gives it none


def op_title(snapshot: Snapshot, op: Op) -> str:
    layer = "" if op.layer is None else f" · layer {op.layer}"
    return f"{PHASE_NAMES[op.phase]}{layer} · op {snapshot.op_index + 1} of {snapshot.ops_in_pass}"


def epoch_text(m: Metrics, train_size: int) -> Text:
    """An epoch's figures, all at the weights it started from (its gradient pass measured them):
    cost, accuracies and each layer's gradient norm."""
    text = Text(no_wrap=True, end="")
    text.append(f"at the weights before epoch {m.epoch}'s update:\n")
    text.append(f"cost            {fmt(m.cost)}\n")
    text.append(f"train accuracy  {percent(m.train_accuracy, 2)}\n")
    text.append(f"test accuracy   {percent(m.test_accuracy, 2)}\n")
    text.append(f"gradient norms ‖ΣdWl‖/m over {train_size} examples\n")
    for layer, norm in enumerate(m.grad_norms, start=1):
        text.append(f"  L{layer}  {fmt(norm)}\n")
    return text


class NumbersView(Widget, can_focus=False):
    """Lines of numbers, scrolled by keys or the wheel, only the visible ones rendered; the
    matrices among them (W1, dW2) shown through one window that scrolls by rows and columns.

    It scrolls itself rather than being a scroll container: a new op's lines then repaint this
    widget alone, with no layout pass over the screen (a step stays well under 30 ms).
    """

    top: reactive[int] = reactive(0)
    """The first line shown."""

    def __init__(self) -> None:
        super().__init__(id="numbers")
        self.lines: list[Text] = []
        self._strips: dict[int, Strip] = {}
        self.blocks: tuple[Block, ...] = ()
        """The arrays shown, when they are arrays (an epoch's figures are plain lines)."""
        self.origin = (0, 0)
        """The first row and column shown of every matrix."""
        self._styles: Mapping[str, Style] = {}
        self._place: object = None
        self._laid_out = (0, 0)

    # --- what is shown ------------------------------------------------------------------

    def show(self, text: Text) -> None:
        """Replace the lines with fixed text and go back to the first."""
        self.blocks, self._place = (), None
        self._set_lines(text)
        self.top = 0
        self._say_where()

    def show_blocks(self, blocks: list[Block], styles: Mapping[str, Style], place: object) -> None:
        """Show arrays; a new ``place`` (another op) starts at the first line and at row and
        column 0, the same place keeps where the view was and moves the matrices' window just
        enough to show the first block's selected entry."""
        moved = place != self._place
        if moved:
            self.origin, self.top = (0, 0), 0
        self.blocks, self._styles, self._place = tuple(blocks), styles, place
        self._follow_selection(moved)
        self._render_blocks()

    @property
    def window(self) -> Window:
        """The matrices' window at this size: at least MATRIX_ROWS rows, more when tall."""
        height, width = self.size.height, self.size.width
        return Window(*self.origin, max(MATRIX_ROWS, height - 6), width or 60)

    @property
    def spans(self) -> list[Span]:
        """The rows and columns shown of each matrix, in the order of the blocks."""
        window = self.window
        return [span_of(b, window) for b in self.blocks if is_matrix(b.array)]

    def scroll_matrix(self, rows: int, columns: int) -> None:
        """Move the matrices' window ``rows`` rows down and ``columns`` columns right (up and
        left when negative), stopping where the largest matrix's last row or column shows."""
        matrices = [b for b in self.blocks if is_matrix(b.array)]
        if not matrices:
            return
        window, far = self.window, 1 << 30
        last = [span_of(b, replace(window, row=far, column=far)) for b in matrices]
        row = max(0, min(max(s.rows.start for s in last), self.origin[0] + rows))
        column = max(0, min(max(s.columns.start for s in last), self.origin[1] + columns))
        if (row, column) != self.origin:
            self.origin = (row, column)
            self._render_blocks()

    def page_matrix(self, pages: int) -> None:
        """Move the matrices' window by ``pages`` screens of columns (left when negative)."""
        spans = self.spans
        if spans:
            self.scroll_matrix(0, pages * len(spans[0].columns))

    def _follow_selection(self, moved: bool = False) -> None:
        """Keep the first block's selected entry inside the window (the chain-rule card's);
        on arriving at an op whose output differs from theirs, open on the largest difference."""
        first = self.blocks[0] if self.blocks else None
        if first is None or not is_matrix(first.array):
            return
        entry = first.selected or (largest_difference(first) if moved else None)
        if entry is None:
            return
        (r, c), span = entry[:2], span_of(first, self.window)
        row, column = span.rows.start, span.columns.start
        if r not in span.rows:
            row = r if r < span.rows.start else r - len(span.rows) + 1
        if c not in span.columns:
            column = c if c < span.columns.start else c - len(span.columns) + 1
        self.origin = (row, column)

    def _render_blocks(self) -> None:
        """The blocks as lines, at this size and window, keeping the line scrolled to."""
        window, text = self.window, Text(no_wrap=True, end="")
        for k, block in enumerate(self.blocks):
            if k:
                text.append("\n")
            text.append_text(block_text(block, window, self._styles))
        self._laid_out = (self.size.width, self.size.height)
        self._set_lines(text)
        self.top = max(0, min(self.top, len(self.lines) - self.size.height))
        self._say_where()

    def _set_lines(self, text: Text) -> None:
        self.lines = text.split("\n", allow_blank=True)
        while self.lines and not self.lines[-1].plain:
            self.lines.pop()
        self._strips.clear()
        self.refresh()

    @property
    def plain(self) -> str:
        """Every line as plain text."""
        return "\n".join(line.plain for line in self.lines)

    # --- scrolling by lines -------------------------------------------------------------

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
        """Matrices show as many columns (and rows) as the new size holds."""
        self._strips.clear()
        if self.blocks and self._laid_out != (self.size.width, self.size.height):
            self._render_blocks()
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
        "inspector--differs",
    }
    # The learner's entries that differ from the reference (a check trace's diff view).

    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True, repaint=False)
    """The state to show; set by the app."""

    def __init__(self) -> None:
        super().__init__()
        self.selected: tuple[ChainCard | None, tuple[int, ...] | None] = (None, None)
        """The selected gradient entry's chain-rule card and index; set by the app."""
        self.masked: frozenset[str] = frozenset()
        """Outputs whose values wait for a lesson's answer; set by the lesson app."""

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
        numbers = self.query_one(NumbersView)
        if snapshot.kind == "preview":  # a drawing: its ŷ as the learner draws
            title = "your drawing · forward pass only, not recorded"
            parts = ("ŷ = softmax(Z3), from x as drawn", f"at the {weights_text(snapshot)}")
            yhat = snapshot.layers[-1].activation.reshape(-1, 1)
            numbers.show_blocks([Block("result ŷ", yhat)], self.styles_(), "preview")
        elif op is None:
            m = snapshot.epoch_metrics
            title = f"epoch {m.epoch} · full batch" if m else "epoch"
            if snapshot.hits:
                title += " · ● breakpoint hit"
            parts = ("W ← W − α·ΣdW/m", f"α {snapshot.alpha:g}, m {snapshot.train_size}")
            numbers.show(epoch_text(m, snapshot.train_size) if m else Text())
        else:
            title, parts = op_title(snapshot, op), (op.equation, op.shapes)
            place = (snapshot.cursor, snapshot.address)
            blocks = op_blocks(op, snapshot, index, self.masked)
            numbers.show_blocks(blocks, self.styles_(), place)
        explanation = self.query_one("#explanation", Static)
        explanation.set_class(bool(snapshot.hits), "-hit")
        if snapshot.hits:
            explanation.update(hits_text(snapshot), layout=False)
        else:
            explanation.update(Text(snapshot.explanation), layout=False)
        self._show_watches(snapshot)
        self._show_card(card, op)
        # Fixed heights (see the stylesheet): no layout pass, so only these widgets repaint.
        for name, text in (
            ("#op-title", title),
            ("#equation", parts[0]),
            ("#shapes", parts[1]),
        ):
            self.query_one(name, Static).update(Text(text), layout=False)

    def _show_watches(self, snapshot: Snapshot) -> None:
        """Each watch as ``text = value``; ● marks one that changed since the last stop; those
        past the panel's height are counted, never dropped silently."""
        view = self.query_one("#watches", Static)
        view.display = bool(snapshot.watches)
        if snapshot.watches:
            limit = view.styles.max_height
            lines = int(limit.value) if limit is not None and limit.is_cells else WATCH_LINES
            watches = snapshot.watches
            if self.masked:  # a watch must not show what a lesson's question hides
                hidden = "hidden until you answer"
                watches = tuple(replace(w, shown=hidden) if _names(w.text, self.masked) else w
                                for w in watches)  # fmt: skip
            view.update(watches_text(watches, self.styles_(), lines))

    def _show_card(self, card: ChainCard | None, op: Op | None) -> None:
        view = self.query_one("#card", Static)
        view.display = card is not None
        if card is not None:
            dtype = op.result[1].dtype if op is not None else np.float64
            view.update(chain_text(card, self.styles_(), dtype))

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
            "differs": get("inspector--differs"),
        }


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


def watches_text(
    watches: tuple[WatchValue, ...], styles: Mapping[str, Style], lines: int | None = None
) -> Text:
    """``text = value`` a line: changed ones marked ●, errors muted; where more than ``lines``,
    the last line says how many more there are (W lists them all)."""
    shown = watches
    if lines is not None and len(watches) > max(1, lines):
        shown = watches[: max(1, lines) - 1]
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    for k, w in enumerate(shown):
        if k:
            text.append("\n")
        if w.error or w.pending:  # pending: a name it reads is computed at a later op
            text.append(f"  {w.text}: {w.shown}", styles["muted"])
        elif w.changed:
            text.append(f"● {w.text} = {w.shown}", styles["result"])
        else:
            text.append(f"  {w.text} = {w.shown}")
    if len(shown) < len(watches):
        more = len(watches) - len(shown)
        text.append("\n")
        text.append(f"  … {more} more (W lists them all)", styles["muted"])
    return text


def _names(text: str, names: frozenset[str]) -> bool:
    """Whether a watch's text reads any of ``names`` (``Z1[7]``, ``norm(Z1)``; not ``Z10``)."""
    import re

    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9_])", text) for n in names)
